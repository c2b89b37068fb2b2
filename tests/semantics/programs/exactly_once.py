"""Each sub-expression runs exactly once: counting dunders and properties."""
from collections import Counter

calls = Counter()


class Obj:
    def __init__(self, v):
        self.v = v

    def __getitem__(self, k):
        calls["getitem"] += 1
        return Obj(self.v + 1)

    def __getattr__(self, name):
        calls["getattr:" + name] += 1
        return Obj(self.v + 10)

    @property
    def prop(self):
        calls["prop"] += 1
        return Obj(self.v * 2)

    def __add__(self, o):
        calls["add"] += 1
        return Obj(self.v + (o.v if isinstance(o, Obj) else o))

    def __radd__(self, o):
        calls["radd"] += 1
        return Obj(o + self.v)

    def __neg__(self):
        calls["neg"] += 1
        return Obj(-self.v)

    def __lt__(self, o):
        calls["lt"] += 1
        return self.v < (o.v if isinstance(o, Obj) else o)

    def __call__(self, *a):
        calls["call"] += 1
        return Obj(self.v + len(a))

    def __iter__(self):
        calls["iter"] += 1
        return iter([Obj(1), Obj(2)])

    def __bool__(self):
        calls["bool"] += 1
        return self.v != 0

    def __len__(self):
        calls["len"] += 1
        return 2

    def __index__(self):
        calls["index"] += 1
        return 1

    def __hash__(self):
        calls["hash"] += 1
        return 1

    def __eq__(self, other):
        calls["eq"] += 1
        return True


o = Obj(1)
r = o[0].foo.prop + 1 + -o
print(r.v, sorted(calls.items()))
calls.clear()
r = 5 + o.prop(o, o)
print(r.v, sorted(calls.items()))
calls.clear()
if o and o[1] < 100:
    pass
print(sorted(calls.items()))
calls.clear()
a, b = o
print(a.v, b.v, sorted(calls.items()))
calls.clear()
for item in o:
    item.thing
print(sorted(calls.items()))
calls.clear()
x = [10, 20, 30][o]
print(x, sorted(calls.items()))
calls.clear()
y = {o: 1}[o]
print(y, sorted(calls.items()))
calls.clear()
z = o.prop.prop.prop
print(z.v, sorted(calls.items()))
calls.clear()
print(o.prop.v, sorted(calls.items()))
calls.clear()
result = [e.v for e in o if e]
print(result, sorted(calls.items()))
calls.clear()
o.bar
print(sorted(calls.items()))
