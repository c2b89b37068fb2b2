"""Tuple, list and starred unpacking, nested targets, error messages."""
log = []


class Src:
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        log.append("iter")
        for it in self.items:
            log.append(("next", it))
            yield it


a, b = 1, 2
a, b = b, a
print(a, b)
[c, d], e = (3, 4), 5
print(c, d, e)
first, *middle, last = range(6)
print(first, middle, last)
*init, tail = "xyz"
print(init, tail)
head, *rest = [1]
print(head, rest)
(f, (g, *h)), i = ("F", "GHIJ"), "I"
print(f, g, h, i)
x, y = Src([7, 8])
print(x, y, log)
log.clear()

for k, (v, *w) in [("a", (1, 2, 3)), ("b", (4,))]:
    print(k, v, w)

for msg_src in ([1, 2, 3], [1], "ab"):
    try:
        p, q = msg_src
        print("ok", p, q)
    except ValueError as exc:
        print("ValueError:", exc)

try:
    m, *n, o = Src([1])
except ValueError as exc:
    print("ValueError:", exc, log)

try:
    r, s = 5
except TypeError as exc:
    print("TypeError:", exc)

t = [None] * 3
t[0], t[1], *t[2:] = "abcd"
print(t)


class O:
    pass


o = O()
o.a, o.b = divmod(17, 5)
print(o.a, o.b)
