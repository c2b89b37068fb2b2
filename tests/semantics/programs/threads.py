"""threading: workers writing into per-thread slots, locks, join, thread-local, results."""
import threading

results = [None] * 4
lock = threading.Lock()
shared = {"count": 0}
local = threading.local()


def work(i):
    local.value = i * 10
    total = 0
    for k in range(2000):
        total += k * i
        with lock:
            shared["count"] += 1
    results[i] = (i, total, local.value)


threads = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(results)
print(shared, hasattr(local, "value"))
print(sorted(t.name for t in threads), [t.is_alive() for t in threads])

errors = []


def hook(args):
    errors.append((args.exc_type.__name__, str(args.exc_value), args.thread.name))


threading.excepthook = hook
bad = threading.Thread(target=lambda: 1 / 0, name="bad")
bad.start()
bad.join()
print(errors)
barrier = threading.Barrier(3)
out = []


def meet(n):
    barrier.wait()
    with lock:
        out.append(n)


ts = [threading.Thread(target=meet, args=(n,)) for n in range(3)]
[t.start() for t in ts]
[t.join() for t in ts]
print(sorted(out), threading.current_thread().name, threading.active_count())
