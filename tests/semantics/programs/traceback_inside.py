"""traceback.extract_tb / format_exc / print_exc inside the script: lines, names, carets."""
import sys
import traceback


def level_a(d):
    return level_b(d) + 1


def level_b(d):
    return d["key"]["inner"]


def div(a, b):
    return (a +
            b) / (a - a)


for fn, arg in [(level_a, {"key": None}), (level_a, {}), (lambda x: div(x, 2), 1),
                (lambda x: [1][x], 5)]:
    try:
        fn(arg)
    except Exception:
        print(traceback.format_exc())
        tb = sys.exc_info()[2]
        for fs in traceback.extract_tb(tb):
            print(fs.lineno, fs.name, repr(fs.line), fs.end_lineno, fs.colno, fs.end_colno)

try:
    level_a({"key": {}})
except KeyError:
    traceback.print_exc(file=sys.stdout)
    traceback.print_exc()
summary = traceback.extract_stack()
print([(f.name, f.lineno, f.line) for f in summary][-1:])
