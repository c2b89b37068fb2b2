# requires: torch
"""A tiny nn.Linear training loop with SGD: deterministic losses and parameters."""
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
xs = torch.randn(16, 3)
ys = xs.sum(dim=1, keepdim=True)
losses = []
for epoch in range(20):
    opt.zero_grad()
    pred = model(xs)
    loss = nn.functional.mse_loss(pred, ys)
    loss.backward()
    opt.step()
    losses.append(round(loss.item(), 4))
print(losses[0], losses[-1], losses[-1] < losses[0])
print(model)
for name, p in model.named_parameters():
    print(name, tuple(p.shape), p.requires_grad)
print(model[0].weight)
with torch.no_grad():
    print(model(torch.ones(1, 3)))
print(sum(p.numel() for p in model.parameters()))
