"""Weakref callbacks, weakref.finalize and WeakValueDictionary see objects die when python frees them."""
import weakref


class Obj:
    pass


def callback(ref):
    print("callback")


o = Obj()
r = weakref.ref(o, callback)
o.value = [1, 2]
print(weakref.getweakrefcount(o), len(weakref.getweakrefs(o)))
del o
print("after del", r())
cache = weakref.WeakValueDictionary()
p = Obj()
cache["p"] = p
p.n = 3
print(len(cache))
p = None
print(len(cache))


def make():
    q = Obj()
    weakref.finalize(q, print, "finalized q")
    for _ in range(3):
        q.count = 1
    del q
    print("after del q")


make()
objs = [Obj() for _ in range(3)]
refs = [weakref.ref(x) for x in objs]
objs.pop(0)
print([ref() is None for ref in refs])


def late_loop(n):
    q = Obj()
    r = weakref.ref(q, lambda _: print("callback", n))
    if n == 4:  # the loop's first (recorded) end comes after the other lines' recorded hits
        for _ in range(2):
            pass
    q = None
    print("after dropping q", n, r() is None)


for n in range(5):
    late_loop(n)
