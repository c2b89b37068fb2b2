"""Generators: send, throw, close, return values, finally blocks, StopIteration."""


def counter(start):
    total = start
    try:
        while True:
            got = yield total
            print("got", got)
            if got is None:
                total += 1
            elif got == "stop":
                return f"returned {total}"
            else:
                total += got
    except KeyError as exc:
        print("caught thrown", exc)
        yield "after-throw"
    finally:
        print("finally runs")


g = counter(10)
print(next(g))
print(g.send(5))
print(next(g))
try:
    g.send("stop")
except StopIteration as stop:
    print("StopIteration value:", stop.value)

g2 = counter(0)
next(g2)
print(g2.throw(KeyError("k")))
try:
    next(g2)
except StopIteration:
    print("exhausted")

g3 = counter(0)
next(g3)
g3.close()
print("closed", g3.gi_frame is None)


def stubborn():
    try:
        yield 1
    except GeneratorExit:
        print("GeneratorExit seen")
        yield 2


g4 = stubborn()
next(g4)
try:
    g4.close()
except RuntimeError as exc:
    print("RuntimeError:", exc)


def not_started():
    print("never printed")
    yield


g5 = not_started()
try:
    g5.send(1)
except TypeError as exc:
    print("TypeError:", exc)
g5.close()


def leaks_stop():
    yield 1
    raise StopIteration("inner")


try:
    list(leaks_stop())
except RuntimeError as exc:
    print("RuntimeError:", exc, "cause:", repr(exc.__cause__))


def fib():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


import itertools
print(list(itertools.islice(fib(), 12)))
print(g.gi_running, type(g).__name__, g.__name__, g.__qualname__)


def gen_with_state():
    x = yield
    y = yield x * 2
    return x + y


gs = gen_with_state()
next(gs)
print(gs.send(3))
try:
    gs.send(4)
except StopIteration as e:
    print("ret", e.value)
