"""
Curves, Noise and a Fitted Sine
===============================

A plotting walk-through in the sphinx-gallery style: one idea per cell, a figure
in most of them. We sample a signal, look at it, add noise, smooth it and fit a
sine with two parameters ``p0`` (amplitude) and ``p1`` (frequency).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(7)

###############################################################################
# Sampling the signal
# -------------------
#
# Four hundred evenly spaced points on two periods.

t = np.linspace(0.0, 4.0 * np.pi, 400)
signal = np.sin(t)
print(t.shape, signal.dtype)

###############################################################################
# A first look
# ------------
#
# ``plot`` returns the lines it drew; the figure is what matters.

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.plot(t, signal)
ax.set_title(r"The clean signal $\sin(t)$")
ax.set_xlabel("$t$")
ax.set_ylabel(r"$\sin(t)$")
fig.tight_layout()

###############################################################################
# The same points, as dots
# ------------------------
#
# Plotting ``signal`` a second time: its values are the ones shown above.

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.scatter(t, signal, s=2)
ax.set_title("Samples")

###############################################################################
# Adding noise
# ------------
#
# Gaussian noise with standard deviation 0.3 hides the shape a little.

noisy = signal + 0.3 * rng.standard_normal(t.size)
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.plot(t, noisy, lw=0.8)
ax.set_title("With noise")

###############################################################################
# Smoothing with a moving average
# -------------------------------
#
# A window of 15 samples averages most of the noise away.

window = np.ones(15) / 15
smooth = np.convolve(noisy, window, mode="same")
print(f"largest gap to the clean signal: {np.abs(smooth - signal)[20:-20].max():.3f}")

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.plot(t, noisy, lw=0.5, alpha=0.5, label="noisy")
ax.plot(t, smooth, label="smoothed")
ax.legend()

###############################################################################
# A histogram of the noise
# ------------------------

residual = noisy - signal
fig, ax = plt.subplots(figsize=(5, 2.5))
counts, edges, bars = ax.hist(residual, bins=30)
ax.set_xlabel(r"$\epsilon$")
int(counts.max())

###############################################################################
# Fitting a sine
# --------------
#
# The model is :math:`p_0 \sin(p_1 t)`. A coarse grid search over the two
# parameters is enough here.

p0_grid = np.linspace(0.5, 1.5, 21)
p1_grid = np.linspace(0.5, 1.5, 21)
errors = np.array([[np.mean((a * np.sin(f * t) - noisy) ** 2) for f in p1_grid] for a in p0_grid])
i, j = np.unravel_index(errors.argmin(), errors.shape)
p0, p1 = p0_grid[i], p1_grid[j]
print(f"p0 = {p0:.2f}, p1 = {p1:.2f}")

###############################################################################
# The fit against the data
# ------------------------

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.plot(t, noisy, ".", ms=2)
ax.plot(t, p0 * np.sin(p1 * t))
ax.set_title(r"Fit $p_0 \sin(p_1 t)$")

###############################################################################
# The error surface
# -----------------
#
# The grid's mean squared error, smallest near ``p0 = 1`` and ``p1 = 1``.

fig, ax = plt.subplots(figsize=(4, 3))
ax.imshow(errors, origin="lower", extent=(0.5, 1.5, 0.5, 1.5))
ax.set_xlabel("$p_1$")
ax.set_ylabel("$p_0$")

###############################################################################
# Closing the figures
# -------------------

plt.close("all")
