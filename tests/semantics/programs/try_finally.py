"""try/except/else/finally ordering, return/break/continue in finally, nested handlers."""


def order(raise_it):
    steps = []
    try:
        steps.append("try")
        if raise_it:
            raise ValueError("x")
    except ValueError:
        steps.append("except")
    else:
        steps.append("else")
    finally:
        steps.append("finally")
    return steps


print(order(False), order(True))


def return_in_finally():
    try:
        return "try"
    finally:
        return "finally"


def swallow():
    try:
        raise KeyError("lost")
    finally:
        return "swallowed"


def finally_sees_return():
    x = "initial"
    try:
        return x
    finally:
        x = "changed"
        print("finally ran, x =", x)


print(return_in_finally(), swallow(), finally_sees_return())


def loop_control():
    out = []
    for i in range(5):
        try:
            if i == 1:
                continue
            if i == 3:
                break
            out.append(i)
        finally:
            out.append(f"f{i}")
    return out


print(loop_control())


def nested():
    try:
        try:
            1 / 0
        except ZeroDivisionError as e:
            raise ValueError("wrapped") from e
        finally:
            print("inner finally")
    except ValueError as exc:
        return f"{exc} <- {exc.__cause__!r}"


print(nested())


def exc_var_cleared():
    try:
        raise TypeError("t")
    except TypeError as err:
        pass
    try:
        return err
    except UnboundLocalError as exc:
        return f"UnboundLocalError: {exc}"


print(exc_var_cleared())


def bare_reraise():
    try:
        try:
            raise OSError(2, "nope")
        except OSError:
            raise
    except OSError as e:
        return e.errno, e.strerror


print(bare_reraise())
try:
    raise ExceptionGroup("g", [ValueError(1)]) if False else NotImplementedError("ni")
except (TypeError, NotImplementedError) as e:
    print("tuple handler", type(e).__name__)
import sys
try:
    raise LookupError("info")
except LookupError:
    print("exc_info", sys.exc_info()[0].__name__, sys.exception())
print("after", sys.exc_info())
for i in range(3):
    try:
        pass
    finally:
        if i == 1:
            break
print("broke at", i)
