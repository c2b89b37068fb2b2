"""gc.get_referrers finds the program's own references only."""
import gc


class Thing:
    pass


def referrers(obj):
    return sorted(type(r).__name__ for r in gc.get_referrers(obj))


def work():
    t = Thing()
    for i in range(2):
        t.i = i
    box = [t]
    box.append(1)
    print(referrers(t))
    del box
    print(referrers(t))
    return t


kept = work()
print(referrers(kept))
pair = {"k": kept}
pair["j"] = 2
print(referrers(kept))


def late_loop(n):
    t = Thing()
    if n == 4:  # the loop's first (recorded) end comes after the other lines' recorded hits
        for _ in range(2):
            pass
    print(n, referrers(t))


for n in range(5):
    late_loop(n)
