# requires: torch
"""torch autograd: backward, grad accumulation, no_grad, detach, retain_grad, hooks."""
import torch

torch.manual_seed(0)
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
x = torch.tensor([0.5, 1.0, 2.0])
y = (w * x).sum() ** 2
print(y, y.grad_fn is not None, type(y.grad_fn).__name__)
y.backward()
print(w.grad)
loss = (w ** 2).sum()
loss.backward()
print(w.grad)  # accumulated
w.grad.zero_()
with torch.no_grad():
    w -= 0.1 * w
    z = w * 2
print(w, z.requires_grad, w.is_leaf)
h = w * 3
h.retain_grad()
out = h.sigmoid().sum()
seen = []
w.register_hook(lambda g: seen.append(g.clone()))
out.backward()
print(h.grad, w.grad, len(seen))
d = w.detach()
d[0] = 100.0
print(w)
a = torch.tensor(2.0, requires_grad=True)
b = a * a * a
(g,) = torch.autograd.grad(b, a, create_graph=True)
(g2,) = torch.autograd.grad(g, a)
print(g, g2)
try:
    b.backward()
    b.backward()
except RuntimeError as exc:
    print("RuntimeError:", str(exc).split(".")[0])
