"""Warm parents: processes that imported an example's heavy modules once, each forking its runs.

A build keeps one warm parent per job slot and distinct preload set (the modules of the
``preload`` list that an example imports in its leading imports, e.g. torch and numpy), started
on first use and reused by every later example that imports the same ones. For each example the
warm parent forks a supervisor (tracekit.supervisor's code) that forks the example's process,
so the build → supervisor → example chain of a cold run keeps its containment (session, cgroup,
subreaper, watch pipe) with the warm parent above the supervisor. See tracekit.forkserver.

An example runs cold, as before, when its code before a heavy import does more than imports
and a docstring (it may set ``OMP_NUM_THREADS`` first), when it imports a preload module anywhere
but in those leading imports, when a file in its folder would shadow a preloaded module, or when
no warm parent can be had.
"""

from __future__ import annotations

import ast
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from .options import OPTIONS

TYPE_CHECKING = False  # `typing` is not imported at run time: a warm parent imports as little as it can before it forks
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_PRELOAD",
    "Forked",
    "cancel_all",
    "parents",
    "pool_key",
    "preload_for",
    "prewarm",
    "ready",
    "shutdown",
    "start",
]

#: what the examples import among these is imported once per warm parent (matplotlib with agg)
DEFAULT_PRELOAD: tuple[str, ...] = OPTIONS["preload"].build_default
_IDLE_KEPT = 8  # idle warm parents kept beyond those of the set just used (forks of each other: they share pages)
_READY_WITHIN = 300.0  # seconds a warm parent may take to import its modules
_TOKEN_VAR = "TRACEKIT_BUILD_TOKEN"  # differs between builds; the warm parent outlives one


def preload_for(source: bytes | str, preload: Sequence[str]) -> tuple[str, ...] | None:
    """The PRELOAD entries SOURCE imports in its leading imports; None when it must run cold.

    Leading imports: the statements before the first one that is neither an import nor the
    docstring. An entry counts when a module it names, or one below it, is imported there.
    Cold: not Python; a relative or third-party import other than a preload module before the
    last preloaded one (it could change what that import does); a preload module imported
    after other code."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    roots = {name.partition(".")[0] for name in preload}
    body = list(tree.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body.pop(0)
    leading: list[tuple[str, ...]] = []  # per statement: the modules it imports
    consumed = 0
    matplotlib_names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.Import):
            leading.append(tuple(alias.name for alias in stmt.names))
            matplotlib_names |= {alias.asname or alias.name for alias in stmt.names if alias.name == "matplotlib"}
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.level:
                leading.append(("",))  # relative: the example's own package
            elif stmt.module != "__future__":
                leading.append((stmt.module or "", *(f"{stmt.module}.{a.name}" for a in stmt.names)))
        elif not _selects_agg(stmt, matplotlib_names):
            break
        consumed += 1
    chosen: set[str] = set()
    blocked = False  # a module that is neither standard nor preloaded was imported before
    for names in leading:
        hits = {entry for entry in preload for name in names if name == entry or name.startswith(entry + ".")}
        if hits and blocked:
            return None
        chosen |= hits
        if any(
            name.partition(".")[0] not in roots and name.partition(".")[0] not in sys.stdlib_module_names
            for name in names
        ):
            blocked = True
    later = tree.body[len(tree.body) - len(body) + consumed :]
    for node in (n for stmt in later for n in ast.walk(stmt)):
        names = ()
        if isinstance(node, ast.Import):
            names = tuple(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = (node.module,)
        if any(
            name.partition(".")[0] in roots and not any(c.partition(".")[0] == name.partition(".")[0] for c in chosen)
            for name in names
        ):
            return None
    for entry, (parent, attributes) in ON_USE.items():
        if entry in preload and parent in chosen and _uses(tree, parent, attributes):
            chosen.add(entry)
    return tuple(entry for entry in preload if entry in chosen)


def _selects_agg(stmt: ast.stmt, matplotlib_names: set[str]) -> bool:
    """Is STMT ``matplotlib.use("agg")``, the backend a warm parent's matplotlib already has (a no-op there)?"""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "use"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id in matplotlib_names
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
        and call.args[0].value.lower() == "agg"
        and all(k.arg == "force" and isinstance(k.value, ast.Constant) for k in call.keywords)
    )


#: modules a preloaded module imports on first use of some of its API (torch: its optimizers,
#: torch.func and torch.compile import torch._dynamo, the second of its import costs): preloaded
#: for the examples that use that API, with the module and the attributes of it that lead there
ON_USE: dict[str, tuple[str, frozenset[str]]] = {"torch._dynamo": ("torch", frozenset({"optim", "func", "compile"}))}


