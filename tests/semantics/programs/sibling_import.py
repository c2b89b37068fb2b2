"""Importing a sibling module from the script's folder (sys.path[0]), and from-import *."""
import sys

MARKER = "set in main"
import _sibling_helper
from _sibling_helper import twice
from _sibling_helper import *

print(_sibling_helper.CONSTANT, twice(21), CONSTANT)
print(_sibling_helper.main_module_name())
print(_sibling_helper.__name__, "_private" in globals())
print(sorted(k for k in globals() if not k.startswith("__")))
import _sibling_helper as again
print(again is _sibling_helper, "_sibling_helper" in sys.modules)
import importlib
mod = importlib.reload(_sibling_helper)
print(mod.twice("ab"))
