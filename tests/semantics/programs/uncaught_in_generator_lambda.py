"""Uncaught error raised inside a lambda inside a genexpr inside a comprehension call."""
import functools

conv = lambda s: int(s)
vals = ["1", "2", "three"]
print(sum(conv(v) for v in vals[:2]))
total = functools.reduce(lambda a, b: a + b,
                         (conv(v) for v in vals))
