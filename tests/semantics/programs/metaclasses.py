"""Metaclasses: __prepare__ sees every class-body binding in order; __new__/__init__/__call__."""


class LoggingDict(dict):
    def __setitem__(self, k, v):
        print("  ns set", k)
        super().__setitem__(k, v)

    def __getitem__(self, k):
        print("  ns get", k)
        return super().__getitem__(k)

    def __delitem__(self, k):
        print("  ns del", k)
        super().__delitem__(k)


class Meta(type):
    @classmethod
    def __prepare__(mcls, name, bases, **kw):
        print("prepare", name, kw)
        return LoggingDict()

    def __new__(mcls, name, bases, ns, **kw):
        print("new", name, sorted(ns))
        return super().__new__(mcls, name, bases, dict(ns))

    def __init__(cls, name, bases, ns, **kw):
        print("init", name)
        super().__init__(name, bases, ns)

    def __call__(cls, *a):
        print("call", cls.__name__, a)
        return super().__call__(*a)


class Thing(metaclass=Meta, option=1):
    """Doc."""
    x = 1
    y = x + 1
    x += 10
    tmp = "temp"
    del tmp
    for i in range(2):
        pass
    z: int = 3

    def method(self):
        return self.x


t = Thing()
print(Thing.x, Thing.y, Thing.i, t.method(), Thing.__doc__, type(Thing).__name__)
print(sorted(k for k in vars(Thing) if not k.startswith("__")))


class SetName:
    def __set_name__(self, owner, name):
        print("set_name", owner.__name__, name)


class Owner:
    a = SetName()
    b = SetName()


class Registry(type):
    classes = []

    def __init__(cls, *args):
        super().__init__(*args)
        Registry.classes.append(cls.__name__)


class R1(metaclass=Registry):
    pass


class R2(R1):
    pass


print(Registry.classes)
Dyn = type("Dyn", (R1,), {"v": 7})
print(Dyn.v, Registry.classes, Dyn.__qualname__, Dyn.__module__)
print(Thing.__module__, Thing.__qualname__, Owner.__module__)
