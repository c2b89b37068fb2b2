"""with statements: enter/exit order, suppression, contextmanager, ExitStack, targets."""
import contextlib


class CM:
    def __init__(self, name, suppress=False):
        self.name, self.suppress = name, suppress

    def __enter__(self):
        print("enter", self.name)
        return self

    def __exit__(self, et, ev, tb):
        print("exit", self.name, et.__name__ if et else None, ev)
        return self.suppress


with CM("a") as a, CM("b") as b:
    print("body", a.name, b.name)

with CM("outer", suppress=True):
    with CM("inner"):
        raise ValueError("boom")
    print("not reached")
print("after suppression")

with CM("x") as t, CM("y"):
    pass


@contextlib.contextmanager
def managed(tag):
    print("setup", tag)
    try:
        yield tag.upper()
    except KeyError as exc:
        print("handled in generator", exc)
    finally:
        print("teardown", tag)


with managed("m") as m:
    print("got", m)
with managed("k"):
    raise KeyError("key")
print("KeyError suppressed by generator")

with contextlib.suppress(ZeroDivisionError):
    1 / 0
print("suppress ok")

with contextlib.ExitStack() as stack:
    for n in ("s1", "s2"):
        stack.enter_context(CM(n))
    stack.callback(print, "callback ran")

items = [None, None]
with CM("targets") as items[0], CM("targets2") as items[1]:
    pass
print([type(i).__name__ for i in items], items[0].name)


class Pair:
    def __enter__(self):
        return (1, 2)

    def __exit__(self, *a):
        return None


with Pair() as (p, q):
    print("unpacked", p, q)

try:
    with CM("raise-through"):
        raise RuntimeError("through")
except RuntimeError as exc:
    print("propagated", exc)


class BadEnter:
    def __enter__(self):
        raise OSError("enter failed")

    def __exit__(self, *a):
        print("never")


try:
    with BadEnter():
        pass
except OSError as exc:
    print("OSError", exc)
try:
    with object():
        pass
except TypeError as exc:
    print("TypeError:", exc)
with open(__file__) as fh:
    first = fh.readline()
print(first.strip(), fh.closed)
