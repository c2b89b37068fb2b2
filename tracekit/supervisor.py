"""Supervisor of one example in a build: runs the script's process and leaves nothing behind.

Run as ``python -I -S supervisor.py CONFIG`` by tracekit.run (standard library only, so it
starts in milliseconds). It

* becomes a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``), so every process the script
  starts and orphans, double-forked daemons and new sessions included, is reparented to it
  rather than to init; the script itself is not the subreaper, so its own ``os.wait()`` never
  collects them;
* puts the script in a cgroup of its own when the cgroup v2 hierarchy is delegated and
  writable here, and kills it whole with ``cgroup.kill`` (a fork storm cannot outrun that);
* reads the script's fds 1 and 2 through pipes and keeps at most ``limit`` bytes of both
  together, draining the rest;
* gives the script its fault log (where faulthandler dumps the stack of a crash) as fd 3, a
  pipe of which it keeps the last ``_FAULT_LIMIT`` bytes: the script can write to the fd, and
  tracekit reads no file of the script's making whole;
* when the script ends, times out, or the build goes away (EOF on the watch pipe, whose
  write end only the build holds) or sends SIGTERM: kills every descendant and reaps them
  until none is left, then writes its result (the script's exit status, whether it was cut)
  as JSON. When the build went away it also removes the run folder.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

_PR_SET_CHILD_SUBREAPER = 36
_CHUNK = 1 << 16
_LIMIT_GRACE = 1.0  # seconds a script past the output limit gets to stop itself (and write its trace)
FAULT_FD = 3  # the script's fault log
PY_STDOUT_FD = 4  # where the script's sys.stdout writes in a build, apart from the rest of fd 1
_LOW_FDS = 10  # the supervisor keeps its own fds at this number or above while it hands out FDs below
FAULT_LIMIT = 1 << 20  # bytes of it kept: the last ones, where a crash's stack ends up


def high_fd(fd: int) -> int:
    """FD moved to _LOW_FDS or above, out of the way of the FDs handed to the script."""
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, _LOW_FDS)
    os.close(fd)
    return moved


def _pipe_to(fd: int) -> int:
    """A pipe whose write end is FD (inheritable, for the script); returns its read end.

    Nothing of the supervisor's is below _LOW_FDS but 0-2 and what it handed out before.
    """
    r, w = (high_fd(end) for end in os.pipe())
    os.dup2(w, fd)
    os.close(w)
    os.set_blocking(r, False)
    return r


def _become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        done: int = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        return done == 0
    except Exception:
        return False


def _cgroup2_mount() -> str | None:
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                if right.split(" ", 1)[0] == "cgroup2":
                    return left.split()[4]
    except OSError:
        pass
    return None


def _make_cgroup() -> str | None:
    """A new cgroup below this process's own, when that one is delegated to us (writable)."""
    if os.environ.get("TRACEKIT_NO_CGROUP"):
        return None
    base = cgroup_base()
    if base is None:
        return None
    _sweep_cgroups(base)
    path = cgroup_path(base, os.getpid())
    try:
        os.mkdir(path)
    except OSError:
        return None
    if not os.path.exists(os.path.join(path, "cgroup.kill")):
        remove_cgroup(path)
        return None
    return path


def write_cgroup(path: str, name: str, value: str) -> bool:
    """Write VALUE to the control file NAME of the cgroup at PATH; False when the kernel refused it."""
    try:
        with open(os.path.join(path, name), "w") as f:
            f.write(value)
    except OSError:
        return False
    return True


def cgroup_path(base: str, supervisor: int) -> str:
    """The cgroup of the example whose supervisor is SUPERVISOR, below BASE (``_cgroup_base()``)."""
    return os.path.join(base, f"tracekit-{supervisor}")


def cgroup_base() -> str | None:
    """This process's own cgroup (v2), where the cgroup of each example is made; None without one."""
    if not sys.platform.startswith("linux"):
        return None
    mount = _cgroup2_mount()
    if mount is None:
        return None
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as f:
            own = next((ln.strip()[3:] for ln in f if ln.startswith("0::")), None)
    except OSError:
        return None
    if own is None:
        return None
    base = os.path.join(mount, own.lstrip("/"))
    if not os.path.exists(os.path.join(base, "cgroup.kill")) and not os.path.exists(
        os.path.join(mount, "cgroup.controllers")
    ):
        return None
    return base


