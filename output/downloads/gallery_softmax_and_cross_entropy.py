"""
Softmax and Cross-Entropy from Scratch
======================================

Classifiers turn raw scores into probabilities with the *softmax* function and
are trained by minimising the *cross-entropy*. This tutorial computes both by
hand and checks them against :func:`torch.nn.functional.cross_entropy`.
"""

import torch
import torch.nn.functional as F

# %%
# Scores for three classes
# ------------------------
#
# A model gives one score (a *logit*) per class. Here are the logits of two
# examples, one row each:

logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
targets = torch.tensor([0, 1])
print(logits.shape)

# %%
# Softmax
# -------
#
# Softmax exponentiates each score and divides by the sum of the row:
#
# .. math::
#
#    \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}
#
# Subtracting the largest score first does not change the result but keeps
# ``exp`` from overflowing for large scores.

shifted = logits - logits.max(dim=1, keepdim=True).values
probs = shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)
print(probs)
print(probs.sum(dim=1))

# %%
# Cross-entropy
# -------------
#
# The loss of one example is the negative log-probability of its true class,
# :math:`-\log p_{y}`, and the batch loss is the mean over the examples.
#
# 1. pick the probability of the target class in each row,
# 2. take its logarithm,
# 3. average and change the sign.

picked = probs[torch.arange(2), targets]
loss = -picked.log().mean()
print(f"by hand: {loss.item():.6f}")

# %%
# Checking against PyTorch
# ------------------------
#
# ``F.cross_entropy`` takes the logits directly: it applies ``log_softmax``
# and the negative log-likelihood in one numerically stable step.

reference = F.cross_entropy(logits, targets)
print(f"PyTorch: {reference.item():.6f}")
print(torch.allclose(loss, reference))
