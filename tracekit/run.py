"""Run one script in a child process under the recorder and collect its trace."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import trace as trace_mod
from .child.protocol import (
    DEFAULT_FIGURE_DPI,
    DEFAULT_FIGURE_MAX_SIZE,
    DEFAULT_HITS,
    DEFAULT_MAX_FIGURES,
    DEVICE_ERROR_SUFFIX,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    error_record,
    meta_record,
    trace_record,
)
from .options import RunOptions
from .supervisor import FAULT_FD, FAULT_LIMIT, PY_STDOUT_FD, sweep_dead

if TYPE_CHECKING:
    from .child.protocol import Reason, Status

__all__ = [
    "RunResult",
    "DeviceUnavailable",
    "trace_file",
    "figure_files",
    "DEFAULT_HITS",
    "DEFAULT_FIGURE_DPI",
    "DEFAULT_MAX_FIGURES",
    "DEFAULT_FIGURE_MAX_SIZE",
]

_GRACE = 5.0  # seconds the child's own watchdog gets before the parent kills it


class DeviceUnavailable(Exception):
    """The requested device is not available on this machine."""


@dataclass
class RunResult:
    """What a run left: the exit status as python would give it, and the trace.

    ``figures`` maps the file name of every PNG the trace refers to (its top-level ``figures``
    and the ``image`` of its values, e.g. ``"3f9a0c1d2e4b5a67.png"``) to the PNG's bytes. Names
    are content hashes, so the build can write them all into one folder shared by every page.
    """

    exit_status: int
    trace: trace_mod.Trace  # read and checked once, here; the JSON written to TRACE_PATH is trace.to_dict()
    trace_path: Path | None
    seconds: float
    figures: dict[str, bytes] = field(default_factory=dict)
    #: files the script wrote under ROOT through Python, when ``trace_file`` was given a ROOT
    #: (paths relative to it, POSIX; a folder it made and left empty ends in ``/``)
    written: list[str] = field(default_factory=list)
    #: other files inside a folder it made (native code's, or another run's writing into a folder
    #: this one made first): the script's unless another run wrote them through Python
    written_inside: list[str] = field(default_factory=list)
    #: other files new or changed in the script's folder while it ran (written by native code,
    #: or by another process working there at the same time)
    written_found: list[str] = field(default_factory=list)


def _display_path(script: str) -> str:
    try:
        rel = os.path.relpath(script)
    except ValueError:
        return script
    return Path(rel).as_posix() if not rel.startswith("..") else Path(script).as_posix()


def _fallback_trace(
    script: str,
    sha: str,
    *,
    status: Status,
    exit_status: int,
    message: str,
    reason: Reason,
    hits: int,
    seed: int | None,
    timeout: float | None,
    device: str | None,
    stdout: str = "",
    stderr: str = "",
) -> dict[str, Any]:
    """The trace written by the parent when the child could not write one (killed, crashed)."""
    return trace_record(
        meta=meta_record(tracekit=trace_mod.__version__, seed=seed, hits=hits, timeout=timeout, device=device),
        source={"path": _display_path(script), "sha256": sha},
        status=status,
        exit_status=exit_status,
        error=error_record(status.capitalize(), message, reason=reason),
        stdout=stdout,
        stderr=stderr,
    )


def _describe_signal(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def trace_file(
    script: str | os.PathLike[str],
    args: Sequence[str] = (),
    *,
    trace_path: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    probes: dict[int, list[str]] | None = None,
    capture: bool = False,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    stdin: Any = None,
    image_lines: Iterable[int] | None = None,
    graph_lines: Iterable[int] | None = None,
    figures_dir: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    cells: Iterable[int] | None = None,
    **overrides: Any,
) -> RunResult:
    """Run SCRIPT with ARGS in a child process, recording it; return its exit status and trace.

    OPTIONS (a RunOptions, e.g. ``Config.run_options()``; default: ``RunOptions()``, the
    defaults of `tracekit run`) gives every run option. OVERRIDES, keywords named for its
    fields (``seed=None``: no seeding), replace them: a shorthand for ``dataclasses.replace``.

    With ``capture=False`` the child shares this process's stdin/stdout/stderr, so the script's
    output appears exactly as under ``python``. Raises DeviceUnavailable when DEVICE is not here.

    Figures: matplotlib figures are captured as PNGs (at most MAX_FIGURES, rendered at
    FIGURE_DPI and scaled down to fit FIGURE_MAX_SIZE pixels); values on the lines in
    IMAGE_LINES (lines marked ``# tracekit: image``) that are tensors or arrays shaped like
    images become small PNGs, as PIL images always do. The PNGs come back in
    ``RunResult.figures``, and are also written to FIGURES_DIR when it is given. Values bound
    or returned on GRAPH_LINES (lines marked ``# tracekit: graph``) that have a ``grad_fn`` get
    their autograd graph recorded, as the tensor on a ``.backward()`` line always does.

    The script runs in CWD (default: this process's folder) with ``sys.argv[0]`` its path from
    there, as ``cd CWD && python SCRIPT`` would. With ROOT (the examples root of a build), paths
    under ROOT are written relative to it in the trace (else relative to CWD), and
    ``RunResult.written`` lists the files the script wrote under ROOT. CELLS: the first line of
    every cell after the first (a script read as cells); each cell's changed figures are
    captured when it ends.

    The options' PRELOAD: modules imported once by a warm parent that forks this run
    (tracekit.warm), for a script that imports them in its leading imports; None, or
    ``TRACEKIT_COLD=1`` in the environment, starts a fresh interpreter for it.
    """
    opts = dataclasses.replace(options or RunOptions(), **overrides)
    device, seed, timeout, hits, max_output, preload = (
        opts.device,
        opts.seed,
        opts.timeout,
        opts.hits,
        opts.max_output,
        opts.preload,
    )
    script = os.fspath(script)
    with open(script, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    tmpdir = _run_folder()
    out_path = Path(trace_path) if trace_path is not None else Path(tmpdir) / "trace.json"
    child_trace = Path(tmpdir) / "child-trace.json"
    spec = {
        "script": os.path.abspath(script),
        "argv0": _argv0(script, cwd),
        "args": list(args),
        "display_path": _display_path(script),
        "sha256": sha,
        "trace": str(child_trace),
        **opts.spec(),
        "probes": {str(k): v for k, v in (probes or {}).items()},
        # In a build, runaway output ends the example; under `tracekit run` it keeps flowing.
        "stop_on_limit": capture,
        "figures_dir": str(Path(tmpdir) / "figures"),
        "image_lines": sorted({int(n) for n in (image_lines or ())}),
        "graph_lines": sorted({int(n) for n in (graph_lines or ())}),
        "cells": sorted({int(n) for n in (cells or ())}),
    }
    if root is not None:
        spec.update(root=os.path.realpath(root), written=str(Path(tmpdir) / "written.json"))
    from .child.instrument import InstrumentError, ReservedNameError
    from .codecache import PKG_PARENT, prepare

    pyc: str | None
    tables: str | None
    syntax_error: SyntaxError | InstrumentError | None
    source = _notebook_script(script, tmpdir)
    try:
        pyc, tables = prepare(os.path.abspath(script), hits, frozenset(probes or ()), folder=tmpdir, source=source)
        cmd = [sys.executable, *interpreter_flags(), pyc]
    except ReservedNameError as e:
        # The script uses tracekit's own names: refuse it, before anything runs.
        _cleanup(tmpdir)
        reserved = _fallback_trace(
            script,
            sha,
            status="error",
            exit_status=2,
            message=e.msg,
            reason="syntax",
            hits=hits,
            seed=seed,
            timeout=timeout,
            device=device,
        )
        reserved["error"].update(type="ReservedNameError", line=e.lineno, column=e.offset)
        refused = trace_mod.Trace.from_dict(reserved)
        if trace_path is not None:
            trace_mod.write_json(trace_path, refused.to_dict())
        return RunResult(
            exit_status=2, trace=refused, trace_path=Path(trace_path) if trace_path is not None else None, seconds=0.0
        )
    except SyntaxError as e:
        # Let python itself report the error, byte for byte; nothing of the script runs.
        pyc = tables = None
        syntax_error = e
        cmd = [sys.executable, *interpreter_flags(), _runnable(script, tmpdir)]
    except InstrumentError as e:
        # Valid Python beyond what the rewriting handles: run it plain, and say so in the trace.
        pyc = tables = None
        syntax_error = e
        cmd = [sys.executable, *interpreter_flags(), _runnable(script, tmpdir)]
    else:
        syntax_error = None
    fault_log = Path(tmpdir) / "fault.log"
    spec.update(tables=tables, pkg_parent=PKG_PARENT)
    # Under a supervisor the fault log is a pipe it reads (capped); else a file the child writes.
    fault_pipe = syntax_error is None and (capture or bool(timeout))
    spec.update({"fault_fd": FAULT_FD} if fault_pipe else {"fault_log": str(fault_log)})
    if capture and syntax_error is None:
        # sys.stdout gets a pipe of its own: what else reaches fd 1 is shown apart on the page.
        spec["stdout_fd"] = PY_STDOUT_FD
    spec_path = Path(tmpdir) / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    if syntax_error is None:
        cmd.append(str(spec_path))
    cmd += [] if syntax_error is None else list(args)
    warm: dict[str, Any] | None = None
    if capture and preload is not None and pyc is not None and stdin is None and not os.environ.get("TRACEKIT_COLD"):
        from .warm import preload_for

        names = preload_for(source if source is not None else Path(script).read_bytes(), preload)
        if names is not None:
            warm = {"names": names, "pyc": pyc, "spec": str(spec_path), "seed": seed}
    started = time.monotonic()
    supervised: dict[str, Any] | None = None
    try:
        if capture:
            code, stdout, stderr, supervised = _run_supervised(
                cmd,
                tmpdir,
                cwd=cwd,
                env=env,
                stdin=stdin,
                timeout=timeout,
                max_output=max_output,
                fault=fault_pipe,
                warm=warm,
            )
            killed_for_time = supervised.get("ended_by") == "timeout"
        else:
            code, killed_for_time = _run_attached(
                cmd, tmpdir, cwd=cwd, env=env, stdin=stdin, timeout=timeout, fault=fault_pipe
            )
            stdout = stderr = ""
    except BaseException:
        _cleanup(tmpdir)
        raise
    seconds = time.monotonic() - started
    device_error = Path(str(child_trace) + DEVICE_ERROR_SUFFIX)
    if code == EXIT_UNAVAILABLE and not child_trace.exists() and device_error.exists():
        message = device_error.read_text(encoding="utf-8", errors="replace").strip()
        _cleanup(tmpdir)
        raise DeviceUnavailable(message or f"device {device!r} is not available")
    common: dict[str, Any] = dict(hits=hits, seed=seed, timeout=timeout, device=device, stdout=stdout, stderr=stderr)
    by_supervisor = supervised is not None and supervised.get("ended_by") == "supervisor"
    # Whatever the child wrote when its supervisor was killed, its run was not supervised to the end.
    child, unreadable = _read_child_trace(child_trace) if not by_supervisor else (None, None)
    data: dict[str, Any] | None = None  # the parent's own trace, when the child's is not used
    if by_supervisor:
        assert supervised is not None
        data = _fallback_trace(
            script,
            sha,
            status="crashed",
            exit_status=code,
            message=supervised["message"],
            reason="supervisor",
            **common,
        )
    elif child is not None:
        _reconcile(child, code)
    elif unreadable is not None:
        # The script (or a process it started) can reach the trace file: what it holds is
        # untrusted input, and one that does not read as a trace fails this example only.
        data = _fallback_trace(
            script,
            sha,
            status="crashed",
            exit_status=code,
            message=f"the trace it wrote is not valid: {unreadable}",
            reason="trace",
            **common,
        )
        data["error"]["type"] = "TraceError"
    elif isinstance(syntax_error, InstrumentError):
        data = _fallback_trace(
            script,
            sha,
            status="error",
            exit_status=code,
            message=str(syntax_error),
            reason="instrument",
            **common,
        )
        data["error"]["type"] = "InstrumentError"
    elif syntax_error is not None:
        data = _fallback_trace(
            script,
            sha,
            status="error",
            exit_status=code,
            message=str(syntax_error.msg),
            reason="syntax",
            **common,
        )
        data["error"].update(
            type=type(syntax_error).__name__, line=syntax_error.lineno or 1, column=syntax_error.offset
        )
    else:
        # The child's own watchdog exits with EXIT_TIMEOUT; it may not get to write the trace
        # (a limit so short the recorder is not up yet, or a stack too deep to write from).
        if killed_for_time or (code == EXIT_TIMEOUT and timeout is not None):
            data = _fallback_trace(
                script,
                sha,
                status="timeout",
                exit_status=EXIT_TIMEOUT,
                message=f"timed out after {timeout:g} s",
                reason="timeout",
                **common,
            )
            code = EXIT_TIMEOUT
        elif supervised is not None and supervised.get("ended_by") == "limit":
            data = _fallback_trace(
                script,
                sha,
                status="limit",
                exit_status=code,
                message=_cut_message(max_output),
                reason="output",
                **common,
            )
        elif code < 0:
            data = _fallback_trace(
                script,
                sha,
                status="crashed",
                exit_status=code,
                message=f"killed by {_describe_signal(code)}",
                reason="signal",
                **common,
            )
            data["error"]["line"] = _crash_line(fault_log, os.path.abspath(script))
        else:
            data = _fallback_trace(
                script,
                sha,
                status="crashed",
                exit_status=code,
                message=f"exited with status {code} without finishing (os._exit or a crash)",
                reason="exit",
                **common,
            )
    trace = child if child is not None else trace_mod.Trace.from_dict(data)
    below = supervised.get("below") if supervised is not None else None
    if isinstance(below, str) and below:
        trace.stdout_below = _as_in_trace(
            below, spec.get("root") or os.path.abspath(cwd if cwd is not None else os.getcwd())
        )
    if supervised is not None and supervised.get("cut") and trace.status in ("ok", "error", "crashed"):
        # Output the script's processes wrote past the limit was not kept: the page says so.
        trace.status = "limit"
        trace.error = trace_mod.ErrorInfo.from_dict(
            error_record("OutputLimit", _cut_message(max_output), reason="output")
        )
    figures = _collect_figures(trace, Path(spec["figures_dir"]))
    if figures_dir is not None and figures:
        folder = Path(figures_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, payload in figures.items():
            target = folder / name
            if not target.exists():
                trace_mod.atomic_write(target, payload)
    if trace_path is not None:
        trace_mod.write_json(out_path, trace.to_dict())
    written = _read_written(Path(tmpdir) / "written.json") if root is not None else {}
    _cleanup(tmpdir)
    return RunResult(
        exit_status=code,
        trace=trace,
        trace_path=Path(trace_path) if trace_path is not None else None,
        seconds=seconds,
        figures=figures,
        written=written.get("claimed", []),
        written_inside=written.get("inside", []),
        written_found=written.get("found", []),
    )


def _argv0(script: str, cwd: str | os.PathLike[str] | None) -> str:
    """SCRIPT as typed to python run in CWD: its path from CWD when it lies below it."""
    if cwd is None:
        return script
    rel = os.path.relpath(os.path.abspath(script), os.path.abspath(cwd))
    return rel if not rel.startswith("..") else os.path.abspath(script)


def _read_written(path: Path) -> dict[str, list[str]]:
    """The child's lists of files the script wrote (untrusted: only plain relative paths are believed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, list[str]] = {}
    for key in ("claimed", "inside", "found"):
        paths = data.get(key)
        if isinstance(paths, list):
            out[key] = [
                p for p in paths if isinstance(p, str) and p and not p.startswith("/") and ".." not in p.split("/")
            ][:1000]
    return out


def _runnable(script: str, tmpdir: str) -> str:
    """What python runs for SCRIPT uninstrumented: the file, or a notebook's script in the run folder."""
    written = Path(tmpdir, Path(script).stem + ".py")
    return str(written) if script.endswith(".ipynb") and written.exists() else script


def _notebook_script(script: str, tmpdir: str) -> bytes | None:
    """A notebook's percent script (also written to the run folder, for python to report a
    SyntaxError in it); None for a Python file, which runs as it is."""
    from .ipynb import is_notebook, script_bytes

    if not is_notebook(script):
        return None
    source = script_bytes(script)
    Path(tmpdir, Path(script).stem + ".py").write_bytes(source)
    return source


def _as_in_trace(text: str, root: str) -> str:
    """TEXT as the child writes output into the trace: paths under ROOT relative, addresses ``0x…``."""
    from .child.runtime import ADDRESS

    return ADDRESS.sub("0x…", text.replace(root.rstrip(os.sep) + os.sep, ""))


def _cut_message(limit: int) -> str:
    return (
        f"output passed the limit of {limit} bytes (written to stdout and stderr by the script and the processes it "
        f"started); the rest was not kept"
    )


_SUPERVISOR = str(Path(__file__).with_name("supervisor.py"))


def _run_supervised(
    cmd: list[str],
    tmpdir: str,
    *,
    cwd: Any,
    env: dict[str, str] | None,
    stdin: Any,
    timeout: float | None,
    max_output: int | None,
    attached: bool = False,
    fault: bool = False,
    warm: dict[str, Any] | None = None,
) -> tuple[int, str, str, dict[str, Any]]:
    """Run CMD under a supervisor process (tracekit.supervisor) that leaves nothing behind.

    Returns the exit status, the output kept (at most MAX_OUTPUT bytes of fds 1 and 2
    together) and the supervisor's result. The supervisor holds the read end of a pipe whose
    write end only this process holds: if this process dies, even by SIGKILL, the supervisor
    sees EOF and kills everything the script started. FAULT (the child is tracekit's, and reads
    its spec): its fault log is a pipe on fd FAULT_FD, and in a build its sys.stdout a pipe on fd
    PY_STDOUT_FD, so that what reached fd 1 around it comes back apart (``result["below"]``).
    WARM ({names, pyc, spec, seed}): the supervisor is forked by a warm parent that preloaded
    NAMES (tracekit.warm), and runs the .pyc in a fork of itself; cold when none can be had.
    """
    watch_r, watch_w = os.pipe()
    folder = Path(tmpdir)
    config = {
        "cmd": cmd,
        "cwd": os.fspath(cwd) if cwd is not None else None,
        "capture": None
        if attached
        else {
            "stdout": str(folder / "stdout"),
            "stderr": str(folder / "stderr"),
            "below": str(folder / "below") if fault else None,
        },
        "limit": None if attached else max_output,
        "stop_on_limit": not attached,
        # `tracekit run` leaves what a script started when it ends by itself, as python does.
        "reap_on_exit": not attached,
        "kill_after": (timeout + _GRACE) if timeout else None,
        # the child's own watchdog ends it with this status at TIMEOUT: a timeout too
        "timeout": timeout,
        "timeout_code": EXIT_TIMEOUT,
        "watch_fd": watch_r,
        "result": str(folder / "supervisor.json"),
        "cleanup": tmpdir,
        # the child's fd FAULT_FD: a pipe, of which the supervisor keeps the end in this file
        "fault": str(folder / "fault.log") if fault else None,
    }
    (folder / "supervisor-config.json").write_text(json.dumps(config), encoding="utf-8")
    from . import orphans
    from .supervisor import cgroup_base, cgroup_path

    base = None if attached else cgroup_base()
    proc: Any = None
    try:
        if warm is not None and not attached:
            from . import warm as warm_mod

            request = {"config": config, "cwd": os.path.abspath(cwd if cwd is not None else os.getcwd()), **warm}
            proc = warm_mod.start(warm["names"], request, watch_r, env, interpreter_flags())
            if proc is not None:
                with orphans.starting():
                    orphans.register(proc.pid)
        if proc is None:
            with open(folder / "supervisor.log", "wb") as log, orphans.starting():
                proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", _SUPERVISOR, str(folder / "supervisor-config.json")],
                    cwd=cwd,
                    env=env,
                    stdin=stdin if stdin is not None or attached else subprocess.DEVNULL,
                    stdout=None if attached else subprocess.DEVNULL,
                    stderr=None if attached else log,
                    pass_fds=(watch_r,),
                    # Under `tracekit run` with a terminal, the script stays in its foreground group.
                    start_new_session=not attached or not _stdin_is_tty(),
                )
                orphans.register(proc.pid)
    except BaseException:
        os.close(watch_w)
        raise
    finally:
        os.close(watch_r)
    stopped = False
    try:
        # The supervisor ends the script at TIMEOUT + grace itself; this wait is the backstop.
        stopped = _wait_supervisor(proc, timeout, watch_stops=not attached)
    except BaseException:
        _stop_supervisor(proc)
        raise
    finally:
        os.close(watch_w)
        orphans.forget(proc.pid)
    if not attached and (stopped or (proc.returncode is not None and proc.returncode < 0)):
        # The example killed or stopped its supervisor: end what it left, and fail the example.
        cgroup = cgroup_path(base, proc.pid) if base is not None else None
        orphans.kill_left(proc.pid, cgroup if cgroup is not None and os.path.isdir(cgroup) else None)
        how = "stopped it" if stopped else _describe_signal(proc.returncode or -signal.SIGKILL)
        out, err = _read_capped(folder / "stdout", max_output), _read_capped(folder / "stderr", max_output)
        return (
            -signal.SIGKILL,
            out,
            err,
            {"ended_by": "supervisor", "message": f"the example killed its supervisor ({how})"},
        )
    try:
        result = json.loads((folder / "supervisor.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # The supervisor itself failed: say how, rather than blame the script.
        said = (folder / "supervisor.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(
            f"the supervisor of the run ended with status {proc.returncode}: {said[-1] if said else 'no message'}"
        ) from None
    failed = result.get("start_error")
    if isinstance(failed, dict):
        raise OSError(failed.get("errno"), failed.get("message"), failed.get("filename"))
    code = result.get("code")
    if not isinstance(code, int):
        code = -signal.SIGKILL
    if fault and not attached:
        result["below"] = _read_capped(folder / "below", max_output)
    return code, _read_capped(folder / "stdout", max_output), _read_capped(folder / "stderr", max_output), result


def _read_capped(path: Path, limit: int | None) -> str:
    """At most LIMIT bytes of PATH, as text ("" when absent): the script can reach the file."""
    try:
        with open(path, "rb") as f:
            return f.read(limit if limit is not None else 0).decode("utf-8", "replace")
    except OSError:
        return ""


def _wait_supervisor(proc: subprocess.Popen[bytes], timeout: float | None, *, watch_stops: bool) -> bool:
    """Wait for the supervisor; True when it was killed here because it stayed stopped.

    A stopped supervisor (the script can send it SIGSTOP) ends nothing: after _GRACE seconds
    stopped it is killed. One that runs past TIMEOUT and both graces is asked to finish.
    """
    from .orphans import stopped

    backstop = time.monotonic() + timeout + 2 * _GRACE + 10 if timeout else None
    stopped_since: float | None = None
    while True:
        now = time.monotonic()
        wait = 0.25 if watch_stops else None
        if backstop is not None:
            wait = max(0.0, min(wait if wait is not None else backstop - now, backstop - now))
        try:
            proc.wait(timeout=wait)
            return False
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if watch_stops and stopped(proc.pid):
            stopped_since = now if stopped_since is None else stopped_since
            if now - stopped_since >= _GRACE:
                proc.kill()
                proc.wait()
                return True
        else:
            stopped_since = None
        if backstop is not None and now >= backstop:
            _stop_supervisor(proc)
            return False


def _stop_supervisor(proc: subprocess.Popen[bytes]) -> None:
    """Ask the supervisor to kill everything and finish; kill it if it does not."""
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        _kill(proc, True)
        proc.wait()


def _run_attached(
    cmd: list[str],
    tmpdir: str,
    *,
    cwd: Any,
    env: dict[str, str] | None,
    stdin: Any,
    timeout: float | None,
    fault: bool = False,
) -> tuple[int, bool]:
    """Run CMD sharing this process's terminal and streams, as python would run the script.

    With a TIMEOUT, under a supervisor too, so that the timeout, or this process dying, ends
    everything the script started; a script that ends by itself leaves its detached processes
    running, as under python. Without one, tracekit never ends the script, so it starts it
    directly (a supervisor costs one more interpreter start).
    """
    if timeout:
        old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor gives the script its default
        try:
            code, _, _, result = _run_supervised(
                cmd, tmpdir, cwd=cwd, env=env, stdin=stdin, timeout=timeout, max_output=None, attached=True, fault=fault
            )
        finally:
            signal.signal(signal.SIGINT, old_int)
        return code, result.get("ended_by") == "timeout"
    own_group = not _stdin_is_tty()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, start_new_session=own_group)
    # Ignored here only after the start: the script must not inherit the ignoring (Ctrl-C is its).
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            return proc.wait(), False
        except BaseException:
            _kill(proc, own_group)
            proc.wait()
            raise
    finally:
        signal.signal(signal.SIGINT, old_int)


def figure_files(trace: trace_mod.Trace) -> list[str]:
    """The PNG file names a trace refers to: its figures, then the images of its values, in order."""
    names: dict[str, None] = {}
    for fig in trace.figures:
        names[fig.file] = None

    def value(v: Any) -> None:
        if isinstance(v, dict) and isinstance(v.get("image"), dict):
            names[v["image"]["file"]] = None

    for ln in trace.lines:
        for rec in ln.records:
            for ev in rec.events:
                value(ev.value)
        for fin in ln.final:
            for item in fin.get("values") or ():
                value(item.get("value"))
    return list(names)


def _collect_figures(trace: trace_mod.Trace, folder: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for name in figure_files(trace):
        if "/" in name or "\\" in name or name.startswith("."):
            continue
        try:
            out[name] = (folder / name).read_bytes()
        except OSError:
            pass
    return out


def _crash_line(fault_log: Path, script: str) -> int | None:
    """The script's innermost line in the stack faulthandler dumped when the child crashed."""
    import re

    try:
        with open(fault_log, "rb") as f:
            # its end, where the crash's stack is: the script may have written the rest
            f.seek(max(0, os.fstat(f.fileno()).st_size - FAULT_LIMIT))
            text = f.read(FAULT_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None
    for m in re.finditer(r'File "(.*)", line (\d+) in ', text):  # most recent call first
        if m.group(1) == script:
            return int(m.group(2))
    return None


def _read_child_trace(path: Path) -> tuple[trace_mod.Trace | None, str | None]:
    """(the child's trace, None) when it reads as a trace; (None, why) when it does not; (None, None) when absent."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None, None
    except OSError as e:
        return None, f"cannot read it ({e.strerror})"
    try:
        # typed and strict about types, lenient about missing parts: the one reading of the trace
        return trace_mod.Trace.from_dict(json.loads(raw)), None
    except trace_mod.TraceError as e:
        return None, str(e)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as e:
        return None, f"not a trace ({type(e).__name__})"


def _reconcile(trace: trace_mod.Trace, code: int) -> None:
    """Make the child's trace agree with the exit status the parent saw."""
    trace.exit_status = code
    if code == 0 and trace.status == "error" and trace.error is not None and trace.error.reason == "exit":
        trace.status, trace.error = "ok", None
    elif code != 0 and trace.status == "ok":
        trace.status = "error"
        trace.error = trace_mod.ErrorInfo.from_dict(error_record("SystemExit", f"exit status {code}", reason="exit"))


def interpreter_flags() -> list[str]:
    """This interpreter's own options (-O, -X dev, -W …), so the child runs as python was asked to."""
    try:
        return list(subprocess._args_from_interpreter_flags())  # type: ignore[attr-defined]
    except Exception:  # a private helper of the standard library: never let it stop a run
        return []


_held: dict[str, int] = {}  # run folder → the fd of its lock, held while the run lasts
_swept = False
_sweep_lock = threading.Lock()
_STALE_UNLOCKED = 60.0  # seconds after which a run folder without a lock file is another crash's


def _run_folder() -> str:
    """A private folder for one run's spec, trace and captured output.

    It lives in tracekit's cache folder rather than in /tmp, where a script listing its
    working folder would see it. This process holds a lock on it while the run lasts, so the
    first run of a later process can tell the folders of runs whose process died (SIGKILL
    before the supervisor started, or after it finished) and removes them.
    """
    from .codecache import cache_dir

    base = os.path.join(cache_dir(), "runs")
    try:
        os.makedirs(base, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="run-", dir=base)
    except OSError:
        return tempfile.mkdtemp(prefix="tracekit-")
    try:
        import fcntl

        # Locked before it gets its name: a sweep never sees an unlocked lock file of a live run.
        fd = os.open(os.path.join(folder, ".lock-new"), os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(os.path.join(folder, ".lock-new"), os.path.join(folder, ".lock"))
        _held[folder] = fd
    except (ImportError, OSError):
        pass
    global _swept
    with _sweep_lock:
        if not _swept:
            _swept = True
            _sweep_runs(base)
    return folder


def _sweep_runs(base: str) -> None:
    """Remove the run folders no living process holds."""
    import shutil

    try:
        import fcntl
    except ImportError:
        return
    locked: dict[str, int] = {}  # a dead run's folder → its lock, held while the folder goes

    def alive(match: object, folder: str) -> bool:
        if folder in _held:
            return True
        try:
            fd = os.open(os.path.join(folder, ".lock"), os.O_RDONLY)
        except FileNotFoundError:  # a run that died before it locked: gone once old enough
            try:
                return time.time() - os.stat(folder).st_mtime <= _STALE_UNLOCKED
            except OSError:
                return True
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return True  # a live run's
        locked[folder] = fd
        return False

    def remove(folder: str) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if folder in locked:
            os.close(locked.pop(folder))

    sweep_dead(base, r"run-.*", remove, alive=alive)


def _stdin_is_tty() -> bool:
    try:
        return os.isatty(0)
    except (OSError, ValueError):
        return False


def _kill(proc: subprocess.Popen[bytes], group: bool) -> None:
    if group:
        _kill_group(proc.pid)
    try:
        proc.kill()
    except OSError:
        pass


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


def _cleanup(tmpdir: str) -> None:
    import shutil

    shutil.rmtree(tmpdir, ignore_errors=True)
    fd = _held.pop(tmpdir, None)
    if fd is not None:
        os.close(fd)
