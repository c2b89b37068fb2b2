"""PyTorch Operations — Familiar Territory

Element-wise arithmetic, the dot product and matrix multiplication are written with the same
operators in PyTorch as in NumPy, and they give the same numbers.
"""

#: Tensor arithmetic needs nothing beyond the core module.
import torch

#: A vector of three floats, the first operand for everything that follows.
a = torch.tensor([1.0, 2.0, 3.0])
#: A second vector of the same shape. Element-wise operations pair up positions, so the two
#: shapes must match (or be broadcastable, a rule covered later).
b = torch.tensor([4.0, 5.0, 6.0])

#: An element-wise operation takes the two entries at each position and combines that pair on
#: its own, independently of all the other positions.
# Element-wise addition — identical to NumPy
#: `+` adds matching positions, `c[i] = a[i] + b[i]`, and the result has the shape of the
#: inputs.
#: → c[0] = {a[0].item():g} + {b[0].item():g} = {c[0].item():g}
c = a + b
#: The same sums NumPy would give for `np.array([1, 2, 3]) + np.array([4, 5, 6])`, wrapped in
#: `tensor(...)`.
print(c)

#: Multiplication follows the same pattern. It is the element-wise (Hadamard) product, not the
#: dot product: the result is still a vector.
# Element-wise multiplication
#: `*` multiplies matching positions, `d[i] = a[i] * b[i]`, giving {d.numel()} values. In NumPy
#: the same operation is `a * b` or `np.multiply(a, b)`.
#: → d[2] = {a[2].item():g} × {b[2].item():g} = {d[2].item():g}
d = a * b
#: Adding these products together would give the dot product, {d.sum().item():g}.
print(d)

#: The dot product is the sum of the element-wise products. It is the weighted sum that every
#: neuron computes, which makes it the most frequent operation in a neural network.
# Dot product: sum of element-wise products
#: `torch.dot` accepts only one-dimensional tensors (matrices use `@` or `torch.matmul`) and
#: returns a tensor with no dimensions at all.
#: → calculation = {a[0].item():g}×{b[0].item():g} + {a[1].item():g}×{b[1].item():g} +
#:    {a[2].item():g}×{b[2].item():g} = {dot.item():g}
dot = torch.dot(a, b)
#: A single number, printed as a tensor of shape `{tuple(dot.shape)}`: zero dimensions.
print(dot)

#: `@` means matrix multiplication in PyTorch just as in NumPy. It is what lets a layer process a
#: whole batch of inputs in one operation.
# Matrix multiplication with @
#: A {X.shape[0]}×{X.shape[1]} matrix. Read it as {X.shape[0]} data points with {X.shape[1]}
#: features each.
X = torch.tensor([[1.0, 2.0],
                  [3.0, 4.0]])
#: A second matrix of the same size. In a network this would be a layer's weights.
W = torch.tensor([[5.0, 6.0],
                  [7.0, 8.0]])
#: Entry `[i][j]` of the product is the dot product of row `i` of `X` with column `j` of `W`.
#: The inner sizes must agree: an (m×n) matrix times an (n×p) matrix gives an (m×p) matrix.
#: → result[0][0] = {X[0, 0].item():g}×{W[0, 0].item():g} + {X[0, 1].item():g}×{W[1, 0].item():g} = {result[0, 0].item():g}
#: → result[1][1] = {X[1, 0].item():g}×{W[0, 1].item():g} + {X[1, 1].item():g}×{W[1, 1].item():g} = {result[1, 1].item():g}
result = X @ W
#: The {result.shape[0]}×{result.shape[1]} product, the same matrix `np.matmul(X, W)` returns
#: for the same data.
print(result)
