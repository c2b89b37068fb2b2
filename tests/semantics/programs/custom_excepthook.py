"""A user-installed sys.excepthook handles the uncaught exception; exit status stays 1."""
import sys


def hook(exc_type, exc, tb):
    frames = []
    while tb:
        frames.append((tb.tb_frame.f_code.co_name, tb.tb_lineno))
        tb = tb.tb_next
    print("custom hook:", exc_type.__name__, exc, frames, file=sys.stderr)
    print("hook stdout")


sys.excepthook = hook


def fail():
    raise LookupError("handled by hook")


print("start")
fail()
