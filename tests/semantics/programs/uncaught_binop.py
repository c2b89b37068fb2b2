"""Uncaught TypeError in a binary operation inside a method: 3.11 ~~^~~ markers."""


class Box:
    def __init__(self, v):
        self.v = v

    def combine(self, other):
        return self.v["x"] + other.v["x"] * 2


a = Box({"x": 1})
b = Box({"x": None})
print(a.combine(a))
result = a.combine(b)
