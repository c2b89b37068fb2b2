"""Exception chaining: __cause__, __context__, __suppress_context__, __traceback__, notes."""
import traceback


def layer1():
    raise KeyError("root")


def layer2():
    try:
        layer1()
    except KeyError as exc:
        raise ValueError("middle") from exc


def layer3():
    try:
        layer2()
    except ValueError:
        raise RuntimeError("top")


try:
    layer3()
except RuntimeError as e:
    print(repr(e), repr(e.__context__), repr(e.__context__.__cause__))
    print(e.__suppress_context__, e.__context__.__suppress_context__)
    print("".join(traceback.format_exception(e)))

try:
    try:
        raise OSError("a")
    except OSError as err:
        err.add_note("note one")
        err.add_note("note two")
        raise
except OSError as err:
    print(err.__notes__)
    print("".join(traceback.format_exception_only(err)))

e = ValueError("manual")
e.__cause__ = TypeError("manual cause")
print(e.__suppress_context__, repr(e.__cause__))
tb_lines = []
try:
    raise e
except ValueError as caught:
    tb = caught.__traceback__
    while tb:
        tb_lines.append((tb.tb_frame.f_code.co_name, tb.tb_lineno))
        tb = tb.tb_next
print(tb_lines)
with_traceback = RuntimeError("x").with_traceback(None)
print(with_traceback.__traceback__)
