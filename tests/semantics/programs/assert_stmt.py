"""assert: message evaluated only on failure, AssertionError args, __debug__."""
log = []


def msg(m):
    log.append(m)
    return m


assert 1 + 1 == 2, msg("never evaluated")
print(log, __debug__)
try:
    assert [], msg("empty list is falsy")
except AssertionError as exc:
    print("AssertionError:", exc.args, log)
try:
    assert False
except AssertionError as exc:
    print("bare:", exc.args)
x = 3
try:
    assert x > 5, f"x was {x}"
except AssertionError as exc:
    print(exc)
assert (x, "tuple is truthy")
print("done")
