"""dataclasses: fields from annotations, defaults, factories, frozen, order, slots, InitVar."""
import dataclasses
from dataclasses import InitVar, KW_ONLY, dataclass, field
from typing import ClassVar


@dataclass(order=True)
class Point:
    x: int
    y: int = 0
    tags: list = field(default_factory=list, compare=False)
    count: ClassVar[int] = 0

    def __post_init__(self):
        Point.count += 1


@dataclass(frozen=True, slots=True)
class Frozen:
    name: str
    value: float = 1.5


@dataclass
class WithInit:
    raw: InitVar[str]
    _: KW_ONLY
    size: int = 3
    parsed: str = field(init=False)

    def __post_init__(self, raw):
        self.parsed = raw.upper()


p = Point(1)
q = Point(1, 2, ["t"])
print(p, q, p < q, p == Point(1, 0, ["different"]), Point.count)
print([f.name for f in dataclasses.fields(Point)], dataclasses.asdict(q), dataclasses.astuple(q))
fr = Frozen("f")
try:
    fr.name = "g"
except dataclasses.FrozenInstanceError as exc:
    print("FrozenInstanceError:", exc)
print(fr, hash(fr) == hash(Frozen("f")), hasattr(fr, "__dict__"), Frozen.__slots__)
w = WithInit("abc", size=5)
print(w, w.parsed)
print(dataclasses.replace(p, y=9))
print(sorted([Point(3), Point(1, 5), Point(1, 2)]))
print(Point.__init__.__qualname__, Point.__init__.__code__.co_varnames)
import inspect
print(inspect.signature(WithInit))
Dyn = dataclasses.make_dataclass("Dyn", [("a", int), ("b", str, field(default="b"))])
print(Dyn(1))
print(Point.__match_args__, Point.__dataclass_params__.order)
