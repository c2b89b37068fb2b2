"""Generator expressions: laziness, eager first iterable, late errors, scoping."""
log = []


def src(n):
    log.append(("src", n))
    return range(n)


g = (x * 2 for x in src(3))
print("created", log)
print(next(g), log)
print(list(g))
log.clear()

try:
    bad = (x for x in 5)
except TypeError as exc:
    print("TypeError at creation:", exc)

lazy_error = (1 / x for x in [1, 0])
print(next(lazy_error))
try:
    next(lazy_error)
except ZeroDivisionError as exc:
    print("ZeroDivisionError:", exc)

pairs = ((i, j) for i in range(3) for j in src(i))
print(list(pairs), log)
print(sum(x * x for x in range(10)))
print(tuple(c.upper() for c in "abc" if c != "b"))
x = "outer"
gen = (x for x in "inner")
print(list(gen), x)


class C:
    n = 3
    vals = [n * i for i in range(3)] if False else None
    try:
        lst = [n for _ in range(2)]
    except NameError as exc:
        err = str(exc)


print(C.err)
nested = [[(r, c) for c in range(2)] for r in range(2)]
print(nested)
print(sorted({v % 3 for v in range(10)}), {k: k ** 2 for k in range(4)})
