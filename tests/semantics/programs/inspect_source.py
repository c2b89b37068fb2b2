"""inspect.getsource, co_firstlineno, co_varnames, signatures, line numbers of objects."""
import inspect


def decorated(fn):
    return fn


@decorated
def target(a, b=2, *args, c, d=4, **kw):
    """Target docstring."""
    local_one = a + b
    local_two = [local_one]
    return local_two


class Klass:
    """Klass doc."""

    def method(self, x):
        y = x * 2
        return y


print(inspect.getsource(target), end="")
print(target.__code__.co_firstlineno, target.__code__.co_name, target.__code__.co_qualname)
print(target.__code__.co_varnames, target.__code__.co_argcount,
      target.__code__.co_kwonlyargcount, target.__code__.co_nlocals)
print(inspect.signature(target))
print(inspect.getsource(Klass), end="")
print(inspect.getsourcelines(Klass.method)[1], inspect.getfile(Klass) == __file__)
print(Klass.method.__code__.co_varnames, Klass.method.__code__.co_freevars,
      Klass.method.__code__.co_cellvars)
lam = lambda q: q + 1
print(inspect.getsource(lam).strip(), lam.__code__.co_firstlineno)
print(inspect.getmodule(target).__name__, inspect.getcomments(target))
lines = [ln for _, _, ln in target.__code__.co_lines() if ln is not None]
print(min(lines), max(lines))
print(inspect.currentframe().f_lineno)
print(inspect.getdoc(Klass), inspect.getdoc(target))
print(target.__code__.co_flags & inspect.CO_VARARGS != 0, inspect.isgeneratorfunction(target))
