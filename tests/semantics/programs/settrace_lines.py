"""A script that uses sys.settrace itself sees the same line events as under python."""
import sys

events = []


def tracer(frame, event, arg):
    if frame.f_code.co_name == "work":
        events.append((event, frame.f_lineno - work.__code__.co_firstlineno))
    return tracer


def work(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
    return total


sys.settrace(tracer)
result = work(4)
sys.settrace(None)
print(result)
print(events)
