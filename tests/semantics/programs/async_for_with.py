"""async for, async with, async generators (asend/athrow/aclose), async comprehensions."""
import asyncio


class AsyncCM:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress

    async def __aenter__(self):
        print("enter", self.name)
        return self.name

    async def __aexit__(self, et, ev, tb):
        print("exit", self.name, et.__name__ if et else None)
        return self.suppress


class ARange:
    def __init__(self, n):
        self.i, self.n = 0, n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.i >= self.n:
            raise StopAsyncIteration
        self.i += 1
        await asyncio.sleep(0)
        return self.i


async def agen(n):
    try:
        for i in range(n):
            got = yield i
            if got:
                print("agen got", got)
    finally:
        print("agen finally")


async def main():
    async with AsyncCM("a") as a, AsyncCM("b") as b:
        print("inside", a, b)
    async with AsyncCM("s", suppress=True):
        raise KeyError("suppressed")
    print("after suppressed")
    async for i in ARange(3):
        print("arange", i)
    else:
        print("async for else")
    print([x async for x in agen(4) if x % 2])
    print({x: y async for x, y in aenumerate("ab")})
    g = agen(10)
    print(await g.__anext__())
    print(await g.asend("hello"))
    try:
        await g.athrow(RuntimeError("thrown"))
    except RuntimeError as exc:
        print("athrow propagated", exc)
    g2 = agen(5)
    await g2.__anext__()
    await g2.aclose()
    print("aclosed")
    print([await sq(i) for i in range(3)])


async def aenumerate(it):
    for i, x in enumerate(it):
        yield i, x


async def sq(x):
    await asyncio.sleep(0)
    return x * x


asyncio.run(main())
