"""Recursion: deep recursion under a low limit, and the exact depth of RecursionError."""
import sys

sys.setrecursionlimit(200)


def depth_ok(n):
    if n == 0:
        return 0
    return 1 + depth_ok(n - 1)


print(depth_ok(180))
deepest = 0


def probe(n):
    global deepest
    deepest = n
    probe(n + 1)


try:
    probe(1)
except RecursionError as exc:
    print("RecursionError at depth", deepest, exc)


def probe_expr(n):
    global deepest
    deepest = n
    return [probe_expr(n + 1)][0] + 1


try:
    probe_expr(1)
except RecursionError:
    print("expression recursion depth", deepest)


class Node:
    def __init__(self, child):
        self.child = child

    def __repr__(self):
        return f"Node({self.child!r})"


chain = None
for _ in range(300):
    chain = Node(chain)
try:
    repr(chain)
except RecursionError:
    print("repr recursion error")
print(sys.getrecursionlimit())
