"""How the Learning Rate Shapes Gradient Descent

Gradient descent on the loss L(w) = (w − 3)², whose minimum is at w = 3, from w = 0 for a fixed
number of steps. The learning rate is the only thing that changes between the recorded runs.
"""

import matplotlib.pyplot as plt

#: The size of each step, as a multiple of the gradient. Each value is a run of its own.
lr = 0.1  # tracekit: vary=0.01,0.1,0.3,0.9,1.05

steps = 20
w = 0.0
history = [w]

#: Each step moves w against the gradient dL/dw = 2(w − 3), so it multiplies the distance to the
#: minimum by (1 − 2·lr) = {1 - 2 * lr:g}.
for _ in range(steps):
    grad = 2 * (w - 3)
    w = w - lr * grad
    history.append(w)

#: After {steps} steps w = {w:.4f}, {abs(w - 3):.4f} away from the minimum; the loss is
#: {(w - 3) ** 2:.3g}.
loss = (w - 3) ** 2
#: How often a step jumped over the minimum to its other side: {crossings} of {steps}.
crossings = sum((a - 3) * (b - 3) < 0 for a, b in zip(history[:-1], history[1:], strict=True))
print(f"lr = {lr}: w = {w:.4f} after {steps} steps, loss {loss:.3g}, {crossings} crossings")

#: The path of w, step by step, against the minimum it is after.
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.axhline(3, color="0.6", linestyle="--", linewidth=1)
ax.plot(range(steps + 1), history, marker="o", markersize=3)
ax.set_title(f"Gradient descent on (w − 3)², learning rate {lr}")
ax.set_xlabel("step")
ax.set_ylabel("w")
fig.tight_layout()
plt.show()
