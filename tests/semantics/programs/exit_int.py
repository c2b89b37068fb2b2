"""sys.exit with an int: status 3, finally blocks and atexit still run."""
import atexit
import sys

atexit.register(print, "atexit handler")
print("before exit")
try:
    sys.exit(3)
finally:
    print("finally on the way out")
print("never")
