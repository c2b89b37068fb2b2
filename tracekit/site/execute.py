"""Running one example in a worker thread, in a child process of its own."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from .plan import Plan

# ─────────────────────────────────────────────────────────────────────────────
# Running one example (in a worker thread)
# ─────────────────────────────────────────────────────────────────────────────


_parse_lock = threading.Lock()
BUILD_TOKEN_VAR = "TRACEKIT_BUILD_TOKEN"


@dataclass(repr=False, eq=False)
class Ran:
    kind: str  # ran | authoring | skipped
    example: Any = None
    result: Any = None  # RunResult
    error: Any = None  # AuthoringError
    message: str = ""
    device: str | None = None
    seconds: float = 0.0
    variants: Any = None  # (varied names, [(Variant, RunResult | None)]) when the example varies literals


def execute_example(
    plan: Plan,
    rel: str,
    env_vars: dict[str, str],
    cancel: threading.Event,
    running: set[str],
    running_lock: threading.Lock,
    turn: tuple[Slots, int] | None = None,
) -> Ran | None:
    """Read, rewrite and run the example REL; TURN, when given, is the slots it runs in and its place in their order
    (the reading and rewriting go on while other examples run)."""
    try:
        if cancel.is_set():
            return None
        started = time.monotonic()
        from ..orphans import adopt
        from ..source import AuthoringError, read_example

        # What an example's killed supervisor leaves is reparented to the build, which ends it.
        adopt()

        path = plan.root / rel
        with _parse_lock:
            try:
                example = read_example(path, plan.root)
                varied, variants = _plan_variants(example, path, plan.varies.get(rel))
            except AuthoringError as e:
                return Ran("authoring", error=e, seconds=time.monotonic() - started)
        options = plan.config.run_options().merged(example.options or {})
        varying = (varied, variants)
        if turn is None:
            return _run(plan, rel, example, options, varying, env_vars, cancel, running, running_lock, started)
        _rewrite_ahead(path, options.hits, example.probes)
        slots, ticket = turn
        turn = None
        if not slots.take(ticket, cancel):
            return None
        try:
            return _run(plan, rel, example, options, varying, env_vars, cancel, running, running_lock, started)
        finally:
            slots.give()
    finally:
        if turn is not None:
            turn[0].skip(turn[1])


class Slots:
    """At most N examples run at once, started in the order they were handed out tickets."""

    def __init__(self, n: int) -> None:
        self.free = n
        self.issued = 0
        self.next = 0
        self.skipped: set[int] = set()
        self.cond = threading.Condition()

    def ticket(self) -> int:
        """The place of the next example submitted."""
        with self.cond:
            self.issued += 1
            return self.issued - 1

    def take(self, ticket: int, cancel: threading.Event) -> bool:
        """Wait for TICKET's turn and a free slot; False when CANCEL is set first."""
        with self.cond:
            while not (self.next == ticket and self.free > 0):
                if cancel.is_set():
                    self._pass(ticket)
                    return False
                self.cond.wait(0.1)
            self.free -= 1
            self._pass(ticket)
            return True

    def give(self) -> None:
        """A run ended: its slot is free."""
        with self.cond:
            self.free += 1
            self.cond.notify_all()

    def skip(self, ticket: int) -> None:
        """TICKET's example will not run (cancelled, or it could not be read): the next may go."""
        with self.cond:
            self._pass(ticket)

    def _pass(self, ticket: int) -> None:
        self.skipped.add(ticket)
        while self.next in self.skipped:
            self.skipped.discard(self.next)
            self.next += 1
        self.cond.notify_all()


def _rewrite_ahead(path: Any, hits: int, probes: Any) -> None:
    """Put the example's rewritten code in the code cache while another example runs (its run finds it there)."""
    if path.suffix != ".py":
        return
    from ..codecache import prepare

    try:
        prepare(os.path.abspath(path), hits, frozenset(probes or ()))
    except Exception:  # a syntax error, a name of tracekit's own...: its run reports it
        pass


