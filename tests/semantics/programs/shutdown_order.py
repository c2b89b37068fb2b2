"""Interpreter shutdown: atexit order, __del__ of globals, unfinished generator finally."""
import atexit
import sys


class Finalize:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("__del__", self.name)


def gen():
    try:
        yield 1
        yield 2
    finally:
        print("generator finally at shutdown")


atexit.register(lambda: print("atexit 1 (runs last)"))
atexit.register(print, "atexit 2 (runs first)")
keep = Finalize("global object")
g = gen()
next(g)
temp = Finalize("temporary")
temp = None
print("end of script", file=sys.stderr)
print("end of script")
