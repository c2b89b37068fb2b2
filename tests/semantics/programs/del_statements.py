"""del of names, attributes, items, slices, tuples of targets; errors after deletion."""
log = []


class Tracked:
    def __delattr__(self, name):
        log.append(("delattr", name))
        object.__delattr__(self, name)

    def __delitem__(self, key):
        log.append(("delitem", key))


x = 1
del x
try:
    x
except NameError as exc:
    print("NameError:", exc)

t = Tracked()
t.a = 1
t.b = 2
del t.a, t.b
print(log, vars(t))
log.clear()
del t[1], t[1:2], t["k", 2]
print(log)

d = {"a": 1, "b": 2, "c": 3}
del d["b"]
print(d)
lst = list(range(8))
del lst[0], lst[0]
print(lst)
del lst[::3]
print(lst)
a, b = 1, 2
del (a, b)
print("a" in globals(), "b" in globals())
c = [1]
del [c]
print("c" in globals())


def local_del():
    y = 5
    del y
    try:
        return y
    except UnboundLocalError as exc:
        return f"UnboundLocalError: {exc}"


print(local_del())
try:
    del undefined_thing
except NameError as exc:
    print("NameError:", exc)
try:
    del d["zzz"]
except KeyError as exc:
    print("KeyError:", exc)


class Fin:
    def __del__(self):
        print("finalized", self.name)


f = Fin()
f.name = "first"
del f
print("after del f")
g = Fin()
g.name = "second"
g = None
print("after rebinding g")
for loopvar in range(2):
    pass
del loopvar
print("loopvar" in globals())
