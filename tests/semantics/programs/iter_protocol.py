"""Iteration protocol: __iter__/__next__, __getitem__ fallback, iter(callable, sentinel)."""


class Countdown:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        print("__iter__ called")
        return self

    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n + 1


class Seq:
    def __getitem__(self, i):
        if i >= 3:
            raise IndexError
        return i * 10


for v in Countdown(3):
    print("countdown", v)
print(list(Seq()), 20 in Seq())
calls = iter([1, 2, 3, 0, 5])
print(list(iter(lambda: next(calls), 0)))
it = iter([1, 2])
print(next(it), next(it), next(it, "default"))
try:
    next(it)
except StopIteration:
    print("StopIteration")
print(list(zip(range(3), "ab")), list(map(lambda a, b: a + b, [1, 2], [10, 20])))
print(list(reversed(range(3))), list(enumerate("xy", start=1)), sorted({3, 1, 2}))
try:
    for z in 5:
        pass
except TypeError as exc:
    print("TypeError:", exc)
a, b, *c = Countdown(4)
print(a, b, c)
print(sum(Countdown(4)), max(Seq()), dict(zip("ab", Countdown(2))))
