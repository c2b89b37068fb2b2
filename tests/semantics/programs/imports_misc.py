"""Imports: dotted, aliased, inside functions, relative-import error in a script, __import__."""
import os.path
import os.path as osp
import collections.abc as cabc
from json import dumps as to_json, loads
import importlib

print(os.path is osp, cabc.Mapping.__name__, to_json({"a": [1]}), loads("[2]"))


def lazy():
    import textwrap
    return textwrap.dedent("    x")


print(lazy(), "textwrap" in globals())
print(__import__("math").sqrt(16), importlib.import_module("string").digits)
try:
    from . import nothing
except ImportError as exc:
    print(type(exc).__name__, exc)
try:
    import does_not_exist_anywhere
except ModuleNotFoundError as exc:
    print("ModuleNotFoundError:", exc, exc.name)
try:
    from os import nonexistent_name
except ImportError as exc:
    print("ImportError:", exc)
from math import *
print(pi > 3, "sqrt" in globals())
import this