def _uses(tree: ast.Module, module: str, attributes: frozenset[str]) -> bool:
    """Does TREE import or name one of MODULE's ATTRIBUTES (``torch.optim``, ``from torch import optim``)?"""
    below = tuple(f"{module}.{a}" for a in attributes)
    bound = {module}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == module:
                    bound.add(alias.asname or module)
                elif alias.name in below or alias.name.startswith(tuple(b + "." for b in below)):
                    return True
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module in below or node.module.startswith(tuple(b + "." for b in below)):
                return True
            if node.module == module and any(alias.name in attributes for alias in node.names):
                return True
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in attributes
        and isinstance(node.value, ast.Name)
        and node.value.id in bound
        for node in ast.walk(tree)
    )


class _Warm:
    """One warm parent, its socket, and the modules it has loaded."""

    def __init__(self, key: tuple[Any, ...], names: tuple[str, ...], sock: socket.socket, proc: Any) -> None:
        self.key = key
        self.names = names
        self.sock = sock
        self.proc = proc  # a Popen, or a _Clone of one: pid, poll(), wait(timeout), kill()
        self.modules: frozenset[str] = frozenset()

    @classmethod
    def started(cls, key: tuple[Any, ...], names: tuple[str, ...], env: dict[str, Any], flags: list[str]) -> _Warm:
        """A new warm parent process that imports NAMES."""
        from . import orphans
        from .codecache import PKG_PARENT, cache_dir
        from .forkserver import WARM_MAIN

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        folder = os.path.join(cache_dir(), "warm")  # empty: matplotlib looks for a matplotlibrc here
        os.makedirs(folder, mode=0o700, exist_ok=True)
        try:
            with open(os.path.join(folder, "log"), "ab") as log, orphans.starting():
                proc = subprocess.Popen(
                    [sys.executable, *flags, "-c", WARM_MAIN, PKG_PARENT, str(theirs.fileno()), *names],
                    cwd=folder,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    pass_fds=(theirs.fileno(),),
                    start_new_session=True,
                )
                orphans.register(proc.pid)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(key, names, ours, proc).ready()

    def clone(self, names: tuple[str, ...]) -> _Warm:
        """A fork of this idle warm parent that also imports what NAMES adds to its own names, not
        yet ready (this one is free again as soon as it has forked: call ``ready()`` on the fork).

        The fork imports them in the order a new warm parent would, so it is that parent, less
        the imports it shares: torch is imported once however many sets and job slots use it."""
        from . import orphans

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with orphans.starting():
                socket.send_fds(
                    self.sock, [json.dumps({"clone": list(names[len(self.names) :])}).encode()], [theirs.fileno()]
                )
                reply = self._receive(30.0)
                if reply is None or "clone" not in reply[0]:
                    raise OSError("the warm parent did not fork")
                proc = _Clone(reply[0]["clone"])
                orphans.register(proc.pid)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return _Warm(self.key, names, ours, proc)

    def ready(self) -> _Warm:
        """This warm parent once it has imported its modules; OSError if it could not."""
        reply = self._receive(_READY_WITHIN)
        if reply is None or "ready" not in reply[0]:
            self.close()
            raise OSError(reply[0].get("error") if reply else "the warm parent did not start")
        self.modules = frozenset(reply[0]["modules"])
        with _lock:
            _parents.add(self)
        return self

    def _receive(self, timeout: float | None) -> tuple[dict[str, Any], list[int]] | None:
        """The next message and the fds it carries; None at EOF or after TIMEOUT seconds."""
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return None
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, 1 << 22, 2)
        except OSError:
            return None
        if not data:
            return None
        return json.loads(data), fds

    def serves(self, names: tuple[str, ...]) -> bool:
        """Would the process of an example importing NAMES first look like this one's? (Torch
        imports numpy itself: a parent that preloaded torch serves torch-and-numpy examples.)"""
        return set(self.names) <= set(names) <= self.modules

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        from . import orphans

        with _lock:
            _parents.discard(self)
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        orphans.forget(self.proc.pid)


