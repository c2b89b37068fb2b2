# known-difference: sys.stdout/sys.stderr are wrapped to attribute printed text to lines; their type is visible
"""The standard streams are the usual objects: types, encodings, buffering, fileno."""
import io
import sys

for name in ("stdin", "stdout", "stderr"):
    s = getattr(sys, name)
    print(name, type(s).__name__, s.encoding, s.errors, s.line_buffering, s.fileno(),
          s is getattr(sys, f"__{name}__"), isinstance(s, io.TextIOWrapper), s.isatty())
print(type(sys.stdout.buffer).__name__, sys.stdout.name, sys.stderr.name)
print(sys.stdout.write("abc\n"))
sys.stdout.buffer.write(b"raw bytes line\n")
sys.stdout.flush()
print(sys.flags.optimize, sys.flags.dont_write_bytecode, sys.flags.hash_randomization)
