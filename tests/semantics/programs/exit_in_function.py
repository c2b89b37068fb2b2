"""SystemExit raised deep in a call stack with a tuple code and with code 256."""
import sys


def deep(n):
    if n == 0:
        print("exiting from depth")
        raise SystemExit(257)
    deep(n - 1)


try:
    deep(3)
except SystemExit as e:
    print("caught", e.code, file=sys.stderr)
sys.exit((1, 2))
