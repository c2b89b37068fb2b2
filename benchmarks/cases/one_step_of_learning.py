import torch
import torch.nn.functional as F

# Input data and true labels
X = torch.tensor([[170.0, 65.0, 25.0],
                  [160.0, 55.0, 30.0],
                  [180.0, 80.0, 22.0],
                  [155.0, 50.0, 35.0]])
y_true = torch.tensor([1.0, 0.0, 1.0, 0.0])

# Learnable parameters
W = torch.tensor([[0.01, -0.02, 0.03]],
                 requires_grad=True)
b = torch.tensor([0.0], requires_grad=True)

# Step 1: forward pass
Z = X @ W.T + b
y_pred = torch.sigmoid(Z.squeeze())
print(f"Predictions: {y_pred.data}")

# Step 2: loss
loss = F.binary_cross_entropy(y_pred, y_true)
print(f"Loss: {loss.item():.4f}")

# Step 3: backward pass
loss.backward()
print(f"W.grad: {W.grad}")
print(f"b.grad: {b.grad}")

# Step 4: update weights
lr = 0.0001
with torch.no_grad():
    W -= lr * W.grad
    b -= lr * b.grad
print(f"W after: {W.data}")
print(f"b after: {b.data}")

# Clear gradients for next iteration
W.grad.zero_()
b.grad.zero_()
