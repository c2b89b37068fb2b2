"""Attribute and subscript targets: evaluation order of target parts vs value."""
log = []


def L(tag, v):
    log.append(tag)
    return v


class Rec:
    def __setattr__(self, name, value):
        log.append(("setattr", name, value))
        object.__setattr__(self, name, value)

    def __setitem__(self, key, value):
        log.append(("setitem", key, value))

    def __getitem__(self, key):
        log.append(("getitem", key))
        return key


r = Rec()
# value first, then the target's object, then the key
L("obj", r)[L("key", "k")] = L("value", 1)
print(log)
log.clear()

L("obj", r).attr = L("value", 2)
print(log, r.attr)
log.clear()

# multiple targets: value once, targets left to right
L("o1", r)[L("k1", 1)] = L("o2", r).x = L("value", 3)
print(log)
log.clear()

d = {}
d["a"] = d["b"] = []
d["a"].append(1)
print(d, d["a"] is d["b"])

nested = {"x": {"y": [0, 0]}}
nested["x"]["y"][1] = "deep"
print(nested)


class NoSet:
    __slots__ = ()


try:
    NoSet().z = 1
except AttributeError as exc:
    print("AttributeError:", exc)

try:
    (1, 2)[0] = 5
except TypeError as exc:
    print("TypeError:", exc)
