"""Uncaught chained exceptions: raise from, implicit context, suppressed context."""


class ConfigError(Exception):
    pass


def parse(text):
    try:
        return int(text)
    except ValueError as exc:
        raise ConfigError(f"bad number {text!r}") from exc


def load():
    try:
        parse("12x")
    except ConfigError:
        {}["missing"]


def quiet():
    try:
        1 / 0
    except ZeroDivisionError:
        raise RuntimeError("no context") from None


try:
    quiet()
except RuntimeError as e:
    print("suppress_context:", e.__suppress_context__, repr(e.__context__))
load()
