"""Objects logging every attribute lookup and length/iteration request.

An observer must not look up extra attributes (shape, dtype, __len__...) on user values.
"""
accesses = []


class Spy:
    def __getattr__(self, name):
        accesses.append(name)
        raise AttributeError(name)


class SpyLen:
    def __len__(self):
        accesses.append("__len__")
        return 3


class SpyIter:
    def __iter__(self):
        accesses.append("__iter__")
        return iter([1, 2])


s = Spy()
t = s
u = [s]
w = SpyLen()
x = w
it = SpyIter()
for v in it:
    pass


def ident(o):
    return o


ident(s)
ident(w)
print("accesses:", accesses)
