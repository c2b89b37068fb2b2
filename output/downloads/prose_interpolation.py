"""Numbers in Prose Come From the Run

Every `{...}` in the prose of this page is a Python expression that tracekit evaluates right
after the statement the prose belongs to, and formats like an f-string field. Nothing in the
explanations is typed by hand, so they cannot drift away from what the code actually does.
"""
# tracekit: seed=7

import math

import torch

#: A plain placeholder shows the value's `str()`: the label reads {label}. With `!r` it shows
#: the `repr()` instead, quotes included: {label!r}.
label = "weekly total"
#: Any value can be shown; this list prints as {prices}.
prices = [19.99, 5.25, 102.5, 0.75]
#: Format specifications work as in f-strings: the total is {total:.2f}, or {total:>10.3f} padded
#: to ten characters, and the largest price makes up {max(prices) / total:.1%} of it.
total = sum(prices)

#: Expressions can index, slice and call methods: the first price is {prices[0]}, the last two
#: are {prices[-2:]}, there are {len(prices)} in all, and sorted they read {sorted(prices)}.
cheapest = min(prices)

#: Literal braces are doubled: writing {{total}} shows the braces themselves instead of a value.
#: A dictionary lookup with a quoted key also works: {stock['apples']} apples in stock.
stock = {"apples": 12_000, "pears": 350}
#: A comma in the spec groups thousands: {stock['apples']:,} apples.
print(stock)

#: Seeding makes the random tensor below the same on every run; tracekit's `seed` option at
#: the top of the file does the same for its own run.
torch.manual_seed(7)
#: Tensor values work like any other object. The mean is {t.mean().item():.4f}, the shape is
#: {tuple(t.shape)}, and the `repr` of the tensor is {t!r}.
#: → t.sum() = {t.sum().item():.4f}, computed after the line ran
t = torch.randn(5)

#: Placeholders in the prose of a comment line are evaluated after the first statement below
#: the comment; here that is the assignment to `angle`, so sin(angle) = {math.sin(angle):.6f}.
# An angle in radians
angle = math.pi / 6

#: The running total of squares starts at {running}.
running = 0
#: The loop adds up the squares of 1 to 4.
for i in range(1, 5):
    #: Inside a loop, prose is evaluated on every recorded pass, so each pass shows its own
    #: numbers: `i` = {i}, `i²` = {i * i}, and `running` is now {running}, an average of
    #: {running / i:.2f} per pass so far.
    running += i * i

#: Comparisons and conversions inside placeholders are fine too: `running != 0` is
#: {running != 0!s}, and in scientific notation the total is {running:.2e}.
print(running)
