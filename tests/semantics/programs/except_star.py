"""ExceptionGroup and except*: splitting, nesting, re-raising, unhandled remainder."""


def raise_group():
    raise ExceptionGroup("many", [ValueError("v1"), TypeError("t1"), ValueError("v2"),
                                  ExceptionGroup("inner", [KeyError("k1"), ValueError("v3")])])


try:
    raise_group()
except* ValueError as eg:
    print("ValueError group:", repr(eg))
    print([str(e) for e in eg.exceptions])
except* TypeError as eg:
    print("TypeError group:", eg.exceptions)
except* KeyError as eg:
    print("KeyError group:", eg.exceptions[0].exceptions)

try:
    try:
        raise_group()
    except* ValueError:
        print("handled values only")
except ExceptionGroup as rest:
    print("remainder:", repr(rest))

try:
    raise ValueError("naked")
except* ValueError as eg:
    print("naked wrapped:", repr(eg), type(eg).__name__)

eg = ExceptionGroup("split me", [ValueError(1), TypeError(2), ValueError(3)])
match_, rest = eg.split(ValueError)
print(repr(match_), repr(rest))
print(repr(eg.subgroup(lambda e: isinstance(e, TypeError))))


class MyGroup(ExceptionGroup):
    def derive(self, excs):
        return MyGroup(self.message + "!", excs)


try:
    try:
        raise MyGroup("custom", [ValueError("a"), OSError("b")])
    except* OSError as e:
        print("OSError part", type(e).__name__, e.message)
except MyGroup as e:
    print("left", type(e).__name__, e.message, e.exceptions)

try:
    raise BaseExceptionGroup("base", [KeyboardInterrupt(), ValueError()])
except* KeyboardInterrupt as e:
    print("kbd", type(e).__name__)
except* ValueError as e:
    print("val", type(e).__name__)
import traceback
try:
    raise_group()
except ExceptionGroup:
    print(traceback.format_exc())
