"""Large output on both streams is passed through complete and in order."""
import sys

for i in range(20000):
    print(f"line {i:05d} " + "x" * (i % 50))
for i in range(3000):
    print(f"err {i}", file=sys.stderr)
sys.stdout.write("z" * 100000 + "\n")
total = 0
for i in range(200000):
    total += i
print(total)
