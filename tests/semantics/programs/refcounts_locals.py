"""sys.getrefcount of locals, list items and attributes after recorded lines is python's."""
import sys


class Thing:
    pass


def counts():
    t = Thing()
    out = [sys.getrefcount(t)]
    words = ["alpha" + str(len(out)), "beta" + str(len(out))]
    out.append(sys.getrefcount(words[0]))
    for i in range(2):
        words.append("w" + str(i))
    out.append(sys.getrefcount(words[0]))
    holder = Thing()
    holder.items = [t]
    out.append(sys.getrefcount(t))
    del holder
    out.append(sys.getrefcount(t))
    big = 10**30 + len(out)
    nums = [big]
    nums.append(1)
    out.append(sys.getrefcount(big))
    return out


print(counts())
text = "gamma" + str(len(sys.argv))
values = [text]
values.append("x")
print(sys.getrefcount(text))
