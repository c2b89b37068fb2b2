"""CRLF line endings and a line continuation."""
x = 1 + \
    2
s = """multi
line"""
print(x, repr(s))


def g():
    return 1 / 0


try:
    g()
except ZeroDivisionError:
    import traceback
    traceback.print_exc(file=__import__("sys").stdout)
