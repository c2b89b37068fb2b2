# requires: torch
"""An uncaught torch shape error: exit status 1, traceback pointing at the script line."""
import torch

a = torch.ones(2, 3)
b = torch.ones(4, 5)
print("shapes", a.shape, b.shape)
c = a @ b
print("never")
