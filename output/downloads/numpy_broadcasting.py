"""Broadcasting with Small Matrices

When two arrays of different shapes meet in an element-wise operation, NumPy stretches the
smaller one along the missing or size-1 dimensions instead of asking for a copy of matching
shape. This page uses a small table of quiz scores to show the three common cases: a row
against a matrix, a column against a matrix, and a column against a row.
"""

import numpy as np

#: Three students, four quizzes: one row per student, one column per quiz.
# tracekit: rows=Ana,Ben,Caro cols="quiz 1,quiz 2,quiz 3,quiz 4"
scores = np.array([[72.0, 85.0, 90.0, 64.0],
                   [88.0, 79.0, 95.0, 70.0],
                   [65.0, 91.0, 78.0, 82.0]])

#: Averaging down the columns (`axis=0`) gives one mean per quiz: a vector of shape
#: {quiz_means.shape}.
quiz_means = scores.mean(axis=0)
#: A {scores.shape} matrix minus a {quiz_means.shape} vector. Shapes are compared from the
#: right: 4 matches 4, and the missing leading dimension is treated as 1 and stretched to 3, so
#: the vector is subtracted from every row. Each column of the result now averages to zero.
# tracekit: rows=Ana,Ben,Caro cols="quiz 1,quiz 2,quiz 3,quiz 4"
centered = scores - quiz_means
#: The largest column mean left over is {abs(centered.mean(axis=0)).max():.1e}, zero up to
#: rounding.
print(centered.mean(axis=0))

#: A bonus per student has to line up with the rows, so it is written as a column of shape
#: {bonus.shape}: three rows, one column.
# tracekit: rows=Ana,Ben,Caro
bonus = np.array([[5.0], [0.0], [2.5]])
#: Now the size-1 dimension is the second one. It is stretched to {scores.shape[1]}, so each
#: student's bonus is added to all of that student's quizzes.
# tracekit: rows=Ana,Ben,Caro cols="quiz 1,quiz 2,quiz 3,quiz 4"
adjusted = scores + bonus

#: A one-dimensional vector of weights, one per quiz; they sum to {weights.sum():g}.
weights = np.array([0.1, 0.2, 0.3, 0.4])
#: Scaling every column by its weight is the same row-broadcast as before. Summing along each
#: row (`axis=1`) then gives one weighted grade per student, shape {final.shape}.
final = (adjusted * weights).sum(axis=1)
#: The weighted grades, rounded for display.
print(final.round(2))

#: When both operands have a size-1 dimension, both are stretched. A column of shape (3, 1)
#: times a row of shape (4,) gives a full (3, 4) table: every pairing of the two.
# tracekit: rows=x1,x2,x3 cols=x10,x20,x30,x40
table = np.array([1, 2, 3])[:, np.newaxis] * np.array([10, 20, 30, 40])
#: The result has shape {table.shape}, and `table[i, j]` is the product of the `i`-th and `j`-th
#: numbers, so the bottom-right entry is {table[-1, -1]}.
print(table)

#: Shapes that cannot be lined up are refused. Compared from the right, 4 and 3 differ and
#: neither is 1, so NumPy raises instead of guessing.
#: The message names both shapes, which is usually enough to find the operand that needs a
#: `reshape` or an extra axis. The error ends the run: it is the last lesson of this page.
scores + np.array([1.0, 2.0, 3.0])  # tracekit: raises=ValueError