def pid_alive(pid: int) -> bool:
    """False only when no process PID exists (one of another user's, or this one, is alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _named_pid_alive(match: re.Match[str], path: str) -> bool:
    return pid_alive(int(match.group(1)))


def sweep_dead(
    folder: str,
    pattern: str | re.Pattern[str],
    remove: Callable[[str], object] | None,
    *,
    alive: Callable[[re.Match[str], str], bool] = _named_pid_alive,
) -> list[str]:
    """The one sweep for what dead processes left: the entries of FOLDER whose whole name matches
    PATTERN and whose process is gone (ALIVE false; by default: the pid in PATTERN's first group is
    no process), sorted, each handed to REMOVE when given (its OSError ignored: retried next time).

    Here because the supervisor runs isolated (`python -I -S`) and can import no other module;
    the build imports it from here for its journals, temporaries and run folders."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in sorted(names):
        match = re.fullmatch(pattern, name)
        path = os.path.join(folder, name)
        if match is None or alive(match, path):
            continue
        found.append(path)
        if remove is not None:
            try:
                remove(path)
            except OSError:
                pass
    return found


def _sweep_cgroups(base: str) -> None:
    """Remove the cgroups of supervisors that are gone (killed before they could)."""
    sweep_dead(base, r"tracekit-(\d+)", os.rmdir)  # rmdir fails, harmlessly, while processes are in it


def remove_cgroup(path: str) -> None:
    """Remove the (emptied) cgroup; the kernel may take a moment to see its last process gone."""
    for attempt in range(200):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.001 if attempt < 50 else 0.01)


