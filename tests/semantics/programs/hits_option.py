# tracekit-options: --hits 1
"""Behaviour is identical whatever the number of recorded hits (here --hits 1)."""
total = 0
for i in range(50):
    sq = i * i
    if sq % 3 == 0:
        total += sq
    else:
        total -= 1


def rec(n):
    return n if n < 2 else rec(n - 1) + rec(n - 2)


print(total, rec(15))
vals = [i for i in range(5)]
while vals:
    v = vals.pop()
print(v)
