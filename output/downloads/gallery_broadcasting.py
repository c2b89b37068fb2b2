"""
Broadcasting in NumPy and PyTorch
=================================

*Broadcasting* lets arithmetic combine arrays of different shapes without
copying data. NumPy and PyTorch follow the same rules, shown here side by side.
"""

import numpy as np
import torch

###############################################################################
# The rules
# ---------
#
# Two shapes are compared from their last dimension backwards. Each pair of
# sizes must be
#
# * equal, or
# * one of them is ``1`` (it is stretched to match), or
# * missing (the shorter shape is padded with ones on the left).
#
# The result has, in every dimension, the larger of the two sizes.

a = np.arange(6).reshape(2, 3)
row = np.array([10, 20, 30])
print(a + row)

###############################################################################
# A column and a row
# ------------------
#
# A column of shape ``(3, 1)`` and a row of shape ``(1, 4)`` broadcast to a
# ``(3, 4)`` table: entry :math:`(i, j)` is :math:`c_i + r_j`.

col = torch.arange(3).reshape(3, 1)
r = torch.arange(4).reshape(1, 4)
table = col * 10 + r
print(table.shape)
print(table)

###############################################################################
# Centring the columns of a matrix
# --------------------------------
#
# Subtracting the column means
#
# .. math::
#
#    \bar{x}_j = \frac{1}{m} \sum_{i=1}^{m} x_{ij}
#
# from every row is one line: the means have shape ``(3,)`` and broadcast
# against the ``(4, 3)`` data.

data = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]])
centred = data - data.mean(dim=0)
print(centred.mean(dim=0))

###############################################################################
# When shapes do not match
# ------------------------
#
# Shapes ``(2, 3)`` and ``(2,)`` cannot be broadcast: the last sizes, 3 and
# 2, differ and neither is 1. Adding a dimension with ``None`` (or
# ``unsqueeze``) fixes it.

v = torch.tensor([100, 200])
print((torch.from_numpy(a) + v[:, None]).tolist())
