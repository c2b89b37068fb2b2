# requires: numpy
"""numpy in-place updates in a loop; earlier bound names alias later-mutated arrays."""
import numpy as np

w = np.zeros(3)
history = []
for step in range(5):
    grad = np.array([1.0, -2.0, 0.5]) * (step + 1)
    w -= 0.1 * grad
    history.append(w)  # same object every time
    snapshot = w.copy()
print(w, snapshot)
print(all(h is w for h in history), len(history))
v = w[:2]
w[:] = 7
print(v, np.shares_memory(v, w))
big = np.arange(10000).reshape(100, 100)
print(big)
print(big.sum(), big[::25, ::25])
acc = np.zeros((2, 2), dtype=np.int64)
np.add.at(acc, ([0, 0, 1], [1, 1, 0]), 1)
print(acc)
c = np.array([1 + 2j, 3.5 - 1j])
print(c, c.real, abs(c).round(3))
st = np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
print(st, st["a"])
