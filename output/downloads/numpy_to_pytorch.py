"""From NumPy to PyTorch — Side by Side

A PyTorch tensor is the counterpart of a NumPy `ndarray`: a grid of numbers with the same
indexing, the same operators and almost the same function names. This page builds one small
vector with each library, converts it back and forth, and then reads the properties that tell
the two apart: the default element type and the *device* a tensor is stored on.
"""

#: NumPy is imported first so that every PyTorch line below has a familiar line to be
#: compared with.
import numpy as np
#: This single import brings in tensors, automatic differentiation (`torch.autograd`),
#: ready-made layers (`torch.nn`) and optimizers (`torch.optim`). By convention the module
#: keeps its own short name instead of getting an alias.
import torch

#: The first block is ordinary NumPy, the style of code the previous section was written in.
# NumPy: what you already know
#: A Python list of three floats becomes a one-dimensional array. NumPy chooses the element
#: type from the data it is given; for floats that is `{x_np.dtype}`.
x_np = np.array([1.0, 2.0, 3.0])
#: NumPy prints an array without commas and marks each float with a trailing dot.
print(x_np)
#: The object belongs to NumPy's array class.
print(type(x_np))

#: Now the same three lines in PyTorch. The interesting part is how little has to change.
# PyTorch: almost identical syntax
#: `torch.tensor` takes the place of `np.array` and accepts the same list. One thing does
#: differ: PyTorch stores floats as `{x_pt.dtype}` by default, {x_pt.element_size()} bytes per
#: element where NumPy used {x_np.itemsize}. Smaller floats halve the memory and are what GPUs
#: process fastest.
x_pt = torch.tensor([1.0, 2.0, 3.0])
#: A tensor prints inside `tensor(...)`, so in mixed output it is never mistaken for an array.
print(x_pt)
#: `torch.Tensor` plays the part of `numpy.ndarray`. On top of the array operations it can
#: record how it was computed and move between devices.
print(type(x_pt))

#: The two libraries can look at one and the same block of memory. Converting is then almost
#: free, but a change made through one name shows up through the other.
# Convert NumPy → PyTorch (shared memory!)
#: `torch.from_numpy` wraps the existing array instead of copying it, so the tensor keeps the
#: array's element type, `{x_from_np.dtype}`, rather than PyTorch's usual default.
#: → shared memory = No copy is made: assigning `x_np[0] = 99` would change `x_from_np[0]`
#:    as well. Call `.clone()` on the tensor when an independent copy is needed.
x_from_np = torch.from_numpy(x_np)
#: Because its dtype is not the default float type, the printed tensor names it explicitly.
print(x_from_np)

#: The reverse trip is just as short, and it is the one to take before handing data to
#: matplotlib or any other NumPy-based tool.
# Convert PyTorch → NumPy
#: `.numpy()` also shares memory with the tensor. It only works for a tensor that is on the CPU
#: and does not require gradients; otherwise call `.cpu()` or `.detach()` first.
x_back = x_pt.numpy()
#: The round trip ends where it began, with an ordinary NumPy array.
print(x_back)

#: A tensor answers the same questions an array does, shape and element type, plus one that
#: NumPy never needs to ask: where the data are stored.
# Tensor properties (like NumPy, plus 'device')
#: The shape comes back as a `torch.Size`, which behaves like a tuple. This tensor has
#: {x_pt.dim()} dimension, of length {len(x_pt)}.
print(x_pt.shape)
#: Every element of a tensor has the same type. A `{x_pt.dtype}` element takes
#: {x_pt.element_size()} bytes, so a million of them fit in {x_pt.element_size() * 10**6 / 2**20:.1f} MiB.
print(x_pt.dtype)
#: `device` is the property with no NumPy counterpart. This tensor is in main memory
#: (`{x_pt.device}`); `x_pt.to('cuda')` would copy it to a GPU. All tensors taking part in one
#: operation must be on the same device.
print(x_pt.device)

#: Nested lists give a matrix, exactly as they do with `np.array`: each inner list becomes a row.
# 2D tensor (matrix) — same as np.array with nested lists
#: Four people with three measurements each (height, weight, age), the data set from the
#: previous section. PyTorch checks that all rows have the same length.
# tracekit: cols=height,weight,age
X = torch.tensor([
    [170.0, 65.0, 25.0],
    [160.0, 55.0, 30.0],
    [180.0, 80.0, 22.0],
    [155.0, 50.0, 35.0],
])
#: The shape reads exactly as in NumPy: {X.shape[0]} rows, one per data point, and
#: {X.shape[1]} columns, one per feature. In deep-learning terms this is a batch of
#: {X.shape[0]} inputs with {X.shape[1]} features each.
print(X.shape)
