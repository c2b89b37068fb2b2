"""The Graph of a Polynomial, at Several Points

The function y = x² + 3x + 1 evaluated with autograd at a handful of inputs. Each input is a run
of its own; pick one above the listing to see its forward values, its graph and the gradients
the backward pass sent through it.
"""

import torch

#: The point where the polynomial is evaluated. This page holds one recorded run per value.
x0 = 2.0  # tracekit: vary=-3.0,-1.5,0.0,2.0,4.0

#: A leaf tensor that records every operation done with it: x = {x.item():g}.
x = torch.tensor(x0, requires_grad=True)

#: The forward pass: x² = {(x**2).item():g}, 3x = {(3*x).item():g}, and y = {y.item():g}.
#: Four operations, four nodes in the graph behind `y.grad_fn`.
y = x**2 + 3 * x + 1

#: The backward pass starts at `y` with the gradient 1. The addition nodes pass it on unchanged;
#: the power node multiplies it by 2x and the product node by 3, and the two paths meet at `x`.
#: Step through it with the Backward button below the graph.
y.backward()

#: The two contributions add up: 2x + 3 = 2·{x0:g} + 3 = {x.grad.item():g}, as calculus says.
dy_dx = x.grad.item()
print(f"x = {x0:g}: y = {y.item():g}, dy/dx = {dy_dx:g}")
