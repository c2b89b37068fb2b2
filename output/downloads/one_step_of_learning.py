"""The Complete Training Step — Forward, Loss, Backward, Update

One neuron with a sigmoid output learns to tell two classes of people apart. This page runs a
single training step by hand: predict, measure the error, compute gradients, and move the
parameters a little way downhill.
"""

#: Tensors and autograd come from the core module.
import torch
#: `torch.nn.functional` provides losses and activations as plain functions. The alias `F` is
#: the convention nearly every PyTorch codebase follows.
import torch.nn.functional as F

#: Supervised learning needs two things: inputs and the answers the model should give for them.
# Input data and true labels
#: The same four people as before. The data are fixed, so there is no `requires_grad`.
# tracekit: rows="person 0,person 1,person 2,person 3" cols=height,weight,age
X = torch.tensor([[170.0, 65.0, 25.0],
                  [160.0, 55.0, 30.0],
                  [180.0, 80.0, 22.0],
                  [155.0, 50.0, 35.0]])
#: The correct class of each person: persons 0 and 2 are in class 1, persons 1 and 3 in class 0.
#: The model has to learn to predict these labels from the features.
y_true = torch.tensor([1.0, 0.0, 1.0, 0.0])

#: The parameters are the numbers training is allowed to change.
# Learnable parameters
#: A single output neuron: one row with a weight for each of the {W.shape[1]} features.
#: `requires_grad=True` because these are the values being optimized.
# tracekit: cols=height,weight,age
W = torch.tensor([[0.01, -0.02, 0.03]],
                 requires_grad=True)
#: The neuron's bias, learnable as well.
b = torch.tensor([0.0], requires_grad=True)

#: The forward pass turns inputs into predictions: a linear map, then a sigmoid that squeezes
#: each score into a probability.
# ── Step 1: Forward pass ──────────────────────
#: Each person's weighted sum plus the bias. A ({X.shape[0]}×{X.shape[1]}) matrix times a
#: ({W.T.shape[0]}×{W.T.shape[1]}) matrix gives one raw score per person, in a column.
#: → person 0 = {X[0, 0].item():g}×{W[0, 0].item():g} + {X[0, 1].item():g}×({W[0, 1].item():g}) +
#:    {X[0, 2].item():g}×{W[0, 2].item():g} = {Z[0, 0].item():.4f}
# tracekit: rows="person 0,person 1,person 2,person 3"
Z = X @ W.T + b
#: Two steps in one line. `.squeeze()` drops the size-1 dimension, turning shape
#: {tuple(Z.shape)} into {tuple(Z.squeeze().shape)} to match `y_true`. Then the sigmoid
#: σ(z) = 1 / (1 + e^(−z)) maps every score into (0, 1), read as the probability of class 1.
#: All {int((y_pred > 0.5).sum())} predictions are above 0.5, so the model currently puts every
#: person in class 1, which is wrong for persons 1 and 3.
#: → sigmoid(Z[1]) = 1 / (1 + e^(−{Z[1, 0].item():.2f})) = {y_pred[1].item():.4f}
y_pred = torch.sigmoid(Z.squeeze())
#: Printing `.data` shows the values without the `grad_fn` annotation.
print(f"Predictions: {y_pred.data}")

#: A loss function condenses "how wrong" into one number; lower is better, and having a single
#: number is what makes a gradient possible.
# ── Step 2: Compute loss ──────────────────────
#: Binary cross-entropy is the usual loss for two classes. Each person contributes
#: −[y·log(p) + (1−y)·log(1−p)], and the loss is the mean. Confident mistakes cost the most:
#: persons 1 and 3 are in class 0 but get high probabilities, and their terms dominate.
#: → person 0, y=1 = −log({y_pred[0].item():.4f}) = {-torch.log(y_pred[0]).item():.4f}
#: → person 1, y=0 = −log(1 − {y_pred[1].item():.4f}) = {-torch.log(1 - y_pred[1]).item():.4f}
#: → person 2, y=1 = −log({y_pred[2].item():.4f}) = {-torch.log(y_pred[2]).item():.4f}
#: → person 3, y=0 = −log(1 − {y_pred[3].item():.4f}) = {-torch.log(1 - y_pred[3]).item():.4f}
#: → mean = {loss.item():.4f}
loss = F.binary_cross_entropy(y_pred, y_true)
#: `.item()` turns a one-element tensor into a Python float, convenient for printing and
#: logging.
print(f"Loss: {loss.item():.4f}")

#: Computing every gradient takes one line: PyTorch walks the graph back from the loss.
# ── Step 3: Backward pass ─────────────────────
#: Backpropagation runs through the whole chain, loss → cross-entropy → sigmoid → linear map,
#: and leaves ∂loss/∂W in `W.grad` and ∂loss/∂b in `b.grad`.
loss.backward()
#: One gradient per weight. A positive entry means increasing that weight would increase the
#: loss, so the update will decrease it. The height weight has the largest gradient,
#: {W.grad[0, 0].item():.2f}, partly because heights are the largest numbers in the data.
print(f"W.grad: {W.grad}")
#: The bias gradient is {b.grad.item():.4f}: positive, so the bias will move down.
print(f"b.grad: {b.grad}")

#: Gradient descent moves each parameter a small step against its gradient:
#: new value = old value − learning rate × gradient.
# ── Step 4: Update weights ────────────────────
#: The learning rate sets the step size. With gradients as large as {W.grad.abs().max().item():.1f},
#: this small rate still moves a weight by about {lr * W.grad.abs().max().item():.4f}: a noticeable
#: but safe nudge for data that has not been normalized.
lr = 0.0001
#: The update itself must not become part of the graph, so gradient tracking is switched off
#: for the block.
#: 📚 torch.no_grad() = Inside this block, operations on tensors that require gradients are
#:    not recorded. Without it, `W -= lr * W.grad` on a leaf that requires gradients raises an
#:    error.
with torch.no_grad():
    #: Every weight moves against its gradient; the height weight, with the largest gradient,
    #: moves the most. `-=` updates `W` in place, so `W` stays the same leaf tensor.
    W -= lr * W.grad
    #: The same rule for the bias. Its change is tiny: {lr * b.grad.item():.2e}.
    b -= lr * b.grad
#: The weights after one step.
print(f"W after: {W.data}")
#: The bias after one step. With the new parameters the loss would be
#: {F.binary_cross_entropy(torch.sigmoid((X @ W.T + b).squeeze()), y_true).item():.4f}, down from
#: {loss.item():.4f}.
print(f"b after: {b.data}")

#: PyTorch *adds* each new gradient to `.grad` instead of replacing it. That is useful for a few
#: advanced techniques, but a normal training loop clears the gradients before the next
#: backward pass.
# Clear gradients for next iteration
#: `.zero_()` fills `W.grad` with zeros. The trailing underscore is PyTorch's mark for an
#: in-place operation, one that changes the tensor itself.
W.grad.zero_()
#: The same for the bias. In practice `optimizer.zero_grad()` clears every parameter at once.
b.grad.zero_()
