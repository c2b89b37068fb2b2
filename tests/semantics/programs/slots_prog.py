"""__slots__: no __dict__, AttributeError on unknown attributes, inheritance, defaults."""


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Point3(Point):
    __slots__ = ("z",)


class Loose(Point):
    pass


p = Point(1, 2)
print(p.x, p.y, hasattr(p, "__dict__"), Point.__slots__)
try:
    p.z = 3
except AttributeError as exc:
    print("AttributeError:", exc)
q = Point3(1, 2)
q.z = 3
print(q.z, hasattr(q, "__dict__"))
try:
    print(Point3(0, 0).z)
except AttributeError as exc:
    print("AttributeError:", exc)
lo = Loose(5, 6)
lo.extra = "ok"
print(vars(lo))
del p.x
try:
    p.x
except AttributeError as exc:
    print("AttributeError:", exc)
print(type(Point.x).__name__)


class WithDict:
    __slots__ = ("a", "__dict__")


w = WithDict()
w.a = 1
w.b = 2
print(w.a, vars(w))
try:
    class Conflict:
        __slots__ = ("v",)
        v = 1
except ValueError as exc:
    print("ValueError:", exc)
