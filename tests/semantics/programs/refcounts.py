"""sys.getrefcount of fresh objects is what plain python reports."""
import sys


class Thing:
    pass


t = Thing()
print(sys.getrefcount(t))
u = t
print(sys.getrefcount(t))
lst = [t, t]
print(sys.getrefcount(t))
del lst, u
print(sys.getrefcount(t))


def f(x):
    return sys.getrefcount(x)


print(f(t))
big = object()
print(sys.getrefcount(big))
