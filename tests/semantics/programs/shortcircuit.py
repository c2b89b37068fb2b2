"""and/or/not, conditional expressions and chained comparisons: lazy and exactly-once."""
log = []


def f(x, tag=None):
    log.append(tag if tag is not None else x)
    return x


def show(*vals):
    print(*vals, log)
    log.clear()


show(f(0) and f(1))
show(f(2) and f(3))
show(f(0) or f("") or f(None))
show(f([]) or f("fallback"))
show(not f(0))
show(f(1) if f(False, "cond") else f(2))
show(1 < f(2) < 3)
show(3 < f(2) < f(10, "never"))
show(1 < f(5) < f(4, "third") < f(10, "fourth"))
show(f(1) == f(1.0) is not f(None))
show(f(1) in f([1, 2]) not in f([[True]]))
x = 5
show(0 <= x < 10 == 10 > 9)
show(f(0) or f(0) and f(1, "skipped?"))
show(f(1) and f(0) or f(2))
show(any(f(i) for i in [0, 0, 3, 4]))
show(all(f(i) for i in [1, 0, 3]))
zs = [f(i) for i in range(4) if i % 2 and f(i * 10)]
show(zs)
show(f(None) is None or f("never"))
