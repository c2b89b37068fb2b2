"""Augmented assignment on names: __iadd__ vs __add__ fallback, immutables, all operators."""


class Acc:
    def __init__(self, v):
        self.v = v

    def __iadd__(self, other):
        print("iadd", self.v, other)
        self.v += other
        return self

    def __add__(self, other):
        print("add", self.v, other)
        return Acc(self.v + other)


class OnlyAdd:
    def __init__(self, v):
        self.v = v

    def __add__(self, other):
        print("OnlyAdd.add")
        return OnlyAdd(self.v + other)


class WeirdIadd:
    def __iadd__(self, other):
        return "replaced"


a = Acc(1)
orig = a
a += 5
print(a is orig, a.v)
b = OnlyAdd(1)
ob = b
b += 1
print(b is ob, b.v)
w = WeirdIadd()
w += 1
print(w)

x = 10
for op in range(1):
    x += 3; x -= 1; x *= 4; x //= 3; x %= 7; x **= 3; x <<= 2; x >>= 1; x |= 8; x &= 0x7F; x ^= 5
print(x)
f = 7.0
f /= 2
print(f)
t = (1, 2)
t0 = t
t += (3,)
print(t, t0)
s = "ab"
s *= 3
print(s)
l = [1]
l0 = l
l += (2, 3)
print(l, l is l0)
l *= 2
print(l0)
m = [[1, 2], [3, 4]]
import operator
m2 = operator.matmul
class Mat:
    def __init__(self, v): self.v = v
    def __imatmul__(self, o): self.v = self.v * o; return self
mm = Mat(3)
mm @= 5
print(mm.v)
try:
    undefined_name += 1
except NameError as exc:
    print("NameError:", exc)


def local_unbound():
    try:
        q += 1
    except UnboundLocalError as exc:
        print("UnboundLocalError:", exc)
    q = 0


local_unbound()
