"""The run options, declared once (`OPTIONS`), and RunOptions: every option of one run.

Each :class:`Option` says how a value is read and checked, its default for `tracekit run` and
the Python API and, where it differs on purpose, for a build, its help, and where it may be set.
The click options, `[tool.tracekit]`'s keys and checks, the `# tracekit:` file keys and the
keywords of `build`/`check` are made from this table. Standard library only: the no-op build
path and the source reader import it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .child.protocol import (
    DEFAULT_FIGURE_DPI,
    DEFAULT_FIGURE_MAX_SIZE,
    DEFAULT_HITS,
    DEFAULT_LAST_HIT,
    DEFAULT_MAX_FIGURES,
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
)

__all__ = [
    "OPTIONS",
    "Option",
    "RunOptions",
    "check_build_keywords",
    "parse_device",
    "parse_flag",
    "parse_memory",
    "parse_modules",
    "parse_seconds",
    "parse_whole",
]

_DEVICE_RE = re.compile(r"cpu|cuda|cuda:\d+|mps|auto")
_MODULE_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_MEMORY_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


# ── one check per value: each returns the normalised value or raises ValueError ─


def parse_device(value: Any) -> str:
    """VALUE, stripped, if it names a device tracekit knows (cpu, cuda, cuda:N, mps, auto)."""
    if not isinstance(value, str) or not _DEVICE_RE.fullmatch(value.strip()):
        raise ValueError(value)
    return value.strip()


def parse_whole(value: Any, minimum: int) -> int:
    """An int (or digits) of at least MINIMUM."""
    if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(value)
    return value


def parse_seconds(value: Any) -> float:
    """A finite, positive number of seconds."""
    if isinstance(value, bool):
        raise ValueError(value)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(value) from None
    if not (0 < seconds < float("inf")):
        raise ValueError(value)
    return seconds


def parse_flag(value: Any) -> bool:
    """True or false, as such (TOML booleans)."""
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


def parse_memory(value: Any) -> int:
    """Bytes from an int or a size string such as '512M', '2G', '1.5GiB'; ValueError if bad."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(value)
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    match = _MEMORY_RE.fullmatch(value.strip())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(value)
    size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size <= 0:  # rounds to no byte at all: it would mean no limit
        raise ValueError(value)
    return size


def parse_modules(value: Any) -> tuple[str, ...]:
    """Dotted module names: one string, or a list of them."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and _MODULE_RE.fullmatch(v) for v in value):
        raise ValueError(value)
    return tuple(value)


def _no_value(value: Any) -> Any:
    raise ValueError(value)  # set through the Python API only


_SAME: Any = object()  # a build's default is the run's


@dataclass(frozen=True)
class Option:
    """One run option: its type and check, defaults, help, and where it may be set."""

    name: str
    type: str  #: the annotation of its RunOptions field
    parse: Callable[[Any], Any]  #: the checked, normalised value of a setting or header value; ValueError if bad
    default: Any  #: for `tracekit run` and the Python API
    build: Any = _SAME  #: for a build (build, check, Sphinx, MkDocs), where it differs on purpose
    #: the click type of `tracekit run`'s option ("" when it has none); see tracekit.commands
    run_cli: str = ""
    #: the click type of `tracekit build`/`check`'s option ("" when they have none)
    build_cli: str = ""
    config: bool = False  #: a `[tool.tracekit]` key
    header: bool = False  #: a `# tracekit: KEY=VALUE` file option
    help: str = ""  #: build's help, before "(config: KEY)."
    run_help: str = ""  #: run's help, when it is not HELP with a full stop
    expected: str = ""  #: a good value, in a `[tool.tracekit]` message
    header_expected: str = ""  #: a good value, in a file option's message
    header_missing: str = ""  #: the same, for a key given no value (default: HEADER_EXPECTED)
    keyed: bool = False  #: it changes what a page shows: part of every cache key

    @property
    def build_default(self) -> Any:
        """The default of a build."""
        return self.default if self.build is _SAME else self.build

    @property
    def where(self) -> frozenset[str]:
        """Where it may be set: run (the command), build (build and check), config, header, api."""
        places = {"api"}
        places |= {"run"} if self.run_cli else set()
        places |= {"build"} if self.build_cli else set()
        places |= {"config"} if self.config else set()
        places |= {"header"} if self.header else set()
        return frozenset(places)

    @property
    def flag(self) -> str:
        """The command-line name, e.g. --max-output."""
        return "--" + self.name.replace("_", "-")

    def build_help(self) -> str:
        """The help of build's and check's option."""
        return f"{self.help} (config: {self.name})." if self.config else f"{self.help}."

    def help_of_run(self) -> str:
        """The help of `tracekit run`'s option."""
        return self.run_help or f"{self.help}."


_DEVICES = "cpu, cuda, cuda:N, mps or auto"

