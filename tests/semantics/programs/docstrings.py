"""Module docstring: first line.

Second paragraph of the module docstring.
"""


def with_doc():
    """Function docstring."""
    return with_doc.__doc__


def without_doc():
    x = "not a docstring"
    """Also not a docstring."""
    return x


def fstring_not_doc():
    f"""f-strings are never docstrings"""


class WithDoc:
    """Class docstring."""

    def m(self):
        """Method doc."""


class NoDoc:
    pass


lam = lambda: None
print(repr(__doc__))
print(with_doc(), without_doc.__doc__, fstring_not_doc.__doc__)
print(WithDoc.__doc__, WithDoc.m.__doc__, NoDoc.__doc__, lam.__doc__)
print(with_doc.__code__.co_consts[0])
import sys
print(sys.modules["__main__"].__doc__ == __doc__)
