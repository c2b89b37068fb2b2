"""enum: members from class-body assignments, auto, aliases, Flag, IntEnum, _missing_."""
import enum
from enum import Enum, Flag, IntEnum, auto


class Color(Enum):
    RED = 1
    GREEN = 2
    CRIMSON = 1  # alias
    BLUE = auto()

    def describe(self):
        return f"{self.name}={self.value}"

    @classmethod
    def _missing_(cls, value):
        if value == "r":
            return cls.RED
        return None


class Perm(Flag):
    R = auto()
    W = auto()
    X = auto()
    RW = R | W


class Level(IntEnum):
    LOW = 10
    HIGH = 20


class Computed(Enum):
    A = "a"
    B = A * 2
    _ignore_ = ["tmp"]
    tmp = 5


print(list(Color), Color.CRIMSON is Color.RED, Color("r"), Color.BLUE.describe())
print(list(Color.__members__))
print(Perm.R | Perm.X, Perm.RW, Perm(7), list(Perm), Perm.W in Perm.RW)
print(Level.LOW < Level.HIGH, Level.HIGH + 1, sorted(Level), Level(20).name)
print(list(Computed), hasattr(Computed, "tmp"))
try:
    Color(99)
except ValueError as exc:
    print("ValueError:", exc)
Animal = Enum("Animal", "CAT DOG")
print(list(Animal), Animal.DOG.value)


class Strs(enum.StrEnum):
    X = auto()
    Y = "why"


print(list(Strs), Strs.X == "x", f"{Strs.Y}")
print(repr(Color.RED), str(Perm.R), format(Level.LOW), repr(Level.LOW))
for member in Color:
    last = member
print(last)
print(enum.unique(Level) is Level)
try:
    @enum.unique
    class Dup(Enum):
        A = 1
        B = 1
except ValueError as exc:
    print("ValueError:", exc)