def _run(
    plan: Plan,
    rel: str,
    example: Any,
    options: Any,
    varying: tuple[list[Any], list[Any]],
    env_vars: dict[str, str],
    cancel: threading.Event,
    running: set[str],
    running_lock: threading.Lock,
    started: float,
) -> Ran | None:
    """Run the example as read (and its variants): the part of execute_example that a slot bounds."""
    from ..run import DeviceUnavailable, trace_file

    if cancel.is_set():
        return None
    with running_lock:
        running.add(rel)
    try:
        path = plan.root / rel
        varied, variants = varying
        image_lines = [item.line for item in example.items if item.image]
        graph_lines = [item.line for item in example.items if item.graph]
        cells = cell_starts(example, path)
        # As `cd its_folder && python its_file.py` would run it; paths in the trace stay
        # relative to the examples root, and files it writes there are named.
        where: dict[str, Any] = dict(cwd=str(path.parent), root=str(plan.root), cells=cells)
        try:
            result = trace_file(
                path,
                options=options,
                capture=True,
                probes=example.probes,
                env=env_vars,
                image_lines=image_lines,
                graph_lines=graph_lines,
                **where,
            )
            others = _run_variants(
                plan,
                path,
                varied,
                variants,
                cancel,
                trace_file,
                options=options,
                probes=example.probes,
                env=env_vars,
                image_lines=image_lines,
                graph_lines=graph_lines,
                **where,
            )
            if others is not None:
                others[1].insert(0, (variants[0], result))
        except DeviceUnavailable as e:
            return Ran(
                "skipped", example=example, message=str(e), device=options.device, seconds=time.monotonic() - started
            )
        ran = Ran("ran", example=example, result=result, device=options.device, seconds=time.monotonic() - started)
        ran.variants = others
        return ran
    finally:
        with running_lock:
            running.discard(rel)


def _run_variants(
    plan: Plan, path: Any, varied: list[Any], variants: list[Any], cancel: threading.Event, trace_file: Any, **run: Any
) -> Any:
    """Every run but the default of a varied example, each in a scratch copy of its folder: (varied, [(Variant,
    RunResult)])."""
    if len(variants) < 2 or cancel.is_set():
        return None
    from ..variants import run_others

    def one(script: Any, cwd: Any, root: Any) -> Any:
        return trace_file(script, capture=True, **dict(run, cwd=str(cwd), root=str(root)))

    return varied, run_others(
        path, plan.root, varied, variants, one, plan.config.jobs or os.cpu_count() or 1, skip=[plan.out]
    )


def _plan_variants(example: Any, path: Any, extra: Any = None) -> tuple[list[Any], list[Any]]:
    """The example's varied names and runs (tracekit.variants), EXTRA the chapters' `:vary:`; none for a notebook."""
    if not example.path.endswith(".py") or not (extra or any(item.vary for item in example.items)):
        return [], []
    import io
    import tokenize

    from ..variants import plan_variants

    data = path.read_bytes()
    return plan_variants(example, data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0]), extra)


def cell_starts(example: Any, path: Any) -> list[int]:
    """The first line of every cell after the first, in a script read as cells: each text block
    at the top level (gallery and percent cells, comment sections). `#:` prose makes no cells."""
    if getattr(example, "prose_source", "authored") == "authored" or not example.texts:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return sorted({t.line for t in example.texts if 0 < t.line <= len(lines) and not lines[t.line - 1][:1].isspace()})


def kill_children(token: str) -> None:
    """End the children this build started (marked by TOKEN in their environment).

    Each is the supervisor of one example: SIGTERM makes it kill everything its example
    started and exit. Linux /proc; elsewhere the children end by their own timeout.
    """
    import signal

    me = os.getpid()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return
    marker = f"{BUILD_TOKEN_VAR}={token}".encode()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat.rsplit(b")", 1)[1].split()[1])
            if ppid != me:
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker not in f.read().split(b"\0"):
                    continue
            # Not its process group: a supervisor killed outright would leave its example's
            # detached processes to init.
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            continue
