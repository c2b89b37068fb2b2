# known-difference: the import hook that seeds numpy/torch and picks matplotlib's backend right after they are imported is visible in sys.meta_path
"""The whole sys.path, import machinery and __main__ namespace are those of a plain run."""
import os
import sys

cwd = os.getcwd()
print("sys.path:", [p.replace(cwd, "<cwd>") for p in sys.path])
print("tracekit modules:", sorted(m for m in sys.modules if m.startswith("tracekit")))
print("__main__.__file__ ok:", sys.modules["__main__"].__file__ == __file__)
print("preloaded:", [m for m in ("numpy", "torch", "random", "jinja2", "click", "libcst")
                     if m in sys.modules])
print("env:", sorted(k for k in os.environ if k.startswith("TRACEKIT") or k.startswith("__TK")))
print("meta_path:", [type(f).__name__ for f in sys.meta_path], len(sys.path_hooks))
print("__main__ names:", sorted(sys.modules["__main__"].__dict__.keys() - {"os", "sys", "cwd"}))
