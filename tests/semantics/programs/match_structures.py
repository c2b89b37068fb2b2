"""match: sequence (with star), mapping (**rest), class patterns (__match_args__), as, nested."""
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int


class Plain:
    __match_args__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b


def describe(s):
    match s:
        case []:
            return "empty"
        case [x]:
            return f"one {x}"
        case [1, *rest] if rest:
            return f"starts with 1, rest {rest}"
        case (a, b, *_, z):
            return f"a={a} b={b} z={z}"
        case {"type": "circle", "r": r}:
            return f"circle {r}"
        case {"type": t, **others}:
            return f"type {t} others {sorted(others)}"
        case Point(x=0, y=0):
            return "origin"
        case Point(0, y) | Point(y, 0):
            return f"on axis {y}"
        case Point(x=px, y=py) as p:
            return f"point {px},{py} {p}"
        case Plain(1, b=[_, *inner]):
            return f"plain inner {inner}"
        case Plain(a, b):
            return f"plain {a} {b}"
        case str() as text:
            return f"text {text}"
        case {}:
            return "empty-ish mapping"
        case _:
            return "unknown"


for s in [[], [7], [1, 2, 3], [1], (4, 5, 6, 7), "abc", {"type": "circle", "r": 2},
          {"type": "sq", "w": 1, "h": 2}, {"x": 1}, Point(0, 0), Point(0, 5), Point(3, 0),
          Point(1, 2), Plain(1, [9, 8, 7]), Plain("p", "q"), 3.5, range(3)]:
    print(describe(s))

match {"a": {"b": [1, {"c": 42}]}}:
    case {"a": {"b": [_, {"c": int(deep)}]}}:
        print("deep", deep)

try:
    match Plain(1, 2):
        case Plain(1, 2, 3):
            pass
except TypeError as exc:
    print("TypeError:", exc)

match [1, 2]:
    case [a, b] if a > b:
        print("no")
    case [a, b]:
        print("bound", a, b)
