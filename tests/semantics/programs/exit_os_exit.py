"""os._exit skips finally/atexit; buffered stdout is lost when stdout is a pipe."""
import atexit
import os
import sys

atexit.register(print, "atexit: must not run")
print("flushed line", flush=True)
print("buffered line that plain python loses")
sys.stderr.write("stderr is line-buffered\n")
try:
    os._exit(7)
finally:
    print("finally: must not run")
