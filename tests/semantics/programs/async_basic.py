"""asyncio: coroutines, tasks, gather ordering, exceptions, timeouts via events."""
import asyncio

order = []


async def worker(name, delays):
    for d in delays:
        await asyncio.sleep(0)
        order.append((name, d))
    return name.upper()


async def failing():
    await asyncio.sleep(0)
    raise ValueError("task failed")


async def main():
    results = await asyncio.gather(worker("a", [1, 2, 3]), worker("b", [1, 2]))
    print(results)
    print(order)
    r = await asyncio.gather(failing(), worker("c", [1]), return_exceptions=True)
    print([type(x).__name__ if isinstance(x, Exception) else x for x in r])
    t = asyncio.create_task(worker("t", [0]))
    print(await t, t.done())
    ev = asyncio.Event()

    async def setter():
        await asyncio.sleep(0)
        ev.set()
        return "set"

    s = asyncio.create_task(setter())
    await ev.wait()
    print("event", await s)
    try:
        await failing()
    except ValueError as exc:
        print("caught", exc)
    q = asyncio.Queue()
    for i in range(3):
        q.put_nowait(i)
    got = [await q.get() for _ in range(3)]
    print(got)

    async def slow():
        await asyncio.sleep(10)

    try:
        await asyncio.wait_for(slow(), timeout=0.01)
    except asyncio.TimeoutError:
        print("timeout")
    return "main done"


print(asyncio.run(main()))


async def coro():
    return 1


c = coro()
print(type(c).__name__, c.__qualname__)
c.close()
