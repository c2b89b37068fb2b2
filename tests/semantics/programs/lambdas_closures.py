"""Lambdas, closures, late binding, defaults evaluated at definition time, cell contents."""
log = []


def default(v):
    log.append(v)
    return v


late = [lambda: i for i in range(3)]
early = [lambda i=i: i for i in range(3)]
print([f() for f in late], [f() for f in early])


def make_counter():
    count = 0

    def inc(step=default(1)):
        nonlocal count
        count += step
        return count

    return inc


c1 = make_counter()
c2 = make_counter()
print(c1(), c1(), c2(), c1(10), log)
print(len(c1.__closure__), c1.__closure__[0].cell_contents, c1.__code__.co_freevars)
compose = lambda f, g: lambda x: f(g(x))
inc = lambda x: x + 1
dbl = lambda x: x * 2
print(compose(inc, dbl)(5), compose(dbl, inc)(5))
print((lambda *a, **k: (a, sorted(k.items())))(1, 2, z=3))
print((lambda: (yield 1)) is not None, list((lambda: (yield 5))()))
print(sorted(["bb", "a", "ccc"], key=lambda s: -len(s)))
adders = {n: (lambda x, n=n: x + n) for n in range(3)}
print(adders[2](10))
print(inc.__name__, inc.__qualname__, compose(inc, dbl).__qualname__)


def outer():
    v = "first"
    get = lambda: v
    v = "second"
    return get()


print(outer())
fact = lambda n: 1 if n <= 1 else n * fact(n - 1)
print(fact(10))
