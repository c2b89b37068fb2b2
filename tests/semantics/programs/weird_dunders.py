"""Objects whose __bool__, __eq__, __len__, __repr__, __str__, __hash__ raise or misbehave."""


class BadBool:
    def __bool__(self):
        raise ValueError("no truth")


class IntBool:
    def __bool__(self):
        return 1  # not a bool -> TypeError


class EqVec:
    def __init__(self, vals):
        self.vals = vals

    def __eq__(self, other):
        return EqVec([a == other for a in self.vals])

    def __bool__(self):
        raise TypeError("ambiguous truth value")

    def __repr__(self):
        return f"EqVec({self.vals})"


class BadLen:
    def __len__(self):
        return -1


class BigLen:
    def __len__(self):
        return 2 ** 70


class BadRepr:
    def __repr__(self):
        raise RuntimeError("repr exploded")


class NonStrRepr:
    def __repr__(self):
        return 42


class BadStr:
    def __str__(self):
        raise KeyError("str exploded")


class Unhashable:
    __hash__ = None


def attempt(label, fn):
    try:
        print(label, "->", fn())
    except Exception as exc:
        print(label, "raised", type(exc).__name__, exc)


b = BadBool()
attempt("if", lambda: "yes" if b else "no")
attempt("not", lambda: not b)
attempt("and", lambda: b and 1)
attempt("or-left-ok", lambda: 1 or b)
attempt("bool()", lambda: bool(IntBool()))
v = EqVec([1, 2, 1])
eq = v == 1
print("eq result", eq)
attempt("eq in if", lambda: 1 if v == 1 else 0)
attempt("chained", lambda: 0 < 1 == v)
attempt("len -1", lambda: len(BadLen()))
attempt("bool via len -1", lambda: bool(BadLen()))
attempt("len huge", lambda: len(BigLen()))
bad = BadRepr()
attempt("repr", lambda: repr(bad))
attempt("list repr", lambda: str([bad]))
nsr = NonStrRepr()
attempt("nonstr repr", lambda: repr(nsr))
attempt("fstring", lambda: f"{BadStr()}")
attempt("str in print", lambda: print(BadStr()))
u = Unhashable()
attempt("hash", lambda: {u: 1})
x = bad  # a value whose repr raises is bound, passed, returned
y = [x, nsr]
z = (lambda q: q)(bad)
print(type(x).__name__, len(y), z is bad)
for item in [bad, nsr, BadStr()]:
    kind = type(item).__name__
print("loop done", kind)
while v == 5 if False else False:
    pass
print("end")
