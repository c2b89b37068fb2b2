"""Assignment expressions in comprehensions, while loops, conditions and f-strings."""
data = [3, 1, 4, 1, 5, 9, 2, 6]
if (n := len(data)) > 5:
    print("long", n)
ys = [y for x in data if (y := x * 2) > 5]
print(ys, y)  # y leaks to the enclosing scope
print([last := v for v in range(3)], last)
total = 0
print([total := total + v for v in data], total)

it = iter(data)
while (chunk := next(it, None)) is not None:
    if chunk == 9:
        break
print("chunk", chunk)

lines = iter(["a", "b", ""])
out = []
while line := next(lines):
    out.append(line)
print(out)


def f():
    vals = [z for w in range(4) if (z := w * w) % 2]
    return vals, z


print(f())
print(f"{(q := 10)} {q + 1}")
print(any((hit := v) > 4 for v in data), hit)
print({(k := i): k * 2 for i in range(3)}, k)
g = (m := 5, m + 1)
print(g)


class C:
    vals = [1, 2]
    # walrus in a class body binds in the class namespace
    w = (cw := 3)


print(C.cw, C.w)
