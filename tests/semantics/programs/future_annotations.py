"""from __future__ import annotations: annotations stay strings, never evaluated."""
from __future__ import annotations

import typing


def f(x: UndefinedType, y: list[int] = None) -> Optional[Thing]:
    return x


class C:
    attr: NotDefinedEither
    other: int = 3

    def m(self) -> C:
        return self


v: some.dotted.Name = 1
print(f.__annotations__)
print(C.__annotations__, C.other)
print(__annotations__)
print(C.m.__annotations__)
print(typing.get_type_hints(C.m))
import __future__
print(annotations is __future__.annotations, annotations.compiler_flag)
