"""Plain and chained assignment: targets bound left to right, value evaluated once."""
log = []


def val(x):
    log.append(("val", x))
    return x


a = val(1)
b = c = val([10, 20, 30])
assert b is c
i = 0
i = b[i] = val(2)  # binds i first, then b[2]
print(a, b, c, i)

x = [0, 1, 2]
j = 0
j, x[j] = 1, "z"  # x[1] because j is rebound first
print(j, x)

# the same object bound to many targets
p = q = r = s = val(object.__new__(object)).__class__
print(p is q is r is s, p.__name__)
print(log[:3])

n = None
n = n or val("default")
print(n)
_ = 5
print(_)
