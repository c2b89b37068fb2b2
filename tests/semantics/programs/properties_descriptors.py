"""property getter/setter/deleter, cached_property, data and non-data descriptors."""
import functools

log = []


class Temperature:
    def __init__(self):
        self._c = 0

    @property
    def celsius(self):
        log.append("get")
        return self._c

    @celsius.setter
    def celsius(self, v):
        log.append(("set", v))
        if v < -273.15:
            raise ValueError("below absolute zero")
        self._c = v

    @celsius.deleter
    def celsius(self):
        log.append("del")
        self._c = None

    @functools.cached_property
    def expensive(self):
        log.append("computed")
        return 99


class Typed:
    def __set_name__(self, owner, name):
        self.name = "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        log.append(("dget", self.name))
        return getattr(obj, self.name)

    def __set__(self, obj, value):
        log.append(("dset", self.name, value))
        setattr(obj, self.name, int(value))


class NonData:
    def __get__(self, obj, objtype=None):
        return "from descriptor"


class Holder:
    n = Typed()
    nd = NonData()


t = Temperature()
t.celsius = 25
t.celsius += 5
print(t.celsius, log)
log.clear()
del t.celsius
print(t._c, log)
try:
    t.celsius = -300
except ValueError as exc:
    print("ValueError:", exc)
log.clear()
print(t.expensive, t.expensive, log)
log.clear()
h = Holder()
h.n = "42"
h.n += 1
print(h.n, log)
print(h.nd)
h.nd = "instance wins"
print(h.nd, type(Holder.n).__name__)
print(Temperature.celsius.fget.__name__, isinstance(Temperature.celsius, property))
