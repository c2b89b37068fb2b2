"""global and nonlocal declarations, closures over loop variables, cells."""
counter = 0


def bump():
    global counter
    counter += 1
    return counter


def make_global(name_value):
    global created_later
    created_later = name_value


bump()
bump()
make_global("hello")
print(counter, created_later)


def outer():
    x = 0
    log = []

    def inc():
        nonlocal x
        x += 1
        log.append(x)

    def reset():
        nonlocal x
        del x

    for _ in range(3):
        inc()
    reset()
    try:
        inc()
    except NameError as exc:
        print(type(exc).__name__, exc)
    return log


print(outer())


def shadow():
    counter = "local"
    def inner():
        global counter
        return counter
    return counter, inner()


print(shadow())


def deep():
    a = 1
    def l1():
        def l2():
            nonlocal a
            a += 10
            return a
        return l2()
    return l1(), a


print(deep())


def gdel():
    global created_later
    del created_later


gdel()
print("created_later" in globals())


class K:
    counter = "class attr"

    def m(self):
        return counter


print(K().m(), K.counter)