class _Clone:
    """A warm parent forked by another: followed through a pidfd, as it is not this process's child."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode if self.returncode is not None else self._ended(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._ended(timeout)
        if code is None:
            raise subprocess.TimeoutExpired("warm parent", timeout or 0)
        return code

    def kill(self) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass

    def _ended(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            ready, _, _ = select.select([self.pidfd], [], [], timeout)
            if not ready:
                return None
            os.close(self.pidfd)
            self.returncode = 0  # its status is its parent's to read (or the build's, once reparented)
        return self.returncode


class Forked:
    """A supervisor forked by a warm parent, handled as run.py handles a Popen of one."""

    def __init__(self, warm: _Warm, pid: int, pidfd: int) -> None:
        self.warm = warm
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        reply = self.warm._receive(timeout)
        if reply is not None and "status" in reply[0]:
            self.returncode = os.waitstatus_to_exitcode(reply[0]["status"])
        elif reply is None and self.warm.alive() and timeout is not None:
            raise subprocess.TimeoutExpired("supervisor", timeout)
        else:
            self.returncode = self._orphaned()
        self._done()
        return self.returncode

    def _orphaned(self) -> int:
        """The warm parent died (the example killed it): its supervisor is now this process's."""
        self.warm.proc.poll()
        select.select([self.pidfd], [], [], None)
        for _ in range(1000):
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                break  # not reparented here yet, or reaped elsewhere
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.001)
        return -signal.SIGKILL

    def _done(self) -> None:
        os.close(self.pidfd)
        self.pidfd = -1
        with _lock:
            _live.discard(self)
        _release(self.warm)

    def send_signal(self, sig: int) -> None:
        if self.pidfd >= 0:
            try:
                signal.pidfd_send_signal(self.pidfd, sig)
            except OSError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None


_lock = threading.Lock()
_idle: list[_Warm] = []  # most recently used last
_live: set[Forked] = set()  # supervisors running now
_parents: set[_Warm] = set()  # every warm parent ready and not closed, idle or busy
_broken: set[tuple[Any, ...]] = set()  # keys whose warm parent could not start: those examples run cold
_growth: dict[tuple[Any, ...], threading.Lock] = {}  # per key and set: held while its parent is made


def start(
    names: tuple[str, ...], request: dict[str, Any], watch: int, env: dict[str, str] | None, flags: list[str]
) -> Forked | None:
    """Fork REQUEST's supervisor from a warm parent that preloaded NAMES; None: run it cold."""
    env = _process_environ() if env is None else dict(env)
    warm = _get(pool_key(env, flags), names, env, flags)
    if warm is None:
        return None
    request = dict(request, env=env)
    try:
        socket.send_fds(warm.sock, [json.dumps(request).encode()], [watch])
        reply = warm._receive(30.0)
    except OSError:
        reply = None
    if reply is not None and "cold" in reply[0]:
        _release(warm)
        return None
    if reply is None or "pid" not in reply[0] or not reply[1]:
        warm.close()
        return None
    forked = Forked(warm, reply[0]["pid"], reply[1][0])
    with _lock:
        _live.add(forked)
    return forked


def _process_environ() -> dict[str, str]:
    """The environment a process started now inherits: C's, which may hold what os.environ does not."""
    try:
        import ctypes

        envp = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
        out: dict[str, str] = {}
        i = 0
        while envp[i] is not None:
            name, _, value = os.fsdecode(envp[i]).partition("=")
            out.setdefault(name, value)
            i += 1
        return out
    except (OSError, ValueError, AttributeError):
        return dict(os.environ)


def _get(key: tuple[Any, ...], names: tuple[str, ...], env: dict[str, Any], flags: list[str]) -> _Warm | None:
    """A warm parent for NAMES, taken, with another left idle for the next example of the set.

    One is forked from an idle parent whose imports are the first of NAMES (a new process that
    imports nothing serves as the root of all), so each module is imported once per build. The
    spare is forked before the taken one runs anything: under -j N the next example of the same
    set forks from it rather than importing the set again."""
    with _growing(key, names):
        warm = _take(key, names)
        if warm is None:
            warm = _grown(key, names, env, flags)
            if warm is None:
                return None
        with _lock:
            spare = any(w.key == key and w.names == warm.names and w.alive() for w in _idle)
        if not spare:
            try:
                _release(warm.clone(warm.names).ready())
            except OSError:
                if not warm.alive():
                    warm.close()
                    return None
        return warm


