# requires: torch
"""torch: tensor creation, printing, in-place ops on views, dtype/device, broadcasting."""
import torch

torch.manual_seed(0)
x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
print(x)
print(x.shape, x.dtype, x.device, x.requires_grad, x.is_leaf)
v = x[0]
v.add_(100)  # in-place on a view changes x
print(x)
y = x.clone()
y.mul_(2).sub_(1)
print(y, x.data_ptr() != y.data_ptr())
x += 1
print(x)
r = torch.randn(2, 2)
print(r)
print(torch.tensor([1.5, float("nan"), float("inf")]), torch.tensor(3), torch.tensor([True]))
print(x.sum(), x.mean(dim=0), x.max())
print(x @ x.T)
m = x > 50
print(m, x[m])
x[m] = 0
print(x)
print(torch.zeros(3, dtype=torch.int64), torch.ones(2, 2, dtype=torch.float64))
try:
    torch.ones(2, 3) @ torch.ones(2, 3)
except RuntimeError as exc:
    print("RuntimeError:", exc)
t = torch.tensor([[1, 2], [3, 4]])
print(t.T.is_contiguous(), t.view(-1), t.numpy().tolist())
print(torch.__version__.split("+")[0] != "", type(x).__name__)
