"""Your First Automatic Gradient

We evaluate y = x² + 3x + 1 at x = 2 and ask PyTorch for the derivative dy/dx. Calculus says
the derivative is 2x + 3, so the answer can be checked by hand.
"""

#: Automatic differentiation lives in the core module; nothing else has to be imported.
import torch

#: This is the flag that turns an ordinary tensor into one PyTorch can differentiate with
#: respect to.
# Create a tensor that TRACKS GRADIENTS
#: A tensor with no dimensions holding the single value {x.item():g}. `requires_grad=True`
#: asks PyTorch to record every operation that uses `x`, so that derivatives with respect to
#: `x` can be computed later. Its `.grad` is empty for now: `{x.grad}`.
x = torch.tensor(2.0, requires_grad=True)
#: The printout says `requires_grad=True`; PyTorch always shows which tensors are tracked.
print(x)

#: The forward pass computes an output from the input. In a network that output is the
#: prediction; here it is a polynomial.
# Forward pass: compute y = x² + 3x + 1
#: The value is plain arithmetic: {(x**2).item():g} + {(3*x).item():g} + 1 = {y.item():g}. At the
#: same time PyTorch records each operation (`**`, `*`, `+`) as a node of a graph, and
#: `y.grad_fn` points at the node of the last one.
y = x**2 + 3*x + 1
#: `grad_fn=<{y.grad_fn.name()}>` in the output is the visible trace of that recording: the
#: last operation was the final `+ 1`. Following `grad_fn.next_functions` leads back through
#: the whole graph.
print(y)

#: One call runs the recorded graph in reverse, applying the chain rule at every node.
# Backward pass: compute dy/dx automatically!
#: `backward()` starts at `y` with a gradient of 1, passes it back through each node, multiplies
#: by that node's local derivative, and adds what arrives at `x` into `x.grad`. Afterwards the
#: graph is freed, so a second `y.backward()` would fail unless this call had passed
#: `retain_graph=True`.
y.backward()

#: After the backward pass, every leaf tensor that requires gradients holds its gradient in
#: `.grad`.
# The gradient is stored in x.grad
#: At x = {x.item():g} the derivative is {x.grad.item():g}: raising `x` by a small amount ε raises
#: `y` by about {x.grad.item():g}·ε. The sign and size of this number are exactly what an optimizer
#: uses to decide how to move a parameter.
print(x.grad)
#: Differentiating term by term: x² gives 2x, 3x gives 3, and the constant 1 gives 0, so
#: dy/dx = 2x + 3. At x = {x.item():g} that is {2 * x.item() + 3:g}, the same value autograd
#: found without being told any calculus.
# Verify: dy/dx = 2x + 3
