"""What the parent, the child, the build and the schema share: versions, literals, keys, defaults.

Standard library only: the child process imports it before the script runs. Anything that
both sides of the process boundary must agree on lives here, once; the JSON Schema's enums are
checked against these literals by the tests.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

SCHEMA_VERSION = 1

# ── statuses and reasons ────────────────────────────────────────────────────
Status = Literal["ok", "error", "timeout", "crashed", "limit"]
STATUSES: tuple[str, ...] = get_args(Status)

#: why a run did not end well (error.reason in the trace)
Reason = Literal["exception", "exit", "syntax", "instrument", "timeout", "signal", "output", "memory", "placeholder", "authoring", "trace"]
REASONS: tuple[str, ...] = get_args(Reason)

#: reasons that are the author's own doing on the page and still let the page be read as a run
AUTHOR_REASONS = frozenset({"syntax", "exit", "placeholder"})

#: reasons meaning the code never started: nothing on the page was recorded
NOT_RUN_REASONS = frozenset({"authoring", "syntax", "instrument", "trace"})

#: roles of recorded events (lines[].records[].events[].role)
Role = Literal["bind", "call", "arg", "result", "value", "expr", "test", "iter", "return", "yield"]
ROLES: tuple[str, ...] = get_args(Role)

# ── exit statuses ───────────────────────────────────────────────────────────
#: the child could not use the requested device (it printed why; the parent says nothing more)
EXIT_UNAVAILABLE = 2
#: beside the trace path, the child writes why the device is unavailable (then exits EXIT_UNAVAILABLE)
DEVICE_ERROR_SUFFIX = ".device-error"
#: a run stopped by its time limit, as coreutils' `timeout` reports it
EXIT_TIMEOUT = 124

# ── defaults shared by config, CLI, run and child ───────────────────────────
DEFAULT_HITS = 3
DEFAULT_TIMEOUT = 60.0
#: characters (trace) an example may print before it is stopped
DEFAULT_MAX_OUTPUT = 10_000_000
DEFAULT_FIGURE_DPI = 100
DEFAULT_MAX_FIGURES = 20
DEFAULT_FIGURE_MAX_SIZE = (2000, 2000)
#: folder under the output root holding figure and image PNGs, named by content hash
FIGURES_DIR = "figures"

# ── run options: configuration and command line → parent → child ──────────


@dataclass(frozen=True)
class RunOptions:
    """Every option of one run, carried unchanged from configuration and command line to the child."""

    device: str | None = None
    seed: int | None = 0
    timeout: float | None = None
    hits: int = DEFAULT_HITS
    memory: int | None = None
    max_output: int = DEFAULT_MAX_OUTPUT
    figure_dpi: float = DEFAULT_FIGURE_DPI
    max_figures: int = DEFAULT_MAX_FIGURES
    figure_max_size: tuple[int, int] = DEFAULT_FIGURE_MAX_SIZE

    #: the options that change what a page shows: part of every cache key
    KEYED = ("device", "seed", "hits", "timeout", "memory", "max_output")

    def merged(self, overrides: Mapping[str, Any]) -> RunOptions:
        """A copy with the OVERRIDES that name a field of this class and are not None."""
        names = {f.name for f in fields(self)}
        given = {k: v for k, v in overrides.items() if k in names and v is not None}
        if "figure_max_size" in given:
            w, h = given["figure_max_size"]
            given["figure_max_size"] = (int(w), int(h))
        return replace(self, **given)

    def key_dict(self) -> dict[str, Any]:
        """The options a page's cache key covers."""
        return {name: getattr(self, name) for name in self.KEYED}

    def spec(self) -> dict[str, Any]:
        """These options as keys of the child's spec."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["figure_max_size"] = list(self.figure_max_size)
        return out


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
        "pkg_parent",
        "fault_log",
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
    err: dict[str, Any] = {"type": type, "message": message, "line": line, "reason": reason, "traceback": list(traceback or [])}
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
