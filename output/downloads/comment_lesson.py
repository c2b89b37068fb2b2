"""A Lesson in Plain Comments

The text of this lesson is ordinary comments: each comment block explains the
code below it.
"""

import numpy as np

# Start with the numbers 0 to 399 as floating point values.
values = np.arange(400, dtype=float)
print(values.mean())

# Their squares grow quickly; the largest is almost 160,000.
squares = values**2
print(squares.max())

# Looking at the same values again: the array is unchanged.
total = values.sum()
print(total)

# Normalising divides by the largest value, so everything lies in [0, 1].
values = values / values.max()
print(values[:3])

# A running sum adds the numbers one at a time.
running = 0.0
for v in values[:5]:
    running += v
print(running)
