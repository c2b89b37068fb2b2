# requires: numpy
"""numpy: creation, broadcasting, views vs copies, in-place ops, printing, scalar reprs."""
import numpy as np

np.set_printoptions(precision=4, suppress=True)
a = np.arange(12, dtype=np.float64).reshape(3, 4)
print(a)
print(a.shape, a.dtype, a.strides, a.ndim)
row = a[1]
row *= 10  # a view: modifies a
print(a)
col = a[:, 2].copy()
col += 1000
print(a[:, 2], col)
b = a @ a.T
print(b)
print(a.sum(axis=0), a.mean(), a.max(), np.float64(1.5) * 2, repr(np.float32(0.1)))
print(np.linspace(0, 1, 5), np.eye(2, dtype=int))
m = a > 50
print(m, a[m])
a[m] = -1
print(a)
z = np.zeros(3)
z[[0, 2]] += 1
print(z, np.nan, np.array([np.nan, np.inf, -np.inf]))
rng = np.random.default_rng(0)
print(rng.integers(0, 10, 5), rng.random(2).round(4))
s = np.array(["a", "bb"])
print(s, s.dtype, np.array([1, 2]) == np.array([1, 3]))
try:
    if np.array([1, 2]):
        pass
except ValueError as exc:
    print("ValueError:", exc)
x = np.ones((2, 2))
y = x
y += 1
print(x, x is y)
print(np.__name__, type(a).__name__, repr(a[0, 0]), a.tolist()[0])
