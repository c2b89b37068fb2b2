"""Digits as Arrays, Arrays as Images

A grayscale image is nothing but a grid of brightness values. This page draws ten tiny 8×8
"digits" by hand with NumPy (no data set to download), adds a little noise, looks at one of them
both as numbers and as a picture, and then shows all ten side by side with matplotlib.
"""
# tracekit: seed=0 timeout=60

import matplotlib.pyplot as plt
import numpy as np

#: Each digit is sketched as eight strings of eight characters: `#` is a lit pixel, `.` a dark
#: one.
SKETCHES = [
    ["..####..", ".#....#.", ".#...##.", ".#..#.#.", ".#.#..#.", ".##...#.", ".#....#.", "..####.."],
    ["...##...", "..###...", ".#.##...", "...##...", "...##...", "...##...", "...##...", ".######."],
    ["..####..", ".#....#.", "......#.", ".....#..", "....#...", "...#....", "..#.....", ".######."],
    ["..####..", ".#....#.", "......#.", "...###..", "......#.", "......#.", ".#....#.", "..####.."],
    [".....#..", "....##..", "...#.#..", "..#..#..", ".#...#..", ".######.", ".....#..", ".....#.."],
    [".######.", ".#......", ".#......", ".#####..", "......#.", "......#.", ".#....#.", "..####.."],
    ["..####..", ".#......", ".#......", ".#####..", ".#....#.", ".#....#.", ".#....#.", "..####.."],
    [".######.", "......#.", ".....#..", "....#...", "...#....", "...#....", "...#....", "...#...."],
    ["..####..", ".#....#.", ".#....#.", "..####..", ".#....#.", ".#....#.", ".#....#.", "..####.."],
    ["..####..", ".#....#.", ".#....#.", ".#....#.", "..#####.", "......#.", "......#.", "..####.."],
]


#: Turning a sketch into numbers: 1.0 where a pixel is lit, 0.0 where it is dark.
def to_array(sketch: list[str]) -> np.ndarray:
    return np.array([[1.0 if c == "#" else 0.0 for c in row] for row in sketch])


#: `map` applies `to_array` to every sketch; stacking the ten 8×8 arrays gives one array of
#: shape {digits.shape}: digit, row, column.
digits = np.stack(list(map(to_array, SKETCHES)))
#: A generator with a fixed seed, so the noise is the same on every run.
rng = np.random.default_rng(0)
#: Real scans are never perfectly clean. Gaussian noise (standard deviation 0.15) blurs the
#: edges; `np.clip` keeps every value a valid brightness between 0 and 1.
noisy = np.clip(digits + rng.normal(0.0, 0.15, size=digits.shape), 0.0, 1.0)

#: One digit is a plain 8×8 array of floats: {three.shape}, values from {three.min():.2f} to
#: {three.max():.2f}. Read as brightness (0 black, 1 white), the same numbers are a picture.
three = noisy[3]  # tracekit: image

#: A grid of 2×5 small plots (axes), one per digit. `figsize` is in inches.
fig, axes = plt.subplots(2, 5, figsize=(6.4, 3.0))
#: `axes` is a 2×5 array of axes; `.flat` walks it row by row, pairing each digit with a plot.
for digit, ax in enumerate(axes.flat):
    #: `imshow` paints the array as pixels. The colormap `gray_r` maps 0 to white and 1 to
    #: black, like ink on paper; `vmin` and `vmax` pin that scale for every digit.
    ax.imshow(noisy[digit], cmap="gray_r", vmin=0.0, vmax=1.0)
    ax.set_title(str(digit))
    #: Tick marks and a frame would only distract from the pixels.
    ax.axis("off")
#: A title for the whole figure.
fig.suptitle("Ten hand-drawn 8×8 digits, with noise")
#: `plt.show()` displays the figure; on the page it appears on this line.
plt.show()
