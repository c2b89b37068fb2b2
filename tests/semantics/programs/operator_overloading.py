"""Operator overloading: reflected ops, subclass priority, NotImplemented, rich compare."""


class V:
    def __init__(self, *c):
        self.c = c

    def __repr__(self):
        return f"V{self.c}"

    def __add__(self, o):
        if isinstance(o, V):
            return V(*(a + b for a, b in zip(self.c, o.c)))
        if isinstance(o, (int, float)):
            return V(*(a + o for a in self.c))
        return NotImplemented

    __radd__ = __add__

    def __mul__(self, k):
        return V(*(a * k for a in self.c))

    def __rmul__(self, k):
        print("rmul")
        return self * k

    def __matmul__(self, o):
        return sum(a * b for a, b in zip(self.c, o.c))

    def __neg__(self):
        return V(*(-a for a in self.c))

    def __abs__(self):
        return sum(a * a for a in self.c) ** 0.5

    def __eq__(self, o):
        return isinstance(o, V) and self.c == o.c

    def __lt__(self, o):
        return abs(self) < abs(o)

    def __len__(self):
        return len(self.c)

    def __getitem__(self, i):
        return self.c[i]

    def __contains__(self, x):
        print("contains", x)
        return x in self.c

    def __call__(self, i):
        return self.c[i]

    def __hash__(self):
        return hash(self.c)


class SubV(V):
    def __radd__(self, o):
        print("SubV.radd wins")
        return V(0)


a, b = V(1, 2), V(3, 4)
print(a + b, a + 1, 1 + a, a * 3, 3 * a, a @ b, -a, abs(b))
print(a == V(1, 2), a != b, a < b, b > a, sorted([b, a]))
print(len(a), a[1], list(a), 2 in a, 5 in a, a(0))
print(V(1) + SubV(2))
try:
    a + "s"
except TypeError as exc:
    print("TypeError:", exc)
print(sum([a, b], V(0, 0)), {a: 1}[V(1, 2)])


class Cmp:
    def __init__(self, v):
        self.v = v

    def __eq__(self, o):
        print("eq", self.v, getattr(o, "v", o))
        return NotImplemented


print(Cmp(1) == Cmp(2), Cmp(1) != 3)


class Idx:
    def __index__(self):
        return 2


print([10, 20, 30][Idx()], bin(Idx()), "abcd"[:Idx()])


class Num:
    def __init__(self, v):
        self.v = v

    def __iadd__(self, o):
        return NotImplemented

    def __add__(self, o):
        return Num(self.v + o)

    def __bool__(self):
        return bool(self.v)

    def __int__(self):
        return self.v

    def __format__(self, spec):
        return f"Num<{self.v:{spec}}>"


n = Num(1)
n += 4
print(n.v, int(n), bool(Num(0)), f"{n:>4}", divmod(7, 2), pow(2, 10, 1000))