#: every run option, in the order of `--help`
OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        Option(
            "device",
            "str | None",
            parse_device,
            None,
            run_cli="device",
            build_cli="text",
            config=True,
            header=True,
            help=_DEVICES,
            run_help=f"{_DEVICES}: torch's default device.",
            expected="one of cpu, cuda, cuda:N, mps, auto",
            header_expected=_DEVICES,
            keyed=True,
        ),
        Option(
            "seed",
            "int | None",
            lambda v: parse_whole(v, 0),
            0,
            run_cli="int",
            build_cli="int>=0",
            config=True,
            header=True,
            help="Seed for random, numpy and torch",
            expected="a non-negative integer",
            header_expected="a non-negative integer",
            header_missing="an integer",
            keyed=True,
        ),
        Option(
            "timeout",
            "float | None",
            parse_seconds,
            None,  # `tracekit run` runs as long as python would
            build=DEFAULT_TIMEOUT,
            run_cli="float>0",
            build_cli="float>0",
            config=True,
            header=True,
            help="Seconds an example may run",
            run_help="Kill the script after this many seconds.",
            expected="a positive number of seconds",
            header_expected="a positive number of seconds",
            header_missing="seconds",
            keyed=True,
        ),
        Option(
            "hits",
            "int",
            lambda v: parse_whole(v, 1),
            DEFAULT_HITS,
            run_cli="int>=1",
            build_cli="int>=1",
            config=True,
            header=True,
            help="Hits of each line recorded in full",
            expected="a positive integer",
            header_expected="a positive integer",
            keyed=True,
        ),
        Option(
            "last_hit",
            "bool",
            parse_flag,
            DEFAULT_LAST_HIT,
            build_cli="flag",
            config=True,
            help="Also record the last hit of lines hit more often than --hits, in the same run",
            expected="true or false: also record the last hit of lines hit more often than hits (in the same run)",
            keyed=True,
        ),
        Option(
            "memory",
            "int | None",
            parse_memory,
            None,
            build_cli="text",
            config=True,
            header=True,
            help="Memory limit of an example, e.g. 2G",
            expected="a size such as 512M or 2G, or a number of bytes",
            header_expected="a size such as 512M or 2G",
            header_missing="a size like 2G",
            keyed=True,
        ),
        Option(
            "max_output",
            "int",
            parse_memory,
            DEFAULT_MAX_OUTPUT,
            build_cli="text",
            config=True,
            help="Bytes an example and its subprocesses may write to stdout and stderr, e.g. 1M",
            expected=(
                "a size such as 1M: bytes an example and the processes it starts may write to stdout and stderr "
                "before it "
                "is stopped"
            ),
            keyed=True,
        ),
        Option("figure_dpi", "float", _no_value, DEFAULT_FIGURE_DPI),
        Option("max_figures", "int", _no_value, DEFAULT_MAX_FIGURES),
        Option("figure_max_size", "tuple[int, int]", _no_value, DEFAULT_FIGURE_MAX_SIZE),
        Option(
            "preload",
            "tuple[str, ...] | None",
            parse_modules,
            None,  # a fresh interpreter for each run
            build=("torch", "torch._dynamo", "numpy", "matplotlib", "matplotlib.pyplot"),
            config=True,
            expected=(
                "a list of module names (strings) such as torch or matplotlib.pyplot: imported once per warm parent, "
                "for "
                "the examples that import them"
            ),
        ),
    )
}


def check_build_keywords(function: str, given: Mapping[str, Any]) -> None:
    """A TypeError, as Python words it, for a keyword of FUNCTION (build, check) that is not a run option a build
    takes."""
    for key in given:
        if key not in OPTIONS or not OPTIONS[key].build_cli:
            raise TypeError(f"{function}() got an unexpected keyword argument {key!r}")


def _default(name: str) -> Any:
    """A RunOptions field whose default is the table's, read when a RunOptions is made."""
    return field(default_factory=lambda: OPTIONS[name].default)


@dataclass(frozen=True)
class RunOptions:
    """Every option of one run, carried unchanged from configuration and command line to the child.

    Defaults are `OPTIONS`' for `tracekit run`; :meth:`for_build` has a build's."""

    device: str | None = _default("device")
    seed: int | None = _default("seed")
    timeout: float | None = _default("timeout")
    hits: int = _default("hits")
    last_hit: bool = _default("last_hit")
    memory: int | None = _default("memory")
    max_output: int = _default("max_output")
    figure_dpi: float = _default("figure_dpi")
    max_figures: int = _default("max_figures")
    figure_max_size: tuple[int, int] = _default("figure_max_size")
    #: modules a warm parent imports once for the runs that import them (tracekit.warm); None: a fresh interpreter each
    preload: tuple[str, ...] | None = _default("preload")

    @classmethod
    def for_build(cls) -> RunOptions:
        """The options of a build before configuration: each option's build default."""
        return cls(**{name: option.build_default for name, option in OPTIONS.items()})

    def merged(self, overrides: Mapping[str, Any]) -> RunOptions:
        """A copy with the OVERRIDES that name a field of this class and are not None."""
        names = {f.name for f in fields(self)}
        given = {k: v for k, v in overrides.items() if k in names and v is not None}
        if "figure_max_size" in given:
            w, h = given["figure_max_size"]
            given["figure_max_size"] = (int(w), int(h))
        return replace(self, **given)

    def key_dict(self) -> dict[str, Any]:
        """The options a page's cache key covers."""
        return {name: getattr(self, name) for name, option in OPTIONS.items() if option.keyed}

    def spec(self) -> dict[str, Any]:
        """These options as keys of the child's spec."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["figure_max_size"] = list(self.figure_max_size)
        del out["preload"]  # the build's business, not the child's
        return out
