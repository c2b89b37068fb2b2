"""for/while with else, break, continue, nested loops, empty loops, mutation while iterating."""
for i in range(3):
    pass
else:
    print("for-else ran, i =", i)
for j in []:
    print("never")
else:
    print("empty for-else")
try:
    print(j)
except NameError as exc:
    print("NameError:", exc)
for k in range(10):
    if k == 4:
        break
else:
    print("never")
print("broke at", k)
n = 0
while n < 5:
    n += 1
    if n % 2:
        continue
    print("even", n)
else:
    print("while-else", n)
found = None
for a in range(1, 5):
    for b in range(1, 5):
        if a * b == 6:
            found = (a, b)
            break
    else:
        continue
    break
print(found)
items = [1, 2, 3, 4]
for x in items:
    if x == 2:
        items.remove(x)
print(items)
d = {"a": 1}
try:
    for key in d:
        d["b"] = 2
except RuntimeError as exc:
    print("RuntimeError:", exc)
total = 0
for i, (p, q) in enumerate(zip("abc", range(100))):
    total += q
print(i, p, q, total)
w = 0
while True:
    w += 1
    if w > 1000:
        break
print(w)
for _ in range(0):
    unbound_in_loop = 1
print("unbound_in_loop" in globals())


def gen_loop():
    for z in range(3):
        yield z
    return "done"


for val in gen_loop():
    last = val
print(last, val)
for ch in "é☃":
    print(ch, ord(ch))
it = iter(range(5))
for x in it:
    if x == 1:
        print("skipping", next(it))
print(x)
