"""Training a Small Network with torch.optim

The four steps from the single training step (forward, loss, backward, update) repeated a few
hundred times. This time the model is an `nn.Module` and the update is done by an optimizer,
which is how training code is written in practice. The task: fit a noisy sine curve.
"""
# tracekit: seed=0 hits=3 timeout=60

import matplotlib.pyplot as plt
import torch
import torch.nn as nn

torch.set_printoptions(precision=4, sci_mode=False)  # tracekit: hide

#: The data and the initial weights below are drawn at random. Fixing the seed makes every
#: run draw the same numbers, so the page and the printed losses are reproducible.
torch.manual_seed(0)

#: {X.shape[0]} evenly spaced inputs between {X.min().item():g} and {X.max().item():g}.
#: `unsqueeze(1)` turns the vector into a column of shape {tuple(X.shape)}, because layers
#: expect one row per example.
X = torch.linspace(-1, 1, 64).unsqueeze(1)
#: The targets: a sine curve with some noise added. The noise has standard deviation 0.1, so
#: even a perfect model cannot push the mean squared error much below 0.1² = 0.01.
y = torch.sin(torch.pi * X) + 0.1 * torch.randn_like(X)


#: A model is a class derived from `nn.Module`. Layers assigned as attributes in `__init__`
#: are registered automatically, so the optimizer can find their parameters later.
class TinyNet(nn.Module):
    """One input, a hidden layer of 16 tanh units, one output."""

    def __init__(self) -> None:
        super().__init__()
        #: A linear layer from 1 input to 16 hidden units: a 16×1 weight and 16 biases.
        self.hidden = nn.Linear(1, 16)
        #: Back down from 16 hidden units to a single output.
        self.out = nn.Linear(16, 1)

    #: `forward` says how an input becomes an output. Calling `model(X)` runs it (through
    #: `nn.Module.__call__`, which also runs any registered hooks).
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        #: The tanh between the two linear layers is what lets the model bend; without it the
        #: two layers would collapse into one straight line.
        return self.out(torch.tanh(self.hidden(x)))


#: Creating the model initializes its weights at random (reproducibly, thanks to the seed). It
#: has {sum(p.numel() for p in model.parameters())} parameters in all.
model = TinyNet()
#: The optimizer receives the parameters it is responsible for. Adam adapts the step size of
#: every parameter separately, which makes it forgiving about the choice of learning rate.
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
#: Mean squared error: the average of (prediction − target)².
loss_fn = nn.MSELoss()

#: The loss of every step goes into this list, to be plotted at the end.
losses = []

#: Each pass through the loop body is one training step.
for step in range(300):
    #: Forward pass on the whole data set at once: {prediction.shape[0]} predictions.
    prediction = model(X)
    #: The loss for this step is {loss.item():.4f}.
    loss = loss_fn(prediction, y)
    #: `item()` turns the one-element loss tensor into a plain Python float, which is all the
    #: plot needs (it also drops the link to the graph).
    losses.append(loss.item())
    #: Gradients accumulate, so the ones left over from the previous step are cleared first.
    optimizer.zero_grad()
    #: Backpropagation fills `.grad` of every parameter.
    loss.backward()
    #: The optimizer moves every parameter using its gradient, replacing the hand-written
    #: `W -= lr * W.grad` of the previous page.
    optimizer.step()
    #: Printing every step would flood the output, so only every 50th step reports.
    if step % 50 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")

#: After {step + 1} steps the loss has settled at {loss.item():.4f}, close to the floor that the
#: noise in the targets sets.
print(f"final loss {loss.item():.4f}")

#: The whole history at a glance: {len(losses)} losses, one per step, from {losses[0]:.4f} at the
#: first step down to {losses[-1]:.4f} at the last. Most of the drop happens early; after that
#: the curve flattens out near the noise floor.
plt.plot(losses)
#: A title and axis labels say what the curve is.
plt.title("Training loss")
plt.xlabel("step")
plt.ylabel("mean squared error")
#: A logarithmic y axis shows the late, small improvements as clearly as the early, large ones.
plt.yscale("log")
#: `plt.show()` displays the figure (on the page, it appears on this line).
plt.show()
