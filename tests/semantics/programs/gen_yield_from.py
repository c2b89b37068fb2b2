"""yield from: delegation of send/throw/close, return values, iterables."""


def inner():
    try:
        x = yield "inner-1"
        print("inner got", x)
        y = yield "inner-2"
        print("inner got", y)
    except ValueError as exc:
        print("inner caught", exc)
        yield "inner-recovered"
    finally:
        print("inner finally")
    return "inner-result"


def outer():
    result = yield from inner()
    print("outer got result", result)
    yield from range(2)
    yield from "ab"
    r2 = yield from []
    print("empty yield from returns", r2)
    return "outer-done"


g = outer()
print(next(g))
print(g.send("A"))
print(g.send("B"))
print(list(g))

g = outer()
next(g)
print(g.throw(ValueError("boom")))
g.close()


def deleg_close():
    yield from inner()


g = deleg_close()
next(g)
g.close()
print("closed")


def chain(*its):
    for it in its:
        yield from it


print(list(chain([1, 2], (3,), {4: None})))


def tree(depth):
    if depth == 0:
        yield "leaf"
        return 1
    a = yield from tree(depth - 1)
    b = yield from tree(depth - 1)
    return a + b


t = tree(3)
items = []
while True:
    try:
        items.append(next(t))
    except StopIteration as stop:
        print(len(items), "leaves, count", stop.value)
        break
