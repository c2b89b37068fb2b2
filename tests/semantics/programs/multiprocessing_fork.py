"""multiprocessing with fork and spawn: workers run functions defined in __main__."""
import multiprocessing as mp


def square(x):
    return x * x


def whoami(_):
    return __name__


if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:
        print(pool.map(square, range(6)))
        print(sorted(set(pool.map(whoami, range(2)))))
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        print(pool.map(square, [7, 8]))
        print(pool.map(whoami, [0]))
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=q.put, args=("from child",))
    p.start()
    print(q.get())
    p.join()
    print(p.exitcode)
