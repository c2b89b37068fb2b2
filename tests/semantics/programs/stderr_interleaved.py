# merge-stderr: yes
"""stdout and stderr merged into one pipe: the interleaving follows python's buffering."""
import sys

print("out 1 (block-buffered)")
print("err 1", file=sys.stderr)
print("out 2 flushed", flush=True)
sys.stderr.write("err 2 no newline yet...")
sys.stderr.write(" done\n")
print("out 3")
sys.stdout.write("out 4 via write\n")
print("err 3", file=sys.stderr)
sys.stdout.flush()
print("out 5 at exit")
