"""__del__ runs at the same point as under python: recording keeps no object, frame or locals dict alive."""


class Loud:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print("del", self.name)


a = Loud("a")
a.size = 1
del a
print("after del a")
b = Loud("b")
b = Loud("b2")
print("after rebinding b")
items = [Loud("c"), Loud("d")]
items.pop()
print("after pop")
items.clear()
print("after clear")


def in_function():
    x = Loud("x")
    for i in range(2):
        x.size = i
    del x
    print("after del x in function")
    y = Loud("y")
    holder = {"y": y}
    y = None
    holder.clear()
    print("after clearing holder")
    z = Loud("z")
    return z.name


print(in_function())
print("after call")


class Box:
    pass


box = Box()
box.item = Loud("item")
box.item = None
print("after replacing attribute")
b = None
print("end")


def loop_then_del(n):
    obj = Loud(f"loop{n}")
    if n == 4:  # the loop's first (recorded) end comes after del's recorded hits
        for i in range(2):
            pass
    del obj
    print("after del in call", n)


for n in range(5):
    loop_then_del(n)
