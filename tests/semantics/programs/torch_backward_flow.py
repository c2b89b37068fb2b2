# requires: torch
"""torch backward with its gradients recorded: same grads, retain_graph as python's, no hook left."""

import gc

import torch


def left_over():
    """Hooks of tracekit's graph recorder still alive: one left on a node of a graph would be."""
    return sum(1 for o in gc.get_objects() if type(o).__name__ == "function" and o.__module__ == "tracekit._autograd" and "<locals>" in o.__qualname__)


x = torch.tensor(2.0, requires_grad=True)
y = x**2 + 3 * x + 1
y.backward(retain_graph=True)
print(x.grad, left_over())
y.backward()
print(x.grad, left_over())
try:
    y.backward()
except RuntimeError as exc:
    print("RuntimeError:", str(exc).split(".")[0])
print(x.grad, left_over())

# a hook of the program's own raises halfway through the backward pass
x.grad = None
h = x * 2
h.register_hook(lambda g: 1 / 0)
z = h * 3 + x
try:
    z.backward()
except ZeroDivisionError as exc:
    print("ZeroDivisionError:", exc)
print(x.grad, left_over())


def step(scale):
    w = x * scale
    return w.backward()


print(step(5.0), x.grad, left_over())
v = torch.tensor([1.0, 2.0], requires_grad=True)
(v * v).sum().backward(create_graph=True)
print(v.grad, v.grad.grad_fn is not None, left_over())
(g,) = torch.autograd.grad((v**3).sum(), v)
torch.autograd.backward([(v * 4).sum()])
print(g, v.grad, left_over())
