# known-difference: a __repr__ that tracekit calls while recording runs under tracekit's hook frames, which inspect.stack() shows
"""A __repr__ that looks at its callers: under python only the program calls it."""
import inspect

callers = []


class Watched:
    def __repr__(self):
        callers.append([f.function for f in inspect.stack()[1:]])
        return "Watched()"


w = Watched()
print(repr(w))
print(callers)
