"""The warm parent's side: import the heavy modules once, then fork a supervisor per example.

A build starts ``python -c WARM_MAIN PKG_PARENT FD MODULE…`` (``tracekit.warm``), which imports
the MODULEs (matplotlib with the agg backend) and then serves requests on the socket FD: for
each one it forks a supervisor (the code of tracekit.supervisor, in a session of its own), which
forks the example's process and supervises it as it would one it had started with ``python``.
The example's process returns from :func:`serve` to WARM_MAIN's top level, which runs the
instrumented script as a fresh ``__main__`` module (:class:`Job`), set up as
``python <instrumented>.pyc spec.json`` would be after those imports. The warm parent runs no
example code itself, never initialises CUDA, and starts no thread of its own.
"""

from __future__ import annotations

import gc
import json
import marshal
import os
import signal
import socket
import sys
import time
import types
from typing import Any, NoReturn

from . import supervisor as supervisor_module  # noqa: F401  (the example's process boots from them: loaded once, here)
from .child import boot
from .child.protocol import HOOK_PREFIX

__all__ = ["Job", "WARM_MAIN", "serve"]

#: the warm parent's main program (``python -c``): the example runs at its top level, so that
#: only this one frame, never shown in a traceback, sits under the script's own
WARM_MAIN = """import sys
sys.path.insert(0, sys.argv[1])
from tracekit.forkserver import serve
_job = serve()
del serve
try:
    exec(_job.code, _job.globals)
except BaseException as e:
    _job.status = _job.ended_by(e)
_job.exit()
"""

_STARTUP = frozenset(sys.modules)  # imported before this module (python's start, and WARM_MAIN's own)
_MAX_MESSAGE = 1 << 22


