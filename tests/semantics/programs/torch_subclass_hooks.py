# requires: torch
"""Recording never runs a tensor subclass's own code: its __torch_dispatch__ or __torch_function__
logs what python ran, and nothing more (so do a dispatch or function mode, and the __hash__ and
__eq__ of a dict key that holds a tensor); an override that raises is not a line that raised."""

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

calls = []


class Strict(torch.Tensor):
    @staticmethod
    def __new__(cls, elem):
        return torch.Tensor._make_subclass(cls, elem)

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        calls.append(str(func))
        raise NotImplementedError(func)


class Wrapper(torch.Tensor):
    @staticmethod
    def __new__(cls, elem):
        return torch.Tensor._make_wrapper_subclass(cls, elem.shape, dtype=elem.dtype, dispatch_sizes_strides_policy="sizes")

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        calls.append(str(func))
        raise NotImplementedError(func)


class Logged(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        calls.append(getattr(func, "__name__", str(func)))
        return super().__torch_function__(func, types, args, kwargs or {})


s = Strict(torch.ones(2, 3))
pair = [s, 1]
print("dispatch subclass:", calls)

w = Wrapper(torch.ones(2, 3))
print("wrapper subclass:", calls)

x = torch.arange(4.0).as_subclass(Logged)
calls.clear()
y = x * 2
z = y
z.add_(1)
print("function subclass:", calls)


class Counter(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        calls.append(str(func))
        return func(*args, **(kwargs or {}))


class FunctionCounter(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        calls.append(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


a = torch.ones(3)
calls.clear()
with Counter():
    b = a + 1
    c = b.sum()
print("dispatch mode:", calls)
calls.clear()
with FunctionCounter():
    d = a * 3
    e = d.mean()
print("function mode:", calls)
print(e.item())


class Key:
    def __hash__(self):
        calls.append("hash")
        return 1

    def __eq__(self, other):
        calls.append("eq")
        return self is other

    def __repr__(self):  # recording prints values by their repr: that one is documented
        return "Key()"


calls.clear()
k = Key()
table = {k: torch.zeros(2), "plain": torch.zeros(2)}
table["plain"].add_(1)
total = table["plain"].sum()
print("dict key:", calls)
