"""Private name mangling in class bodies, methods, nested functions, comprehensions."""


class Account:
    __count = 0

    def __init__(self, owner):
        self.__owner = owner
        Account.__count += 1
        self.__data = {"k": 1}

    def owner(self):
        return self.__owner

    def nested(self):
        def inner():
            return self.__owner.upper()
        return inner()

    def comp(self):
        return [self.__owner for _ in range(2)]

    def lam(self):
        return (lambda: self.__data["k"])()

    @classmethod
    def count(cls):
        return cls.__count

    def __dunder__(self):
        return "not mangled"

    def mangled_local(self):
        __local = 5
        return __local, sorted(n for n in self.mangled_local.__code__.co_varnames)


a = Account("ann")
b = Account("bob")
print(a.owner(), a.nested(), a.comp(), a.lam(), Account.count())
print(sorted(k for k in vars(a)))
print(sorted(k for k in vars(Account) if "count" in k or "dunder" in k))
print(a._Account__owner, a.__dunder__())
try:
    a.__owner
except AttributeError as exc:
    print("AttributeError:", exc)
print(a.mangled_local())


class _Under:
    def __m(self):
        return "under"

    def call(self):
        return self.__m()


print(_Under().call(), [n for n in dir(_Under) if "m" in n and n.startswith("_U")])


class Sub(Account):
    def peek(self):
        try:
            return self.__owner
        except AttributeError as exc:
            return f"AttributeError: {exc}"


print(Sub("sue").peek())


class Anno:
    __x: int = 1
    __y: "str"


print(Anno.__annotations__)
