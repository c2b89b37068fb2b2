"""sys.stdout used as a context manager (json.tool does this): the stream is closed at the end."""
import sys

print("before")
with sys.stdout as out:
    out.write("inside\n")
    print("also inside", file=out)
print("closed:", sys.stdout.closed, file=sys.stderr)
