# merge-stderr: yes
"""Warnings a repr or an attribute raises are the program's: recording consumes no "default"/"once" warning."""
import warnings


class Deprecated:
    def __repr__(self):
        warnings.warn("repr of Deprecated is deprecated", DeprecationWarning, stacklevel=1)
        return "Deprecated()"

    @property
    def old(self):
        warnings.warn("old is deprecated", UserWarning, stacklevel=2)
        return 1


warnings.simplefilter("default")
d = Deprecated()
items = [d, d]
print("bound, never shown")
print(repr(d))
print(repr(d))
print("first shown")
value = d.old
for i in range(3):
    value = d.old
print(value, "__warningregistry__" in globals())
warnings.simplefilter("once")
w = Deprecated()
print("once bound")
print(repr(w))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    other = Deprecated()
    print(len(caught))
print(sorted(k[0] for k in __warningregistry__ if k != "version"))