def _children_of(me: int) -> list[int]:
    """Every live descendant of ME, from /proc (empty where there is no /proc)."""
    parent: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            fields = stat.rsplit(b")", 1)[1].split()
            if fields[0] == b"Z":
                continue
            parent[int(name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    found: list[int] = []
    frontier = [me]
    while frontier:
        nxt = [pid for pid, ppid in parent.items() if ppid in frontier]
        found += nxt
        frontier = nxt
    return found


class Supervisor:
    """One script's process, its descendants, its output and its end."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.subreaper = _become_subreaper()
        self.cgroup = _make_cgroup()
        self.proc: Any = None  # the script's process: a Popen, or (forked by a warm parent) its pid and status
        self.code: int | None = None
        self.ended_by: str | None = None  # timeout | limit | cancelled | orphaned
        self.limit: int | None = config.get("limit")
        self.kept = {"stdout": 0, "stderr": 0, "below": 0}  # what the files hold: at most `limit` together
        self.seen = 0
        self.cut_at: float | None = None
        self.files: dict[int, Any] = {}
        self.names: dict[int, str] = {}
        self.fault: int | None = None  # read end of the fault log's pipe
        self.outputs: list[Any] = []  # the files output is kept in, closed at the end
        self.below: Any = None  # with split_stdout: what reached fd 1 other than through sys.stdout
        self.fault_kept = bytearray()

    # starting ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the script's process (``config["cmd"]``) with its pipes."""
        handed, out, err = self.open_pipes()
        try:
            self.proc = subprocess.Popen(
                self.config["cmd"],
                cwd=self.config.get("cwd"),
                stdout=out,
                stderr=err,
                preexec_fn=self.enter,
                restore_signals=True,
                pass_fds=tuple(handed),
            )
        finally:
            self.close_handed(handed, out, err)

    def open_pipes(self) -> tuple[list[int], int | None, int | None]:
        """The pipes of the script's fds: (FDs handed out besides 0-2, its fd 1, its fd 2)."""
        cfg = self.config
        handed: list[int] = []  # FDs the script gets besides 0-2
        if cfg.get("fault"):
            self.fault = _pipe_to(FAULT_FD)
            handed.append(FAULT_FD)
        capture = cfg.get("capture")
        out = err = None
        if capture:
            streams = []
            if capture.get("below"):
                # sys.stdout's own pipe: fd 1 then carries only what went around it, kept apart.
                # (Made first: the pipes below may take any number.)
                streams.append(("pystdout", _pipe_to(PY_STDOUT_FD), PY_STDOUT_FD))
                handed.append(PY_STDOUT_FD)
                self.below = open(capture["below"], "wb")
                self.outputs.append(self.below)
            streams += [("stdout", *os.pipe()), ("stderr", *os.pipe())]
            out, err = streams[-2][2], streams[-1][2]
            files = {name: open(capture[name], "wb") for name in ("stdout", "stderr")}
            self.outputs += files.values()
            for name, fd, _ in streams:
                self.files[fd] = files["stdout" if name == "pystdout" else name]
                self.names[fd] = name
                os.set_blocking(fd, False)
        return handed, out, err

    def close_handed(self, handed: list[int], out: int | None, err: int | None) -> None:
        """Close the script's ends of its pipes, once it has them."""
        for fd in [*handed, *(fd for fd in (out, err) if fd is not None)]:
            os.close(fd)

    def enter(self) -> None:
        """In the script's process, before it runs: its process group, cgroup and signals."""
        # A process group of its own: where there is no /proc (macOS), killing the group is
        # what reaches the script's children.
        # Under `tracekit run` it stays in the terminal's foreground group instead.
        if self.config.get("capture"):
            os.setpgid(0, 0)
        if self.cgroup is not None:
            write_cgroup(self.cgroup, "cgroup.procs", "0")
        # The script starts with the signal dispositions python gives a fresh process.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)

    # output -----------------------------------------------------------------------------
    def _read_fault(self) -> bool:
        """Read what the fault log's pipe has, keeping its last _FAULT_LIMIT bytes; False at EOF or when empty."""
        assert self.fault is not None
        try:
            data = os.read(self.fault, _CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            os.close(self.fault)
            self.fault = None
            return False
        self.fault_kept += data
        if len(self.fault_kept) > 2 * FAULT_LIMIT:
            del self.fault_kept[:-FAULT_LIMIT]
        return True

    def write_fault(self, path: str) -> None:
        """Read what is left in the fault log's pipe (its writers are gone or detached), then keep it in PATH."""
        end = time.monotonic() + 1.0
        while self.fault is not None and time.monotonic() < end and self._read_fault():
            pass
        if self.fault is not None:
            os.close(self.fault)
            self.fault = None
        with open(path, "wb") as f:
            f.write(self.fault_kept[-FAULT_LIMIT:])

    def _read(self, fd: int) -> bool:
        """Read what FD has; False at EOF."""
        try:
            data = os.read(fd, _CHUNK)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            self.files.pop(fd)
            os.close(fd)
            return False
        self.seen += len(data)
        room = len(data) if self.limit is None else max(0, self.limit - sum(self.kept.values()))
        if room:
            name = self.names[fd]
            self.files[fd].write(data[:room])
            self.kept["stderr" if name == "stderr" else "stdout"] += min(room, len(data))
            if name == "stdout" and self.below is not None:
                # a second copy, within the same limit: the trace holds both
                room = max(0, self.limit - sum(self.kept.values())) if self.limit is not None else len(data)
                self.below.write(data[:room])
                self.kept["below"] += min(room, len(data))
        if self.limit is not None and self.seen > self.limit and self.cut_at is None:
            self.cut_at = time.monotonic()
        return True

    # the loop ---------------------------------------------------------------------------
    def run(self, watch: int | None) -> None:
        assert self.proc is not None
        pid = self.proc.pid
        pidfd = None
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pass
        kill_after = self.config.get("kill_after")
        deadline = time.monotonic() + kill_after if kill_after else None
        while self.code is None:
            wait_for = list(self.files) + [fd for fd in (self.fault, watch, pidfd) if fd is not None]
            now = time.monotonic()
            tick = 0.05 if pidfd is None else 1.0
            if deadline is not None:
                tick = max(0.0, min(tick, deadline - now))
            if self.cut_at is not None:
                tick = max(0.0, min(tick, self.cut_at + _LIMIT_GRACE - now))
            try:
                ready, _, _ = select.select(wait_for, [], [], tick)
            except InterruptedError:
                ready = []
            for fd in ready:
                if fd in self.files:
                    self._read(fd)
                elif fd == self.fault:
                    self._read_fault()
                elif fd == watch:
                    self.ended_by = "orphaned"
                    return
            self._reap(pid)
            if self.code is not None:
                break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self.ended_by = "timeout"
                return
            if self.cut_at is not None and self.config.get("stop_on_limit") and now >= self.cut_at + _LIMIT_GRACE:
                self.ended_by = "limit"
                return
        if pidfd is not None:
            os.close(pidfd)

    def _reap(self, script: int) -> None:
        """Collect every child that has ended; note the script's exit status."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == script and self.code is None:
                self.code = os.waitstatus_to_exitcode(status)
                assert self.proc is not None
                self.proc.returncode = self.code

    # ending -----------------------------------------------------------------------------
    def kill_all(self) -> None:
        """Kill every descendant and reap them all, until none is left."""
        assert self.proc is not None
        me = os.getpid()
        if self.cgroup is not None:
            write_cgroup(self.cgroup, "cgroup.kill", "1")
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        for _ in range(10_000):
            pids = _children_of(me)
            if self.code is None and self.proc.pid not in pids:
                pids.append(self.proc.pid)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._reap(self.proc.pid)
            try:
                pid, status = os.waitpid(-1, 0 if pids else os.WNOHANG)
                if pid == self.proc.pid and self.code is None:
                    self.code = os.waitstatus_to_exitcode(status)
                    self.proc.returncode = self.code
                if pid:
                    continue
            except ChildProcessError:
                if not _children_of(me):
                    break
            if not pids:
                break
        if self.cgroup is not None:
            remove_cgroup(self.cgroup)

    def drain(self) -> None:
        """Read what the (now dead) writers left in the pipes."""
        end = time.monotonic() + 1.0
        while (self.files or self.fault is not None) and time.monotonic() < end:
            ready, _, _ = select.select(
                list(self.files) + ([self.fault] if self.fault is not None else []), [], [], 0.1
            )
            for fd in ready:
                if fd == self.fault:
                    self._read_fault()
                else:
                    self._read(fd)
        self.files.clear()
        for f in self.outputs:
            f.close()

    def result(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "ended_by": self.ended_by,
            "cut": self.limit is not None and self.seen > self.limit,
            "bytes": self.seen,
            "contained": "cgroup" if self.cgroup else ("subreaper" if self.subreaper else "process group"),
        }


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as f:
        config = json.load(f)
    watch = config.get("watch_fd")
    if watch is not None and watch < _LOW_FDS:
        watch = high_fd(watch)  # the script gets pipes at fixed numbers below _LOW_FDS
    sup = Supervisor(config)
    on_signals()
    started = time.monotonic()
    try:
        start_error = try_start(sup.start)
    except KeyboardInterrupt:
        sup.ended_by = "cancelled"
        start_error = None
    return finish(sup, watch, start_error, started)


def on_signals() -> None:
    """SIGTERM (a cancelled build) ends the run; Ctrl-C is the build's to decide."""

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def try_start(start: Any) -> dict[str, Any] | None:
    """Call START; what went wrong when the script's process could not start (its folder is gone, …)."""
    try:
        start()
    except OSError as e:
        return {"errno": e.errno, "message": e.strerror or str(e), "filename": e.filename}
    return None


def finish(sup: Supervisor, watch: int | None, start_error: dict[str, Any] | None, started: float) -> int:
    """Supervise the started script to its end, leave nothing behind, and write the result."""
    config = sup.config
    try:
        if start_error is None and sup.ended_by is None:
            sup.run(watch)
            timed_out = (
                config.get("timeout") is not None
                and sup.code == config.get("timeout_code")
                and time.monotonic() - started >= config["timeout"]
            )
            if sup.ended_by is None and not timed_out and not config.get("reap_on_exit", True):
                sup.proc = None  # the script ended by itself: leave what it started, as python does
    except KeyboardInterrupt:
        sup.ended_by = "cancelled"
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if sup.proc is not None:
            sup.kill_all()
            sup.drain()
        if sup.cgroup is not None:
            remove_cgroup(sup.cgroup)
    if sup.ended_by != "orphaned" and config.get("fault"):
        sup.write_fault(config["fault"])
    if sup.ended_by == "orphaned":
        import shutil

        shutil.rmtree(config.get("cleanup") or "", ignore_errors=True)
        return 0
    tmp = config["result"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(dict(sup.result(), start_error=start_error), f)
    os.replace(tmp, config["result"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
