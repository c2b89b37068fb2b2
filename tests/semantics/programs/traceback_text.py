"""traceback.format_exc shows the program's frames only, also for errors raised in tracekit's stand-ins."""
import sys
import traceback


def write_number():
    sys.stdout.write(5)


for fn in (write_number, lambda: sys.stdout.no_such_attribute, lambda: print("x", file=sys.stderr, sep=1)):
    try:
        fn()
    except Exception:
        print(traceback.format_exc())
        print(len(traceback.extract_tb(sys.exc_info()[2])))

try:
    sys.stderr.write(b"bytes")
except TypeError as e:
    print([f.name for f in traceback.extract_tb(e.__traceback__)])
sys.stdout.write(3.5)
