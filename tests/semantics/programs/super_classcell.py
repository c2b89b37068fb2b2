"""Zero-argument super(), __class__ cell, super in classmethods/properties/lambdas."""


class Base:
    def hello(self):
        return f"Base.hello({type(self).__name__})"

    @classmethod
    def make(cls):
        return f"Base.make({cls.__name__})"

    def __init_subclass__(cls, **kw):
        super().__init_subclass__()
        cls.kw = kw


class Mid(Base, flag="mid"):
    def hello(self):
        return "Mid>" + super().hello()

    @classmethod
    def make(cls):
        return "Mid>" + super().make()


class Leaf(Mid):
    def hello(self):
        f = lambda: super(Leaf, self).hello()
        return "Leaf>" + f()

    def who(self):
        return __class__.__name__

    def gen(self):
        yield super().hello()

    def comp(self):
        try:
            return [super().hello() for _ in range(1)]
        except TypeError as exc:  # 3.11: the comprehension is its own function
            return f"TypeError: {exc}"


print(Leaf().hello(), Leaf.make(), Mid.kw, Leaf.kw)
print(Leaf().who(), list(Leaf().gen()), Leaf().comp())
print(Leaf.who.__code__.co_freevars, Leaf.hello.__code__.co_freevars)


class Diamond(Mid, Base):
    def hello(self):
        return "D>" + super().hello()


print(Diamond().hello(), [c.__name__ for c in Diamond.__mro__])


def outside():
    try:
        super()
    except RuntimeError as exc:
        return str(exc)


print(outside())


class Meta(type):
    def __new__(mcls, name, bases, ns):
        print("Meta sees __classcell__:", "__classcell__" in ns)
        return super().__new__(mcls, name, bases, ns)


class WithCell(metaclass=Meta):
    def m(self):
        return __class__


print(WithCell().m() is WithCell)


class P:
    @property
    def v(self):
        return "P.v"


class Q(P):
    @property
    def v(self):
        return "Q>" + super().v


print(Q().v)
