"""Annotated assignments with and without value; which annotations are stored/evaluated."""
log = []


def ann(x):
    log.append(("ann", x))
    return x


a: ann("int") = 1
b: ann("str")
print(a, log)
try:
    print(b)
except NameError as exc:
    print("NameError:", exc)
print(__annotations__)


class K:
    x: int = 5
    y: ann("list[int]")
    (z): float = 1.5  # parenthesised: not a simple target, not stored


print(K.__annotations__, K.x, K.z, hasattr(K, "y"))


class O:
    pass


o = O()
o.attr: ann("attr-ann") = 3
d = {}
d["key"]: ann("sub-ann") = 4
print(o.attr, d, log)
print("attr" in __annotations__, sorted(__annotations__))


def f():
    local: ann("never evaluated in functions") = 1
    other: int
    return local, f.__code__.co_varnames


print(f(), log[-1])
