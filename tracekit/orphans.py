"""What an example leaves when it kills or stops its supervisor: the build ends it.

A script can find its supervisor (``os.getppid()``) and kill or stop it; everything the
supervisor would have killed is then left running. The build ends it instead (Linux):

* the example's cgroup, which is named after its supervisor (``tracekit-PID`` beside the
  build's own), is killed whole with ``cgroup.kill``;
* the processes of the supervisor's session (the script and what it started without
  ``setsid``) are killed: a session id is not reused while anything is left in it;
* a build that called ``adopt()`` is a child subreaper, so the supervisor's children,
  setsid'd double-forked daemons included, are reparented to it when the supervisor dies.
  A live supervisor keeps its orphans and one that ends leaves none, so every child of the
  build that is not a live supervisor belongs to a supervisor that was killed: those and all
  their descendants are killed and reaped, whichever example (under -j N) they came from.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()  # held while a supervisor is started and while orphans are picked
_supervisors: set[int] = set()
_adopting = False
_PR_SET_CHILD_SUBREAPER = 36


def adopt() -> bool:
    """Make this process (the build) a child subreaper; True when it is one."""
    global _adopting
    with _lock:
        if not _adopting and sys.platform.startswith("linux"):
            try:
                import ctypes

                _adopting = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except Exception:
                _adopting = False
        return _adopting


@contextmanager
def starting() -> Iterator[None]:
    """Around starting a supervisor and registering it: no orphan sweep sees it in between."""
    with _lock:
        yield


def register(pid: int) -> None:
    """PID is a supervisor of this process, or a warm parent (tracekit.warm) that forks them
    (called inside ``starting()``): never taken for what a killed supervisor left."""
    _supervisors.add(pid)


def forget(pid: int) -> None:
    """The supervisor PID has been waited for."""
    with _lock:
        _supervisors.discard(pid)


def stopped(pid: int) -> bool:
    """Is PID stopped (SIGSTOP and the like)? False where there is no /proc."""
    state = _stat(pid)
    return state is not None and state[0] in "Tt"


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of PID from /proc, None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return fields[0].decode("ascii", "replace"), int(fields[1]), int(fields[3])
    except (OSError, ValueError, IndexError):
        return None


def _table() -> dict[int, tuple[str, int, int]]:
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    out = {}
    for name in names:
        if name.isdigit():
            st = _stat(int(name))
            if st is not None:
                out[int(name)] = st
    return out


def kill_left(supervisor: int, cgroup: str | None) -> None:
    """Kill and reap what the dead (or stopped, then killed) SUPERVISOR left: see the module."""
    if cgroup is not None:
        _kill_cgroup(cgroup)
    me = os.getpid()
    deadline = time.monotonic() + 10
    while True:
        with _lock:
            table = _table()
            orphans = (
                {pid for pid, (_, ppid, _) in table.items() if ppid == me and pid not in _supervisors}
                if _adopting
                else set()
            )
            doomed = {pid for pid, (state, _, sid) in table.items() if sid == supervisor and state != "Z"} | orphans
            frontier = set(doomed)
            while frontier:
                frontier = {pid for pid, (_, ppid, _) in table.items() if ppid in frontier and pid not in doomed}
                doomed |= frontier
            live = {pid for pid in doomed if table[pid][0] != "Z"}
            for pid in live:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        reaped = False
        for pid in orphans:  # children of this process now: only this reaps them
            try:
                reaped |= os.waitpid(pid, os.WNOHANG)[0] != 0
            except ChildProcessError:
                reaped = True
        if not (live or orphans) or time.monotonic() > deadline:
            break
        if not reaped:
            time.sleep(0.005)
    if cgroup is not None:
        remove_cgroup(cgroup)


def _kill_cgroup(path: str) -> None:
    from .supervisor import write_cgroup

    if not write_cgroup(path, "cgroup.kill", "1"):
        return
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            with open(os.path.join(path, "cgroup.events"), encoding="ascii") as f:
                if "populated 0" in f.read():
                    return
        except OSError:
            return
        time.sleep(0.005)


def remove_cgroup(path: str) -> None:
    from .supervisor import remove_cgroup as remove

    remove(path)
