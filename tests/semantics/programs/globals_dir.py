"""Module-level namespace: globals() keys, dir(), __builtins__, __spec__, __loader__."""
import sys

print(sorted(globals()))
print(dir())
print(type(__builtins__).__name__, __builtins__ is sys.modules["builtins"])
print(__spec__, __package__, __name__)
print(type(__loader__).__name__, getattr(__loader__, "name", None),
      getattr(__loader__, "path", None) == __file__)
print(__cached__ if "__cached__" in globals() else "no __cached__")
main = sys.modules["__main__"]
print(main.__dict__ is globals(), vars(main) is globals())
x = 1


def fn():
    return sorted(k for k in globals() if not k.startswith("__"))


print(fn())
print(len([k for k in globals()]))
print(__loader__.get_source("__main__").splitlines()[0])
