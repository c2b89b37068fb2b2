"""obj().attr += v: the object expression is evaluated exactly once."""
log = []


class C:
    def __init__(self):
        object.__setattr__(self, "x", 1)

    def __getattribute__(self, name):
        log.append(("get", name))
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        log.append(("set", name, value))
        object.__setattr__(self, name, value)


c = C()


def obj():
    log.append("obj()")
    return c


def amount():
    log.append("amount()")
    return 10


obj().x += amount()
print(log)
log.clear()
obj().x **= 2
print(log)
log.clear()


class P:
    def __init__(self):
        self._v = 0

    @property
    def v(self):
        print("get v", self._v)
        return self._v

    @v.setter
    def v(self, new):
        print("set v", new)
        self._v = new


p = P()
p.v += 5
p.v -= 2
print(p._v)


class Ro:
    @property
    def v(self):
        return 1


try:
    Ro().v += 1
except AttributeError as exc:
    print("AttributeError:", exc)

ns = type("NS", (), {})()
ns.items = []
ns.items += [1]
ns.items += [2]
print(ns.items)
