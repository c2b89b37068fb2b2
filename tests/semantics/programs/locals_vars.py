"""locals() and vars() in functions, class bodies, comprehensions and at module level."""


def func(a, b=2, *rest, **kw):
    c = a + b
    snapshot = dict(locals())
    d = 4
    return sorted(snapshot), sorted(locals())


print(func(1, 3, 9, k=1))


def loop_locals():
    seen = []
    for i in range(2):
        j = i * 2
        seen.append(sorted(locals()))
    return seen


print(loop_locals())


class Body:
    x = 1
    y = 2
    inside = sorted(locals())

    def method(self):
        return sorted(vars(self))


print(Body.inside)
print(sorted(k for k in vars(Body) if not k.startswith("__")))
o = Body()
o.attr = 3
print(o.method(), vars(o))
print(vars() is globals(), locals() is globals())


def closure_locals():
    free = "free"

    def inner():
        here = 1
        return sorted(locals()), free

    return inner()


print(closure_locals())


def with_del():
    q = 1
    del q
    return locals()


print(with_del())


def gen_locals():
    g = 1
    yield sorted(locals())


print(next(gen_locals()))
try:
    vars(5)
except TypeError as exc:
    print("TypeError:", exc)


def exception_locals():
    try:
        raise ValueError
    except ValueError as e:
        inside = sorted(locals())
    return inside, sorted(locals())


print(exception_locals())
print(func.__code__.co_nlocals, loop_locals.__code__.co_varnames)
