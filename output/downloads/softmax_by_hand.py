"""Softmax by Hand

Softmax turns a vector of raw scores (logits) into probabilities: exponentiate every score,
then divide by the total. This page builds it step by step, checks it against
`torch.softmax`, and then breaks the naive version with large scores to show why every
library subtracts the maximum first.
"""

import torch

torch.set_printoptions(precision=4, sci_mode=False)  # tracekit: hide

#: Three raw scores, for example a classifier's outputs for the classes cat, dog and bird.
logits = torch.tensor([2.0, 1.0, 0.1])

#: `torch.exp` makes every score positive while keeping their order: the largest score,
#: {logits.max().item():g}, becomes the largest value, {exps.max().item():.4f}.
exps = torch.exp(logits)
#: The normalizing constant: the sum of all exponentials, {total.item():.4f}.
total = exps.sum()
#: Dividing by the total makes the entries sum to one, so they can be read as probabilities.
#: The first class gets {probs[0].item():.1%}.
#: → check = probs.sum() = {probs.sum().item():.6f}
probs = exps / total
#: The hand-made probabilities.
print(probs)

#: PyTorch's built-in version along dimension 0. The largest difference from the hand-made
#: result is {(builtin - probs).abs().max().item():.1e}.
builtin = torch.softmax(logits, dim=0)
#: `torch.allclose` confirms the two agree to within floating-point rounding.
print(torch.allclose(builtin, probs))

#: Softmax only depends on the differences between the scores, so shifting all of them by
#: the same amount must not change the result. Large scores are where the naive formula fails.
# Large logits: the naive formula overflows
big = logits + 1000
#: e¹⁰⁰⁰ is far beyond the largest float32 ({torch.finfo(torch.float32).max:.3e}), so every
#: exponential is `inf`, and inf / inf is `nan`.
naive = torch.exp(big) / torch.exp(big).sum()
#: Not a number in sight: {int(torch.isnan(naive).sum())} of the {naive.numel()} entries are
#: `nan`.
print(naive)

#: The fix: subtract the largest score first. The biggest exponent is then e⁰ = 1, nothing can
#: overflow, and the shift cancels out in the division.
shifted = big - big.max()
#: The same probabilities as for the original scores. The largest difference from `probs`,
#: {(stable - probs).abs().max().item():.1e}, comes from rounding: in float32, adding 1000 to
#: the scores keeps fewer of their digits after the point.
stable = torch.exp(shifted) / torch.exp(shifted).sum()
#: The stable result, which is what `torch.softmax` computes internally.
print(stable)
