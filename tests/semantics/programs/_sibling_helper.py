"""Helper module imported by sibling_import.py (not a program itself)."""
import sys

print("helper imported as", __name__)
CONSTANT = 17
__all__ = ["CONSTANT", "twice"]


def twice(x):
    return x * 2


def main_module_name():
    import __main__
    return __main__.__name__, getattr(__main__, "MARKER", None)


_private = "hidden"
