"""d[k()] += v(): container and key evaluated once, then getitem, value, setitem."""
log = []


class D(dict):
    def __getitem__(self, key):
        log.append(("getitem", key))
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        log.append(("setitem", key, value))
        super().__setitem__(key, value)


d = D(a=1, b=[1])


def cont():
    log.append("cont()")
    return d


def key(k):
    log.append(("key", k))
    return k


def val(v):
    log.append(("val", v))
    return v


cont()[key("a")] += val(41)
print(log, d)
log.clear()
cont()[key("b")] += val([2])  # list.__iadd__ then setitem anyway
print(log, d)
log.clear()

grid = [[0, 0], [0, 0]]
calls = []


def i(n):
    calls.append(n)
    return n


grid[i(1)][i(0)] += 5
grid[i(0)][i(1)] -= 1
print(grid, calls)

lst = [1, 2, 3, 4]
lst[i(1):i(3)] += ["x"]
print(lst, calls)

t = ([1],)
try:
    t[0] += [2]
except TypeError as exc:
    print("TypeError:", exc)
print(t)  # the list was extended anyway

counts = {}
for ch in "hello world":
    counts[ch] = counts.get(ch, 0) + 1
print(sorted(counts.items()))
from collections import defaultdict
dd = defaultdict(int)
for ch in "abracadabra":
    dd[ch] += 1
print(sorted(dd.items()))
