"""What the parent, the child, the build and the schema share: versions, literals, keys, defaults.

Standard library only: the child process imports it before the script runs. Anything that
both sides of the process boundary must agree on lives here, once; the JSON Schema's enums are
checked against these literals by the tests.
"""

from __future__ import annotations

import sys

# The child imports this module before the script runs: it stays free of `typing` and
# `dataclasses` at run time (each costs milliseconds on every run).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Status = Literal["ok", "error", "timeout", "crashed", "limit"]
    Reason = Literal[
        "exception",
        "exit",
        "syntax",
        "instrument",
        "timeout",
        "signal",
        "output",
        "memory",
        "placeholder",
        "authoring",
        "trace",
        "supervisor",
    ]
    Role = Literal[
        "bind", "call", "arg", "result", "value", "expr", "test", "iter", "return", "yield", "change", "graph"
    ]

SCHEMA_VERSION = 1

# ── statuses and reasons ────────────────────────────────────────────────────
#: how a run ended (the trace's status); the same words as the Status type above
STATUSES: tuple[str, ...] = ("ok", "error", "timeout", "crashed", "limit")

#: why a run did not end well (error.reason in the trace)
REASONS: tuple[str, ...] = (
    "exception",
    "exit",
    "syntax",
    "instrument",
    "timeout",
    "signal",
    "output",
    "memory",
    "placeholder",
    "authoring",
    "trace",
    "supervisor",
)

#: reasons that are the author's own doing on the page and still let the page be read as a run
AUTHOR_REASONS = frozenset({"syntax", "exit", "placeholder"})

#: reasons meaning the code never started: nothing on the page was recorded
NOT_RUN_REASONS = frozenset({"authoring", "syntax", "instrument", "trace"})

#: roles of recorded events (lines[].records[].events[].role)
ROLES: tuple[str, ...] = (
    "bind",
    "call",
    "arg",
    "result",
    "value",
    "expr",
    "test",
    "iter",
    "return",
    "yield",
    "change",
    "graph",
)

# ── exit statuses ───────────────────────────────────────────────────────────
#: the child could not use the requested device (it printed why; the parent says nothing more)
EXIT_UNAVAILABLE = 2
#: beside the trace path, the child writes why the device is unavailable (then exits EXIT_UNAVAILABLE)
DEVICE_ERROR_SUFFIX = ".device-error"
#: a run stopped by its time limit, as coreutils' `timeout` reports it
EXIT_TIMEOUT = 124

# ── defaults shared by config, CLI, run and child ───────────────────────────
DEFAULT_HITS = 3
#: also record the last hit of lines hit more than DEFAULT_HITS times (tracekit.child.lasthit)
DEFAULT_LAST_HIT = True

#: sources larger than this are refused (`tracekit instrument`): a device or a huge file would
#: otherwise be read until memory runs out
MAX_SOURCE_BYTES = 10_000_000
DEFAULT_TIMEOUT = 60.0
#: characters (trace) an example may print before it is stopped
DEFAULT_MAX_OUTPUT = 10_000_000
DEFAULT_FIGURE_DPI = 100
DEFAULT_MAX_FIGURES = 20
DEFAULT_FIGURE_MAX_SIZE = (2000, 2000)
#: folder under the output root holding figure and image PNGs, named by content hash
FIGURES_DIR = "figures"

# ── the spec: the JSON file the parent writes and the child reads ───────────
SPEC_KEYS = frozenset(
    {
        "script",
        "argv0",
        "args",
        "display_path",
        "sha256",
        "trace",
        "tables",
        "hits",
        "seed",
        "device",
        "timeout",
        "probes",
        "max_output",
        "stop_on_limit",
        "memory",
        "figures_dir",
        "figure_dpi",
        "max_figures",
        "figure_max_size",
        "image_lines",
        "last_hit",
        "graph_lines",
        "pkg_parent",
        "fault_log",
        "fault_fd",
    }
)

# ── hook names: installed in builtins, reserved in scripts ──────────────────
HOOK_PREFIX = "__tk_"
HOOKS = {
    "counters": "__tk_c__",
    "next": "__tk_n__",
    "start": "__tk_s__",
    "value": "__tk_v__",
    "callee": "__tk_f__",
    "escaped": "__tk_x__",
    "header": "__tk_h__",
    "base_exception": "__tk_B__",
    "recursion_error": "__tk_R__",
    "loop_end": "__tk_e__",
    "placeholders": "__tk_p__",
    "done": "__tk_d__",
    "block_placeholders": "__tk_q__",
    "loop_start": "__tk_L__",
}


def python_version() -> str:
    """The running interpreter's version as the trace's meta records it."""
    return "{}.{}.{}".format(*sys.version_info[:3])


def meta_record(
    *,
    tracekit: str,
    seed: int | None,
    hits: int,
    timeout: float | None,
    device: str | None,
    device_name: str | None = None,
    torch: str | None = None,
    numpy: str | None = None,
) -> dict[str, Any]:
    """The trace's `meta` object."""
    return {
        "tracekit": tracekit,
        "python": python_version(),
        "torch": torch,
        "numpy": numpy,
        "device": device or "cpu",
        "device_name": device_name,
        "seed": seed,
        "hits": hits,
        "timeout": timeout,
    }


def error_record(
    type: str,
    message: str,
    *,
    reason: Reason,
    line: int | None = None,
    column: int | None = None,
    traceback: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The trace's `error` object."""
    if reason not in REASONS:
        raise ValueError(f"unknown error reason {reason!r}")
    err: dict[str, Any] = {
        "type": type,
        "message": message,
        "line": line,
        "reason": reason,
        "traceback": list(traceback or []),
    }
    if column is not None:
        err["column"] = column
    return err


def trace_record(
    *,
    meta: dict[str, Any],
    source: dict[str, Any],
    status: Status,
    exit_status: int,
    error: dict[str, Any] | None,
    stdout: str = "",
    stderr: str = "",
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A whole trace object in the schema's key order."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {
        "schema": SCHEMA_VERSION,
        "meta": meta,
        "source": source,
        "status": status,
        "exit_status": exit_status,
        "stdout": stdout,
        "stderr": stderr,
        "error": error,
        "lines": list(lines or []),
    }
