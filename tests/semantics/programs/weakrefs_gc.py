"""Objects die as soon as their last reference goes: weakrefs, finalizers, gc."""
import gc
import weakref


class Obj:
    def __init__(self, name):
        self.name = name


a = Obj("a")
r = weakref.ref(a)
print(r() is a)
del a
print("after del:", r())
b = Obj("b")
rb = weakref.ref(b)
b = None
print("after rebind:", rb())
c = Obj("c")
weakref.finalize(c, print, "finalize callback for c")
lst = [c]
del c
print("still referenced by list")
lst.clear()
print("after clear")


def make():
    local = Obj("local")
    return weakref.ref(local)


print("returned weakref dead:", make()() is None)
for i in range(3):
    item = Obj(f"loop{i}")
ref_item = weakref.ref(item)
item = None
print("loop item dead:", ref_item() is None)
cycle = Obj("cycle")
cycle.self = cycle
rc = weakref.ref(cycle)
del cycle
print("cycle alive before collect:", rc() is not None)
gc.collect()
print("cycle dead after collect:", rc() is None)
d = weakref.WeakValueDictionary()
tmp = Obj("tmp")
d["k"] = tmp
del tmp
print(list(d.keys()))


def raiser():
    big = Obj("in frame")
    wr = weakref.ref(big)
    try:
        raise ValueError(wr)
    finally:
        del big


try:
    raiser()
except ValueError as e:
    wr = e.args[0]
print("frame local kept alive by traceback:", wr() is not None)
print("e" in globals())
