# requires: torch
"""torch.utils.swap_tensors works on tensors the recorded lines changed: no weakref is attached to them."""
import weakref

import torch

t1 = torch.tensor([1.0, 2.0])
t2 = torch.tensor([3.0, 4.0, 5.0])
t1.add_(1)
t2.mul_(2)
torch.utils.swap_tensors(t1, t2)
print(t1, t2, weakref.getweakrefcount(t1), weakref.getweakrefcount(t2))


def swap_in_function(a, b):
    a.add_(1)
    pair = [a, b]
    pair[0].mul_(3)
    torch.utils.swap_tensors(a, b)
    return a, b


print(swap_in_function(torch.zeros(2), torch.ones(3)))

lin = torch.nn.Linear(2, 1)
with torch.no_grad():
    lin.weight.fill_(0.5)
loss = lin(torch.ones(1, 2)).sum()
loss.backward()
print(weakref.getweakrefcount(lin.weight), lin.weight.grad)
torch.__future__.set_swap_module_params_on_conversion(True)
lin = lin.to(torch.float64)
print(lin.weight.dtype, lin.weight)
torch.utils.swap_tensors(lin.weight, torch.nn.Parameter(torch.full((1, 2), 2.0, dtype=torch.float64)))
print(lin.weight)
