"""Calling backward() Twice

A backward pass frees the intermediate values the graph saved during the forward pass. A
second backward pass through the same graph therefore fails, unless the first one was told to
keep them. This page makes the error happen on purpose, then shows the two ways around it and
what they do to `.grad`.
"""

import torch

#: A leaf tensor whose gradient we want.
x = torch.tensor(3.0, requires_grad=True)
#: Computing x² records a power node. To differentiate it later, that node saves the value of
#: `x` it was given, {x.item():g}.
y = x**2
#: The first backward pass works: dy/dx = 2x = {x.grad.item():g}. Once it is done, the graph's
#: saved values are freed to reclaim memory.
y.backward()
#: The gradient from the first pass.
print(x.grad)

#: The second pass needs the saved value of `x` again, but it is gone. PyTorch raises a
#: `RuntimeError` rather than return a wrong gradient; the `try` catches it so the message can
#: be printed.
try:
    # tracekit: raises=RuntimeError
    y.backward()
except RuntimeError as error:
    #: The message explains the cause and names the fix: `retain_graph=True`.
    print(error)

#: The gradient is untouched by the failed call: still {x.grad.item():g}.
print(x.grad)

#: A fresh forward pass builds a fresh graph, this time for x³.
z = x**3
#: `retain_graph=True` keeps the saved values, so this graph can be used again. The gradient,
#: 3x² = {3 * x.item() ** 2:g}, is *added* to the {2 * x.item():g} already in `x.grad`.
z.backward(retain_graph=True)
#: {x.grad.item():g}: the sum of both gradients, because `.grad` accumulates.
print(x.grad)
#: Because the graph was retained, a second pass now succeeds, and adds 3x² once more.
z.backward()
#: {x.grad.item():g}. This accumulation is why a training loop zeroes the gradients before
#: every backward pass.
print(x.grad)

#: Zeroing in place, as `optimizer.zero_grad()` would do for every parameter.
x.grad.zero_()
#: A new forward pass and a single backward pass now give just this graph's gradient,
#: {x.grad.item():g}.
(x**3).backward()
#: Only 3x² is left, with nothing carried over from before.
print(x.grad)
