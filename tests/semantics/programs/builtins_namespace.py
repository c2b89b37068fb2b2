# known-difference: the hooks live in builtins under reserved __tk_ names, so the module namespace stays untouched
"""The builtins module holds exactly what it holds under plain python (no extra names)."""
import builtins

print(len(vars(builtins)))
print(sorted(n for n in vars(builtins) if n.startswith("_")))
print([k for k in dir(__builtins__) if k.startswith("__tk")])
