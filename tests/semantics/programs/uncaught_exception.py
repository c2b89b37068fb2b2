"""An uncaught exception deep in calls: traceback with original lines and caret markers."""
data = {"alpha": [1, 2, 3]}


def lookup(key, index):
    row = data[key]
    return row[index] * 2


def compute(values):
    total = 0
    for v in values:
        total += lookup("alpha", v) + lookup("alpha",
                                             v + 1)
    return total


print("partial", compute([0]))
print(compute([1, 2]))
