# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Gradient Descent in Percent Cells
#
# This page was written as a Jupytext / VS Code *percent* script: `# %% [markdown]` cells hold
# the text, in Markdown, and `# %%` cells hold the code. The file is still a plain Python
# script; the header above the first cell is Jupyter's metadata and is not shown, and the
# heading of the first Markdown cell is the page's title.

# %% [markdown]
# ## The problem
#
# We look for the minimum of $f(w) = (w - 3)^2$. Its slope is $f'(w) = 2(w - 3)$, and one
# step of gradient descent with learning rate $\eta$ moves $w$ to
#
# $$w \leftarrow w - \eta \, f'(w)$$
#
# | symbol | meaning | value here |
# |--------|---------|------------|
# | $w$ | the parameter | starts at 0 |
# | $\eta$ | the learning rate | 0.25 |
# | $f'(w)$ | the slope at $w$ | computed |

# %%
import numpy as np

# %% The slope and the starting point
def slope(w):
    return 2.0 * (w - 3.0)


w = 0.0
eta = 0.25

# %% [markdown]
# ## Eight steps
#
# Each step halves the distance to 3, because $1 - 2\eta = 0.5$. The array keeps every
# value of $w$ so the shrinking gap can be read off at the end.

# %%
path = np.zeros(9)
for step in range(8):
    w = w - eta * slope(w)
    path[step + 1] = w

# %% How far from the minimum
gaps = 3.0 - path
print(np.round(gaps, 4))
