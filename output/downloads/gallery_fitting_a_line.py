"""
Fitting a Line by Gradient Descent
==================================

This tutorial fits a straight line to noisy points with nothing but tensors and
``autograd``. It is written in the sphinx-gallery format: the text lives in comment
blocks, and every block of code runs in order.

You will learn:

- how a model with two parameters is written as tensor operations,
- how the mean squared error measures the fit,
- how :meth:`torch.Tensor.backward` fills in the gradients used for an update.
"""

import torch

torch.manual_seed(0)

######################################################################
# Making some data
# ----------------
#
# We draw 20 points near the line :math:`y = 2x + 1`, with a little
# Gaussian noise added to every :math:`y`. The true slope and intercept
# are what the fit should find again.

x = torch.linspace(0, 1, 20)
noise = 0.1 * torch.randn(20)
y = 2 * x + 1 + noise
print(y[:5])

# %%
# The model and its loss
# ----------------------
#
# The model has a slope :math:`w` and an intercept :math:`b`. For the
# :math:`n` points it predicts :math:`\hat{y}_i = w x_i + b` and is scored
# by the mean squared error
#
# .. math::
#
#    L(w, b) = \frac{1}{n} \sum_{i=1}^{n} (\hat{y}_i - y_i)^2
#
# Both parameters start at zero and have ``requires_grad=True``, so that
# autograd records every operation on them.

w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
loss = ((w * x + b - y) ** 2).mean()
print(f"loss at the start: {loss.item():.4f}")

# %%
# Gradients
# ---------
#
# Calling ``loss.backward()`` computes :math:`\partial L / \partial w` and
# :math:`\partial L / \partial b` and stores them in ``w.grad`` and ``b.grad``.
#
# .. note::
#    Gradients add up across calls to ``backward()``; that is why the
#    training loop below sets them back to zero after every step.

loss.backward()
print(w.grad, b.grad)

# %%
# Training
# --------
#
# Each step moves both parameters a little against their gradient, with a
# learning rate :math:`\eta = 0.5`:
#
# .. math::
#
#    w \leftarrow w - \eta \frac{\partial L}{\partial w}
#
# The update runs inside ``torch.no_grad()`` so that it is not itself
# recorded by autograd.

lr = 0.5
for step in range(200):
    loss = ((w * x + b - y) ** 2).mean()
    w.grad = None
    b.grad = None
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
print(f"w = {w.item():.3f}, b = {b.item():.3f}, loss = {loss.item():.5f}")

# %%
# Conclusion
# ----------
#
# The fitted slope and intercept are close to the true values 2 and 1; the
# remaining difference comes from the noise. See :ref:`the autograd tutorial
# <autograd-tutorial>` for how ``backward()`` works inside.
