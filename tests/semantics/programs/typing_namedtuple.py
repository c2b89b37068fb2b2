"""typing.NamedTuple, TypedDict, Protocol, Generic, get_type_hints, class-body annotations."""
import collections
import typing
from typing import Generic, NamedTuple, Optional, Protocol, TypedDict, TypeVar

T = TypeVar("T")


class Pt(NamedTuple):
    x: int
    y: int = 0
    label: str = "p"

    def norm2(self):
        return self.x ** 2 + self.y ** 2


class Movie(TypedDict, total=False):
    title: str
    year: int


class HasLen(Protocol):
    def __len__(self) -> int: ...


class Box(Generic[T]):
    def __init__(self, item: T) -> None:
        self.item = item

    def get(self) -> T:
        return self.item


p = Pt(3, 4)
print(p, p.norm2(), p._fields, p._field_defaults, Pt._make([1, 2, "q"]), p._asdict())
print(Movie(title="x"), Movie.__required_keys__, sorted(Movie.__optional_keys__))
print(Box[int](5).get(), Box[int].__origin__ is Box, typing.get_type_hints(Box.get))
print(typing.get_type_hints(Pt), typing.get_args(Optional[int]))
Old = collections.namedtuple("Old", "a b", defaults=[2])
print(Old(1), Old._fields)
print(isinstance([], typing.Sized), typing.TYPE_CHECKING)


def annotated(a: int, b: "Box[str]" = None) -> list[int]:
    return [a]


print(annotated.__annotations__, typing.get_type_hints(annotated))
