"""The trace model: dataclasses that mirror the trace JSON, and its deterministic serialisation.

Schema changelog (bump SCHEMA_VERSION on any change a reader could notice):
  1  first version: meta, source, status, exit_status, stdout, stderr, error, lines
     (hits, records with events/output/exception/probes, final, output_later, exceptions).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ._jsonio import atomic_write, dumps, write_json
from ._version import __version__

__all__ = [
    "SCHEMA_VERSION",
    "SCHEMA_PATH",
    "Error",
    "Event",
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

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema") / "trace.schema.json"


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

    @classmethod
    def from_dict(cls, d: dict) -> "Record":
        return cls(d["hit"], [_build(Event, e) for e in d.get("events", [])], d.get("output", ""), d.get("exception"), d.get("probes", {}))

    def to_dict(self) -> dict:
        return {"hit": self.hit, "events": [e.to_dict() for e in self.events], "output": self.output, "exception": self.exception, "probes": self.probes}


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

    @classmethod
    def from_dict(cls, d: dict) -> "Line":
        return cls(
            d["line"], d["end_line"], d.get("function"), d["hits"], [Record.from_dict(r) for r in d.get("records", [])],
            d.get("final", []), d.get("output_later", ""), d.get("exceptions", 0), d.get("exceptions_later", []),
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["records"] = [r.to_dict() for r in self.records]
        return d


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

    @classmethod
    def from_dict(cls, d: dict) -> "Trace":
        if d.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported trace schema {d.get('schema')!r} (this tracekit reads {SCHEMA_VERSION})")
        return cls(
            d["schema"], Meta(**d["meta"]), Source(**d["source"]), d["status"], d["exit_status"], d["stdout"], d["stderr"],
            d.get("error"), [Line.from_dict(x) for x in d["lines"]], d.get("placeholder_errors", []),
        )

    def to_dict(self) -> dict:
        d = {
            "schema": self.schema, "meta": asdict(self.meta), "source": asdict(self.source), "status": self.status,
            "exit_status": self.exit_status, "stdout": self.stdout, "stderr": self.stderr, "error": self.error,
            "lines": [ln.to_dict() for ln in self.lines],
        }
        if self.placeholder_errors:
            d["placeholder_errors"] = self.placeholder_errors
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
