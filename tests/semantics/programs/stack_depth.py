"""The script's own frame is the outermost: inspect.stack, f_back, format_stack, gettrace."""
import inspect
import sys
import traceback


def where():
    frames = inspect.stack()
    return [(f.function, f.lineno, f.code_context[0].strip() if f.code_context else None)
            for f in frames]


print(where())
print(len(inspect.stack()))
print(sys._getframe().f_back)
print(sys._getframe().f_code.co_name, sys._getframe().f_lineno)
print("".join(traceback.format_stack()))
print(sys.gettrace(), sys.getprofile())


def f():
    return sys._getframe(1).f_code.co_name, sys._getframe().f_back.f_lineno


print(f())
print(sys._getframe().f_globals is globals(), sys._getframe().f_locals is globals())
