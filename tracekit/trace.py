"""The trace model: dataclasses that mirror the trace JSON, and its deterministic serialisation.

Schema changelog (bump SCHEMA_VERSION on any change a reader could notice):
  1  first version: meta, source, status, exit_status, stdout, stderr, error, lines
     (hits, records with events/output/exception/probes, final, output_later, exceptions).
  1  (compatible additions; every key below is optional and written only when it says
     something, so a trace without them reads and writes exactly as before)
     placeholder_errors (top level): placeholders that failed, [{line, placeholder, error}];
     figures (top level): captured matplotlib figures [{file, line, hit, width, height, alt}];
     figure_limit (top level): why capturing stopped ("20 figures captured; 3 more were not");
     lines[].records[].figures: files of the figures captured during that hit;
     lines[].figures_later: files of the figures captured during later, unrecorded hits;
     values' image: {file, width, height} (kept inside the value dicts).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ._jsonio import atomic_write, dumps, write_json
from ._version import __version__
from .protocol import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "SCHEMA_PATH",
    "PAGE_SCHEMA_PATH",
    "Event",
    "Figure",
    "Line",
    "Meta",
    "Record",
    "Source",
    "Trace",
    "dumps",
    "load",
    "write_json",
    "atomic_write",
    "__version__",
]

SCHEMA_PATH = Path(__file__).with_name("schema") / "trace.schema.json"
# The JSON written beside each page: the trace plus `authored` and `build` (refers to SCHEMA_PATH).
PAGE_SCHEMA_PATH = SCHEMA_PATH.with_name("page.schema.json")


def _build(cls: type, data: dict) -> Any:
    names = {f.name for f in fields(cls)}
    known = {k: v for k, v in data.items() if k in names}
    extra = {k: v for k, v in data.items() if k not in names}
    obj = cls(**known)
    if "extra" in names:
        obj.extra = extra
    return obj


@dataclass
class Event:
    """One recorded value: role (bind, arg, result, call, value, expr, test, iter, return, yield)."""

    role: str
    text: str
    value: dict | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"role": self.role, "text": self.text, **self.extra}
        if self.value is not None:
            d["value"] = self.value
        return d


@dataclass
class Record:
    """One recorded hit of a line."""

    hit: int
    events: list[Event] = field(default_factory=list)
    output: str = ""
    exception: dict | None = None
    probes: dict = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)  # files of figures captured during this hit

    @classmethod
    def from_dict(cls, d: dict) -> Record:
        return cls(
            d["hit"],
            [_build(Event, e) for e in d.get("events", [])],
            d.get("output", ""),
            d.get("exception"),
            d.get("probes", {}),
            list(d.get("figures") or []),
        )

    def to_dict(self) -> dict:
        d = {"hit": self.hit, "events": [e.to_dict() for e in self.events], "output": self.output, "exception": self.exception, "probes": self.probes}
        if self.figures:
            d["figures"] = list(self.figures)
        return d


@dataclass
class Line:
    """A source line: exact hit count, its first recorded hits, loop-end values."""

    line: int
    end_line: int
    function: str | None
    hits: int
    records: list[Record] = field(default_factory=list)
    final: list[dict] = field(default_factory=list)
    output_later: str = ""
    exceptions: int = 0
    exceptions_later: list[dict] = field(default_factory=list)
    figures_later: list[str] = field(default_factory=list)  # figures captured during later hits

    @classmethod
    def from_dict(cls, d: dict) -> Line:
        return cls(
            d["line"],
            d["end_line"],
            d.get("function"),
            d["hits"],
            [Record.from_dict(r) for r in d.get("records", [])],
            d.get("final", []),
            d.get("output_later", ""),
            d.get("exceptions", 0),
            d.get("exceptions_later", []),
            list(d.get("figures_later") or []),
        )

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("records", "figures_later")}
        d["records"] = [r.to_dict() for r in self.records]
        if self.figures_later:
            d["figures_later"] = list(self.figures_later)
        return d


@dataclass
class Figure:
    """A captured matplotlib figure: its PNG file, where it was captured (line and hit, or None
    outside the script's lines / after the recorded hits), its pixel size and alt text."""

    file: str
    line: int | None
    hit: int | None
    width: int
    height: int
    alt: str


@dataclass
class Meta:
    """Versions, device and options of the run."""

    tracekit: str
    python: str
    torch: str | None
    numpy: str | None
    device: str
    device_name: str | None
    seed: int | None
    hits: int
    timeout: float | None


@dataclass
class Source:
    """The script: path as given (relative where possible) and the sha256 of its bytes."""

    path: str
    sha256: str


@dataclass
class Trace:
    """A whole trace file."""

    schema: int
    meta: Meta
    source: Source
    status: str
    exit_status: int
    stdout: str
    stderr: str
    error: dict | None
    lines: list[Line]
    placeholder_errors: list[dict] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    figure_limit: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Trace:
        if d.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported trace schema {d.get('schema')!r} (this tracekit reads {SCHEMA_VERSION})")
        return cls(
            d["schema"],
            Meta(**d["meta"]),
            Source(**d["source"]),
            d["status"],
            d["exit_status"],
            d["stdout"],
            d["stderr"],
            d.get("error"),
            [Line.from_dict(x) for x in d["lines"]],
            list(d.get("placeholder_errors") or []),
            [Figure(**f) for f in d.get("figures") or []],
            d.get("figure_limit"),
        )

    def to_dict(self) -> dict:
        d = {
            "schema": self.schema,
            "meta": asdict(self.meta),
            "source": asdict(self.source),
            "status": self.status,
            "exit_status": self.exit_status,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "error": self.error,
            "lines": [ln.to_dict() for ln in self.lines],
        }
        if self.placeholder_errors:
            d["placeholder_errors"] = self.placeholder_errors
        if self.figures:
            d["figures"] = [asdict(f) for f in self.figures]
        if self.figure_limit is not None:
            d["figure_limit"] = self.figure_limit
        return d

    def line(self, number: int) -> Line | None:
        """The record of source line NUMBER, if it ran or holds a statement."""
        for ln in self.lines:
            if ln.line == number:
                return ln
        return None


def load(path: str | os.PathLike) -> Trace:
    """Read a trace JSON file."""
    with open(path, encoding="utf-8") as f:
        return Trace.from_dict(json.load(f))
