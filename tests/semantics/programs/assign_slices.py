"""Slice targets, extended slices, slice objects passed to __setitem__, del slices."""
log = []


def n(x):
    log.append(x)
    return x


class S:
    def __setitem__(self, key, value):
        print("setitem", key, value)

    def __getitem__(self, key):
        print("getitem", key)
        return [9]

    def __delitem__(self, key):
        print("delitem", key)


lst = list(range(10))
lst[n(2):n(5)] = ["a", "b"]
print(lst, log)
log.clear()
lst[::n(3)] = "XYZ"
print(lst, log)
lst[:] = lst[::-1]
print(lst)
lst[len(lst):] = [100]
print(lst)
try:
    lst[::2] = [1]
except ValueError as exc:
    print("ValueError:", exc)
del lst[n(1):n(3)]
print(lst, log)
del lst[::2]
print(lst)

s = S()
s[1:2] = 5
s[1:2, ::3] = 6
s[...] = 7
s[:] = 8
s[n(1):n(2):n(3)] += [1]
del s[::-1]
print(log)
b = bytearray(b"hello")
b[1:3] = b"EY"
print(b)
