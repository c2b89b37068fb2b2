# known-difference: recording is Python code called from every recorded line, so sys.setprofile and a global sys.settrace see its calls
"""A profiler and a tracer installed by the script see the program's calls only."""
import sys

calls = []


def profiler(frame, event, arg):
    if event in ("call", "c_call"):
        calls.append(frame.f_code.co_name if event == "call" else getattr(arg, "__name__", "?"))


def square(x):
    y = x * x
    return y


sys.setprofile(profiler)
total = square(3) + square(4)
sys.setprofile(None)
print(total, calls)
traced = []


def tracer(frame, event, arg):
    if event == "call":
        traced.append(frame.f_code.co_name)
    return None


sys.settrace(tracer)
total = square(5)
sys.settrace(None)
print(total, traced)