class Job:
    """The example's process, after the fork: the script's code and its fresh ``__main__``."""

    def __init__(self, code: Any, module: types.ModuleType, inherited: frozenset[str]) -> None:
        self.code = code
        self.globals = module.__dict__
        self.inherited = inherited  # the modules the warm parent had loaded
        self.status = 0

    def ended_by(self, exc: BaseException) -> int:
        """The exit status of a script that raised EXC, reported as python reports it."""
        if isinstance(exc, SystemExit):
            return _system_exit_status(exc)
        self.uncaught(exc)
        return 1

    def exit(self) -> NoReturn:
        """End as python ends after its main module, without tearing down the warm parent's modules.

        As python: non-daemon threads joined, the atexit callbacks run (the trace's writer, the
        first registered, last), the script's modules cleared (its objects finalised), a last
        collection, the standard streams flushed. Freeing torch's objects one by one takes longer
        than many examples run, and the parent where they live is left as it was."""
        status = self.status
        threading = sys.modules.get("threading")
        if threading is not None:
            try:
                threading._shutdown()
            except BaseException:
                import traceback

                print(f"Exception ignored in: {threading!r}", file=sys.stderr)  # python's words for it
                traceback.print_exc()
        import atexit

        atexit._run_exitfuncs()
        self._clear_modules()
        gc.collect()
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:
                status = 120  # as python's exit when it cannot flush them
        _REAL_EXIT(status)

    def _clear_modules(self) -> None:
        """Clear the script's modules as python's teardown does: the latest imported first, each
        module's ``_names`` before its others; the modules of installed packages are left."""
        prefixes = tuple({os.path.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
        own = []
        for name, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType):
                continue
            path = getattr(module, "__file__", None)
            if name == "__main__" or (
                name not in self.inherited and isinstance(path, str) and not os.path.abspath(path).startswith(prefixes)
            ):
                own.append(module)
        for module in reversed(own):  # __main__ keeps its place from python's start: cleared last
            _clear_module_dict(module.__dict__)

    def uncaught(self, exc: BaseException) -> None:
        """Report an uncaught exception as python does, without the frame of WARM_MAIN."""
        tb = exc.__traceback__
        if tb is not None:
            tb = tb.tb_next  # WARM_MAIN's frame: python's own top level has none
        exc.__traceback__ = tb
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
        try:
            sys.excepthook(type(exc), exc, tb)
        except BaseException as hook_error:
            print("Error in sys.excepthook:", file=sys.stderr)
            sys.__excepthook__(type(hook_error), hook_error, hook_error.__traceback__)
            print("\nOriginal exception was:", file=sys.stderr)
            sys.__excepthook__(type(exc), exc, tb)


_REAL_EXIT = os._exit  # the run's boot wraps os._exit to write the trace; it is written by now


def _system_exit_status(exc: SystemExit) -> int:
    """The exit status python gives an uncaught SystemExit, printing a code that is not a number."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code if -(2**31) <= code < 2**31 else -1
    try:
        if sys.stderr is not None:
            sys.stderr.write(f"{code}\n")
    except Exception:
        pass
    return 1


def _clear_module_dict(namespace: dict[str, Any]) -> None:
    """Python's module clearing: names with one leading underscore set to None, then all others.

    tracekit's hooks stay: finalizers the clearing runs are instrumented code that calls them."""
    for key, value in list(namespace.items()):
        if value is not None and isinstance(key, str) and key[:1] == "_" and key[1:2] != "_":
            namespace[key] = None
    for key, value in list(namespace.items()):
        if value is not None and isinstance(key, str) and key != "__builtins__" and not key.startswith(HOOK_PREFIX):
            namespace[key] = None


def _preload(names: list[str]) -> list[str]:
    """Import NAMES as the script would; matplotlib gets the backend a build gives it."""
    import importlib

    for name in names:
        if name == "matplotlib" or name.startswith("matplotlib."):
            mpl = importlib.import_module("matplotlib")
            boot.choose_backend(mpl)
        importlib.import_module(name)
    return sorted(set(sys.modules))


def _shadowed(folder: str, loaded: frozenset[str]) -> str | None:
    """A file in FOLDER that python would import instead of a module loaded here (run cold then)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    for name in names:
        stem = name.split(".", 1)[0]
        if name == "matplotlibrc" and "matplotlib" in loaded:
            return name
        if stem in loaded and (
            name.endswith((".py", ".pyc", ".so", ".pyd")) or os.path.exists(os.path.join(folder, name, "__init__.py"))
        ):
            return name
    return None


def _cuda_started() -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        return bool(torch.cuda.is_initialized())
    except Exception:
        return True


def serve() -> Job:
    """Serve the build's requests until it closes the socket; returns only in an example's process."""
    pkg = sys.path.pop(0)  # WARM_MAIN's own
    # sys.path as python sets it, less the entry of `-c` (the example's is its .pyc's folder)
    python_path = sys.path[0 if getattr(sys.flags, "safe_path", False) else 1 :]
    sys.path[:] = [pkg, *python_path]  # nothing is imported from this process's folder
    sock = socket.socket(fileno=int(sys.argv[2]))
    try:
        modules = _preload(sys.argv[3:])
    except BaseException as e:
        sock.sendall(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
        os._exit(1)
    loaded = frozenset(m.partition(".")[0] for m in modules if m not in _STARTUP)
    sock.sendall(json.dumps({"ready": os.getpid(), "modules": modules}).encode())
    current: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        # A cancelled build sends SIGTERM: it is the running example's supervisor's to act on.
        for pid in current:
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    signal.signal(signal.SIGTERM, forward)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 4)
        except OSError:
            message, fds = b"", []
        if not message:
            os._exit(0)  # the build is gone or done
        request = json.loads(message)
        _reap()
        if "clone" in request:
            made = _clone(sock, fds, request["clone"])
            if made is not None:  # in the fork: a warm parent of its own from here on
                sock, modules = made
                loaded = frozenset(m.partition(".")[0] for m in modules if m not in _STARTUP)
                current.clear()
            continue
        why = "CUDA was initialised" if _cuda_started() else _shadowed(request["cwd"], loaded)
        if why:
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"cold": why}).encode())
            continue
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        pid = os.fork()
        if pid == 0:
            sock.close()
            return _supervise(request, fds, python_path, old_mask)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for fd in fds:
            os.close(fd)
        current[:] = [pid]
        pidfd = os.pidfd_open(pid)
        socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        current.clear()
        try:
            sock.sendall(json.dumps({"status": status}).encode())
        except OSError:
            os._exit(0)


def _clone(sock: socket.socket, fds: list[int], names: list[str]) -> tuple[socket.socket, list[str]] | None:
    """Fork a warm parent that also imports NAMES and serves the socket in FDS; returns in the fork only."""
    if len(fds) != 1:
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"error": "no socket for the fork"}).encode())
        return None
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:
        sock.close()
        own = socket.socket(fileno=fds[0])
        try:
            modules = _preload(names)
        except BaseException as e:
            own.sendall(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
            os._exit(1)
        own.sendall(json.dumps({"ready": os.getpid(), "modules": modules}).encode())
        return own, modules
    os.close(fds[0])
    sock.sendall(json.dumps({"clone": pid}).encode())
    return None


def _reap() -> None:
    """Reap the forks of this warm parent that ended (it waits for each supervisor as it runs)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _supervise(request: dict[str, Any], fds: list[int], python_path: list[str], old_mask: Any) -> Job:
    """In the forked supervisor: supervise the example's process; return only in that process."""
    code = 1
    job: list[Job] = []
    try:
        config = request["config"]
        log = os.open(os.path.join(config["cleanup"], "supervisor.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 2)
        os.close(log)
        os.setsid()
        os.environ.clear()
        _clearenv()  # C's too: the example's os.environ is made from it, in its order
        os.environ.update(request["env"])
        watch = supervisor_module.high_fd(fds[0]) if fds else None
        sup = supervisor_module.Supervisor(config)
        supervisor_module.on_signals()
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        started = time.monotonic()

        def start() -> None:
            os.chdir(request["cwd"])  # the example's process inherits it; a missing folder is a start error
            handed, out, err = sup.open_pipes()
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            pid = os.fork()
            if pid == 0:
                try:
                    job.append(_become_example(sup, request, handed, out, err, python_path))
                except BaseException as e:
                    os.write(2, f"tracekit: the example's process could not start: {type(e).__name__}: {e}\n".encode())
                    os._exit(1)
                return
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            sup.proc = types.SimpleNamespace(pid=pid, returncode=None)
            sup.close_handed(handed, out, err)

        try:
            start_error = supervisor_module.try_start(start)
        except KeyboardInterrupt:
            sup.ended_by = "cancelled"
            start_error = None
        if job:
            return job[0]
        code = supervisor_module.finish(sup, watch, start_error, started)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        if not job:
            os._exit(code)
    return job[0]


def _become_example(
    sup: Any, request: dict[str, Any], handed: list[int], out: int | None, err: int | None, python_path: list[str]
) -> Job:
    """In the example's process: fds, signals and interpreter state as a fresh ``python`` has them."""
    sup.enter()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # what python installs at its start
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for fd, target in ((out, 1), (err, 2)):
        if fd is not None:
            os.dup2(fd, target)
    keep = {0, 1, 2, *handed}
    for fd in _open_fds():
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    for f in sup.outputs:  # the supervisor's files (their fds are closed above)
        try:
            f.close()
        except OSError:
            pass
    pyc, spec = request["pyc"], request["spec"]
    with open(pyc, "rb") as f:
        code = marshal.loads(f.read()[16:])
    sys.argv[:] = [pyc, spec]
    sys.path[:] = python_path
    if not getattr(sys.flags, "safe_path", False):
        sys.path.insert(0, os.path.dirname(os.path.abspath(pyc)))  # as for `python that.pyc`
    if request.get("seed") is None:
        _reseed()
    inherited = frozenset(sys.modules)
    main = types.ModuleType("__main__")
    # the keys python's own __main__ has, in its order
    main.__dict__.update(__annotations__={}, __builtins__=sys.modules["builtins"], __file__=pyc, __cached__=None)
    sys.modules["__main__"] = main
    gc.freeze()  # the parent's objects: python's collections (and its exit) need not walk them
    return Job(code, main, inherited)


def _clearenv() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).clearenv()
    except (OSError, AttributeError):
        pass


def _reseed() -> None:
    """Unseeded runs: numpy and torch from fresh entropy, as in a new process (random reseeds at fork)."""
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.seed()


def _open_fds() -> list[int]:
    try:
        return [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 256))
