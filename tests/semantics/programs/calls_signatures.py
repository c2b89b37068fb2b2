"""Calls: positional-only, keyword-only, defaults (evaluated once, shared), *args/**kwargs errors."""


def f(a, b, /, c, *, d, e=5, **kw):
    return a, b, c, d, e, sorted(kw.items())


print(f(1, 2, 3, d=4), f(1, 2, c=3, d=4, z=9), f(*[1, 2], **{"c": 3, "d": 4, "e": 0}))
for bad in (lambda: f(1, b=2, c=3, d=4), lambda: f(1, 2, 3), lambda: f(1, 2, 3, 4, d=1),
            lambda: f(1, 2, 3, d=4, c=5), lambda: f(**{"a": 1})):
    try:
        bad()
    except TypeError as exc:
        print("TypeError:", exc)


def shared(item, bucket=[]):
    bucket.append(item)
    return bucket


print(shared(1), shared(2), shared.__defaults__)


def varargs(*args, **kwargs):
    return args, kwargs


print(varargs(), varargs(1, *(2, 3), x=1, **{"y": 2}))
try:
    varargs(**{"x": 1}, x=2)
except TypeError as exc:
    print("TypeError:", exc)
try:
    varargs(*5)
except TypeError as exc:
    print("TypeError:", exc)


class C:
    def m(self, x):
        return x

    @staticmethod
    def s(x):
        return x


try:
    C.m(1)
except TypeError as exc:
    print("TypeError:", exc)
print(C().m(2), C.s(3), C().s(4))
print(f.__kwdefaults__, f.__code__.co_posonlyargcount)
kw = dict(d=1)
print(f(0, 0, 0, **kw), kw)
print(max(3, 1, 2, key=lambda v: -v), sorted("bca", reverse=True))
