"""A 10**6-iteration pure-Python loop."""
total = 0
for i in range(1_000_000):
    x = i % 7
    if x == 3:
        total += i
    else:
        total -= 1
print(total)
