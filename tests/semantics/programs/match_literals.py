"""match: literal, capture, wildcard, value (dotted), or-patterns, guards."""
import enum


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Consts:
    LIMIT = 10


def classify(x):
    match x:
        case 0 | 0.0:
            return "zero"
        case True:
            return "true"
        case None:
            return "none"
        case "hello" | b"bytes":
            return "string-ish"
        case -1:
            return "minus one"
        case 1 + 2j:
            return "complex"
        case Color.RED:
            return "red"
        case Consts.LIMIT:
            return "limit"
        case int(n) if n > 100:
            return f"big {n}"
        case int() | float() as num if num < 0:
            return f"negative {num}"
        case other:
            return f"other {other!r}"


for v in [0, 0.0, False, True, 1, None, "hello", b"bytes", -1, 1 + 2j,
          Color.RED, Color.GREEN, 10, 500, -5, -2.5, "x"]:
    print(repr(v), "->", classify(v))

guard_calls = []


def guard(v):
    guard_calls.append(v)
    return v > 1


for v in range(4):
    match v:
        case x if guard(x):
            print("guarded", x)
        case _:
            print("default", v)
print(guard_calls)

match 5:
    case _:
        pass
print("wildcard binds nothing:", "_" in dir())
