"""
A Small Network as an ``nn.Module``
===================================

A recipe in the PyTorch tutorials' style: define a module whose layers are built
in ``__init__``, run data through it, train it for a few hundred steps and switch
it between training and evaluation.
"""

import torch
from torch import nn

torch.manual_seed(0)

###############################################################################
# Defining the module
# -------------------
#
# The layers are attributes set in ``__init__``; ``forward`` says how data flows
# through them.


class TinyNet(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.act = nn.ReLU()
        self.out = nn.Linear(n_hidden, 1)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


model = TinyNet(3, 8)
print(model)

###############################################################################
# Counting parameters
# -------------------

n_params = sum(p.numel() for p in model.parameters())
print(f"{n_params} parameters")

###############################################################################
# Data
# ----
#
# The target is a fixed linear function of the inputs.

x = torch.randn(64, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
model(x[:2])

###############################################################################
# Training
# --------
#
# Stochastic gradient descent on the mean squared error, 300 steps.

model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()
for step in range(300):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
print(f"final loss {loss.item():.4f}")

###############################################################################
# Evaluation mode
# ---------------
#
# ``eval()`` returns the module itself; predictions need no gradients.

model.eval()
with torch.no_grad():
    pred = model(x[:4])
pred.squeeze(1)