def prewarm(
    sets: Sequence[tuple[str, ...]], env: dict[str, str] | None, flags: list[str], cancel: threading.Event
) -> threading.Thread:
    """Make the warm parents of SETS, in their order, in a thread started now: a build's first
    examples find torch imported or on its way while the build reads them. A set that a parent
    made before serves (torch's serves torch-and-numpy) gets none; nor does one an example's
    own request is making (the lock per set) or made. The thread stops at CANCEL."""
    env = _process_environ() if env is None else dict(env)
    key = pool_key(env, flags)

    def make() -> None:
        for names in dict.fromkeys(sets):
            if cancel.is_set():
                return
            with _growing(key, names):
                with _lock:
                    served = any(w.key == key and w.serves(names) and w.alive() for w in _parents)
                if served or cancel.is_set():
                    continue
                warm = _grown(key, names, env, flags)
                if warm is not None:
                    _release(warm)

    thread = threading.Thread(target=make, name="tracekit-prewarm", daemon=True)
    thread.start()
    return thread


def ready(names: tuple[str, ...], key: tuple[Any, ...]) -> bool:
    """Is an idle warm parent for KEY (``pool_key(env, flags)``) serving NAMES there now (an example of that set
    would start at once)?"""
    with _lock:
        return any(w.key == key and w.serves(names) for w in _idle)


def pool_key(env: dict[str, str], flags: list[str]) -> tuple[Any, ...]:
    """What a warm parent shares with the runs it serves: interpreter, flags, tracekit's code, environment."""
    from .codecache import generator_source

    return (
        sys.executable,
        tuple(flags),
        generator_source(),
        tuple(sorted((k, v) for k, v in env.items() if k != _TOKEN_VAR)),
    )


def _grown(key: tuple[Any, ...], names: tuple[str, ...], env: dict[str, Any], flags: list[str]) -> _Warm | None:
    """A new warm parent for NAMES: forked from the idle parent that imported the most of them
    already (the first names, in order), or from a new root that imported nothing."""
    if (key, names) in _broken:
        return None
    try:
        if not names:
            return _Warm.started(key, (), env, flags)
        for n in range(len(names) - 1, -1, -1):
            # The lock of those first names: a parent of them being made, or the spare of one
            # taken, is idle once it is free; and none is made anew while this one forks.
            with _growing(key, names[:n]):
                base = _take(key, names[:n], exact=True)
                if base is None and n == 0:
                    base = _Warm.started(key, (), env, flags)
                if base is None:
                    continue
                try:
                    fork = base.clone(names)
                finally:
                    _release(base)  # free for the next fork while this one imports
                return fork.ready()
        return None
    except OSError:
        _broken.add((key, names))
        return None


def _growing(key: tuple[Any, ...], names: tuple[str, ...]) -> threading.Lock:
    """The lock held while a parent for NAMES is made: two job slots wanting one import it once."""
    with _lock:
        return _growth.setdefault((key, names), threading.Lock())


def _take(key: tuple[Any, ...], names: tuple[str, ...], exact: bool = False) -> _Warm | None:
    """An idle warm parent for KEY that serves NAMES (EXACT: that imported exactly them), taken; those
    that died on the way are ended."""
    dead: list[_Warm] = []
    found = None
    with _lock:
        for warm in reversed(list(_idle)):
            if warm.key == key and (warm.names == names if exact else warm.serves(names)):
                _idle.remove(warm)
                if warm.alive():
                    found = warm
                    break
                dead.append(warm)  # closed below: close() waits, and _lock is not reentrant
    for warm in dead:
        warm.close()
    return found


def _release(warm: _Warm) -> None:
    """WARM is free for the next example; the least recently used idle ones beyond a few end."""
    if not warm.alive():
        warm.close()
        return
    with _lock:
        _idle.append(warm)
        others = [w for w in _idle if w.key != warm.key or w.names != warm.names]
        extra = others[: max(0, len(others) - _IDLE_KEPT)]
        for w in extra:
            _idle.remove(w)
    for w in extra:
        w.close()


def cancel_all() -> None:
    """SIGTERM every running supervisor of a warm parent: each ends its example, as cancelled."""
    with _lock:
        live = list(_live)
    for forked in live:
        forked.send_signal(signal.SIGTERM)


def parents() -> list[int]:
    """The process ids of this process's warm parents, idle and busy (`tracekit serve` keeps them between rebuilds)."""
    with _lock:
        return sorted({w.proc.pid for w in _idle if w.alive()} | {f.warm.proc.pid for f in _live})


def shutdown() -> None:
    """End every idle warm parent and wait for it (they also end by themselves when this process
    does); one that could not start is tried again on next use."""
    with _lock:
        idle = list(_idle)
        _idle.clear()
        _broken.clear()
    for warm in idle:
        warm.close()
