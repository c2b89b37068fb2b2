"""Decorators: evaluation order, stacking, class decorators, side effects, wraps."""
import functools

log = []


def deco(tag):
    log.append(f"factory {tag}")

    def apply(fn):
        log.append(f"apply {tag} to {fn.__name__}")

        @functools.wraps(fn)
        def wrapper(*a, **k):
            log.append(f"call {tag}")
            return fn(*a, **k)

        wrapper.tags = getattr(fn, "tags", []) + [tag]
        return wrapper

    return apply


@deco("outer")
@deco("inner")
def greet(name):
    """Say hello."""
    return f"hello {name}"


print(log)
log.clear()
print(greet("x"), log, greet.__name__, greet.__doc__, greet.tags, greet.__wrapped__.__name__)
log.clear()


def register(cls):
    log.append(f"register {cls.__name__}")
    cls.registered = True
    return cls


def replace_with_instance(cls):
    return cls()


@register
class A:
    log.append("class body A")

    @staticmethod
    @deco("static")
    def s():
        return "s"

    @property
    @deco("prop")
    def p(self):
        return "p"

    @classmethod
    def c(cls):
        return cls.__name__


print(log, A.registered, A.s(), A().p, A.c())
log.clear()


@replace_with_instance
class Singleton:
    value = 3


print(type(Singleton).__name__, Singleton.value)

@lambda f: f()
def computed():
    return 42


print(computed)
decos = [deco("from-list")]


@decos[0]
def listed():
    return "listed"


print(listed(), log)


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


print(fib(30), fib.cache_info())
