# -*- coding: latin-1 -*-
"""A latin-1 encoded source file with a coding declaration."""
text = "café über"
print(text, len(text), [hex(ord(c)) for c in text if ord(c) > 127])
import inspect


def f():
    return "à"


print(inspect.getsource(f), end="")
print(f.__code__.co_firstlineno)
