"""Same Neuron, Same Numbers — But Now With Gradient Tracking

A layer of two ReLU neurons, applied to four people with three features each, computed once
with NumPy and once with PyTorch. The numbers agree; the difference is that PyTorch also
records how each result was produced.
"""

#: Both libraries are needed: NumPy for the version from the previous section, PyTorch for the
#: version that tracks gradients.
import numpy as np
#: The PyTorch half of the comparison.
import torch

#: First the neuron exactly as it was written in NumPy. It is the baseline the PyTorch version
#: has to reproduce.
# ── NumPy version (from Section 1) ──────────────
#: The input: one row per person, one column per feature, {X_np.shape[0]}×{X_np.shape[1]} in
#: all.
# tracekit: cols=height,weight,age
X_np = np.array([[170.0, 65.0, 25.0],
                 [160.0, 55.0, 30.0],
                 [180.0, 80.0, 22.0],
                 [155.0, 50.0, 35.0]])
#: The weights of the layer. Row `k` holds the {W_np.shape[1]} input weights of neuron `k`, so
#: the matrix has one row per neuron.
# tracekit: rows=neuron1,neuron2 cols=height,weight,age
W_np = np.array([[0.01, -0.02, 0.03],
                 [0.02,  0.01, -0.01]])
#: One bias per neuron, both starting at zero.
b_np = np.array([0.0, 0.0])

#: The forward pass. Transposing `W_np` turns its shape from {W_np.shape} into {W_np.T.shape},
#: so `X_np @ W_np.T` is defined and has one row per person and one column per neuron; the
#: bias is then added to every row.
# tracekit: rows="person 0,person 1,person 2,person 3" cols=neuron1,neuron2
Z_np = X_np @ W_np.T + b_np
#: ReLU keeps positive values and replaces negative ones with zero, and `np.maximum(0, Z_np)` is
#: exactly that, element by element. Here {int((Z_np <= 0).sum())} of the {Z_np.size} values
#: are at or below zero, so the activation leaves the matrix unchanged.
# tracekit: rows="person 0,person 1,person 2,person 3" cols=neuron1,neuron2
A_np = np.maximum(0, Z_np)      # ReLU
#: A label, so the two printouts can be told apart.
print("NumPy output:")
#: The NumPy result. The PyTorch version below has to print the same numbers.
print(A_np)

#: Now the same layer in PyTorch. The code hardly changes; what matters is the
#: `requires_grad=True` on the parameters.
# ── PyTorch version ─────────────────────────────
#: The same input data as a tensor. It gets no `requires_grad`: the data are given, and it is
#: the weights, not the inputs, that training will change.
# tracekit: cols=height,weight,age
X = torch.tensor([[170.0, 65.0, 25.0],
                  [160.0, 55.0, 30.0],
                  [180.0, 80.0, 22.0],
                  [155.0, 50.0, 35.0]])

#: This flag is the whole reason to switch libraries: it lets PyTorch work out how the output
#: depends on `W` and `b`, which is the information learning needs.
# The KEY difference: requires_grad=True!
#: The same weight values as in NumPy, but now PyTorch tracks every operation that uses them,
#: and after a backward pass `W.grad` will say how to adjust each weight.
# tracekit: rows=neuron1,neuron2 cols=height,weight,age
W = torch.tensor([[0.01, -0.02, 0.03],
                  [0.02,  0.01, -0.01]],
                 requires_grad=True)
#: The bias is a learnable parameter too. `W` and `b` are *leaf* tensors: created directly, not
#: computed from other tensors.
b = torch.tensor([0.0, 0.0], requires_grad=True)

#: The same expression as the NumPy line, giving the same numbers. Behind the scenes PyTorch
#: records that `Z` came from a matrix product followed by an addition, and `Z.grad_fn` is
#: `{Z.grad_fn.name()}`.
# tracekit: rows="person 0,person 1,person 2,person 3" cols=neuron1,neuron2
Z = X @ W.T + b
#: PyTorch's ReLU does what `np.maximum(0, Z)` did, and it is recorded as well: PyTorch knows
#: its derivative is 1 where `Z > 0` and 0 elsewhere.
# tracekit: rows="person 0,person 1,person 2,person 3" cols=neuron1,neuron2
A = torch.relu(Z)
#: The label for the second printout.
print("\nPyTorch output:")
#: The same numbers as the NumPy printout; the largest difference between the two results is
#: {abs(A.detach().numpy() - A_np).max():.1e}. Only the `grad_fn` at the end is new.
print(A)
#: Next, a look at the graph PyTorch has built.
print("\ngrad_fn chain:")
#: `A` was produced by the ReLU, so its `grad_fn` is the ReLU's backward node.
#: → the chain = A ← relu ← Z ← add ← (X @ W.T, b) ← matmul ← (X, W)
print(f"  A.grad_fn = {A.grad_fn}")
#: `Z` was produced by adding the bias to the matrix product, so its `grad_fn` is an addition
#: node. Every computed tensor remembers the operation that made it.
print(f"  Z.grad_fn = {Z.grad_fn}")
