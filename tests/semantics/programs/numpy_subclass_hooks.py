# requires: numpy
"""Recording never runs an array subclass's own code: its __array_function__, __array_ufunc__ and
__array_finalize__ log what python ran, and nothing more."""

import numpy as np

calls = []


class Logged(np.ndarray):
    def __array_finalize__(self, obj):
        calls.append("finalize")

    def __array_function__(self, func, types, args, kwargs):
        calls.append(func.__name__)
        return super().__array_function__(func, types, args, kwargs)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        calls.append(ufunc.__name__)
        inputs = tuple(np.asarray(i) for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getitem__(self, key):
        calls.append("getitem")
        return super().__getitem__(key)


class Broken(np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        calls.append(func.__name__)
        raise TypeError(f"no {func.__name__} here")


a = np.arange(6.0).reshape(2, 3).view(Logged)
print("made:", calls)
calls.clear()
b = a + 1
c = [a, b]
print("added:", calls)
calls.clear()
a[0, 0] = 5.0
print("set:", calls)
big = np.zeros(100).view(Broken)
print("broken:", calls)
