"""exec/eval of strings: namespaces, module globals, compile modes, errors from strings."""
import traceback

print(eval("1 + 2 * 3"))
ns = {}
exec("a = 5\ndef f(x):\n    return x + a\n", ns)
print(ns["f"](1), sorted(k for k in ns if k != "__builtins__"))
exec("created_by_exec = 'yes'")
print(created_by_exec)
y = 10
print(eval("y * 2"), eval("y * z", {"y": 3}, {"z": 4}))
code = compile("for i in range(3): print('loop', i)", "<my-code>", "exec")
exec(code)
expr = compile("[n ** 2 for n in range(4)]", "<expr>", "eval")
print(eval(expr))
exec(compile("1 + 1", "<single>", "single"))
try:
    exec("def g():\n    return 1 / 0\ng()", {})
except ZeroDivisionError:
    print(traceback.format_exc())
try:
    eval("undefined_name_here")
except NameError as exc:
    print("NameError:", exc)
src = "result = sum(range(10))"
loc = {}
exec(src, globals(), loc)
print(loc, "result" in globals())


def in_function():
    exec("w = 7")
    return "w" in locals(), eval("1 + 1")


print(in_function())
print(eval("__name__"), eval("__file__") == __file__)
