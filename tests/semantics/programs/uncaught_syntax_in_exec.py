"""An uncaught SyntaxError from compile() of a string, after output on both streams."""
import sys

print("stdout first")
print("stderr first", file=sys.stderr)
source = "x = (1,\ny = 2\n"
exec(compile(source, "<generated>", "exec"))
