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
  1  (compatible additions) lines[].defined: a def line's count of def statements run (its
     hits are its calls); error.reason "authoring" (the file could not be read as an example)
     and "trace" (the child's trace was unreadable); a failed placeholder makes status "error"
     with reason "placeholder" (it was "ok" beside the error before).
  1  (compatible additions) event role "change" (what a recorded hit changed: `change`, `value`
     after, optional `before` and `summary`) and role "graph" (the autograd graph walked from a
     value: `graph` {nodes, edges, text, omitted}); lines[].records[].last: true on a line's
     last hit, recorded by a second seeded run that knew the hit counts (records then hold hits
     0..N-1 and the last); top-level `last_hit`: {recorded: true, lines: [lines given their last
     hit]}, or {recorded: false, reason} when the two runs disagreed and no last hit was kept.
  1  (compatible addition) call events' params: the callee's positional parameter names
     ("*name" for its *args), where its code or documented signature gives them.
  1  (compatible addition) a graph walked for a backward call carries what that call sent
     through it: nodes[].received, nodes[].passed ([to, VALUE]), leaves' nodes[].final (`.grad`
     afterwards), and `flow`, the node ids in the order they ran.
  1  (compatible addition) lines[].block_probes: a `#::` block's placeholders, evaluated once
     after the block's last statement (starting on this line) first completed.
  1  (compatible additions) top-level `stdout_below`: in a build, what reached fd 1 without
     going through sys.stdout (os.write, sys.stdout.buffer, subprocesses, C), which no line is
     known for; error.reason "supervisor" (the example killed or stopped its supervisor).
  1  (compatible addition) values' digest: a bounded hash of the content of a tensor, array or
     container of more than 50 elements; equal digests mean unchanged content.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from .child.jsonio import atomic_write, dumps, write_json
from .child.protocol import DEFAULT_HITS, SCHEMA_VERSION, STATUSES
from .child.version import __version__

__all__ = [
    "SCHEMA_VERSION",
    "TraceError",
    "SCHEMA_PATH",
    "PAGE_SCHEMA_PATH",
    "ErrorInfo",
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


class TraceError(ValueError):
    """A trace that is not what the schema says: the message names the place, e.g. `lines[2].hits`."""


_NUM = (int, float)


def _want(
    d: dict[str, Any],
    key: str,
    types: type | tuple[type, ...],
    where: str,
    default: Any = None,
    *,
    nullable: bool = False,
) -> Any:
    """D[KEY] when it has one of TYPES (bool is not an int here); DEFAULT when missing; else TraceError."""
    if key not in d:
        return default
    v = d[key]
    if v is None and nullable:
        return None
    ok = isinstance(v, types) and not (
        isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,))
    )
    if not ok:
        names = "/".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise TraceError(f"{where}.{key}: expected {names}{' or null' if nullable else ''}, got {type(v).__name__}")
    return v


def _obj(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise TraceError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def _items(d: dict[str, Any], key: str, where: str) -> list[Any]:
    return list(_want(d, key, list, where, []))


def check_value(value: Any, where: str) -> dict[str, Any]:
    """A recorded value: an object with string `type` and `repr`, its optional facts well typed."""
    v = _obj(value, where)
    _want(v, "type", str, where)
    _want(v, "repr", str, where)
    for key in ("error", "dtype", "device", "doc", "digest"):
        _want(v, key, str, where)
    for key in ("truncated", "requires_grad", "is_leaf", "constructing", "unread"):
        _want(v, key, bool, where)
    _want(v, "len", int, where)
    _want(v, "grad_fn", str, where, nullable=True)
    for i, n in enumerate(_items(v, "shape", where)):
        if not isinstance(n, int) or isinstance(n, bool):
            raise TraceError(f"{where}.shape[{i}]: expected int, got {type(n).__name__}")
    for i, row in enumerate(_items(v, "rows", where)):
        if not isinstance(row, list) or not all(isinstance(c, (int, float, str, bool)) for c in row):
            raise TraceError(f"{where}.rows[{i}]: expected a list of numbers, booleans or strings")
    if "image" in v:
        image = _obj(v["image"], f"{where}.image")
        _want(image, "file", str, f"{where}.image")
        _want(image, "width", int, f"{where}.image")
        _want(image, "height", int, f"{where}.image")
    return v


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_graph(graph: Any, where: str) -> dict[str, Any]:
    """An autograd graph: nodes {id, name, leaf?, shape?, received?, passed?, final?}, edges
    [from, to], its text, what was left out, and the order a backward call ran the nodes in."""
    g = _obj(graph, where)
    for i, n in enumerate(_items(g, "nodes", where)):
        nw = f"{where}.nodes[{i}]"
        n = _obj(n, nw)
        _want(n, "id", int, nw)
        _want(n, "name", str, nw)
        _want(n, "leaf", bool, nw)
        for j, v in enumerate(_items(n, "received", nw)):
            if v is not None:
                check_value(v, f"{nw}.received[{j}]")
        for j, p in enumerate(_items(n, "passed", nw)):
            if not (isinstance(p, list) and len(p) == 2 and _is_int(p[0])):
                raise TraceError(f"{nw}.passed[{j}]: expected [to, value]")
            check_value(p[1], f"{nw}.passed[{j}][1]")
        if "final" in n:
            check_value(n["final"], f"{nw}.final")
    for i, edge in enumerate(_items(g, "edges", where)):
        if not (isinstance(edge, list) and len(edge) == 2 and all(_is_int(x) for x in edge)):
            raise TraceError(f"{where}.edges[{i}]: expected [from, to]")
    if not all(_is_int(x) for x in _items(g, "flow", where)):
        raise TraceError(f"{where}.flow: expected a list of node ids")
    _want(g, "text", str, where)
    _want(g, "omitted", int, where)
    return g


def _check_error(error: Any, where: str) -> dict[str, Any] | None:
    if error is None:
        return None
    e = _obj(error, where)
    for key in ("type", "message"):
        _want(e, key, str, where)
    _want(e, "reason", str, where)
    _want(e, "line", int, where, nullable=True)
    _want(e, "column", int, where, nullable=True)
    for i, fr in enumerate(_items(e, "traceback", where)):
        fw = f"{where}.traceback[{i}]"
        fr = _obj(fr, fw)
        for key in ("path", "function", "text"):
            _want(fr, key, str, fw)
        _want(fr, "line", int, fw, nullable=True)
    return e


Value = dict[str, Any]  # a recorded value, checked by check_value: type, repr and optional facts


@dataclass
class Event:
    """One recorded value: role (bind, arg, result, call, value, expr, test, iter, return, yield)."""

    role: str
    text: str
    value: Value | None = None
    call: str | None = None  # arg, result: the callee's source text
    index: int | None = None  # arg: its position
    keyword: str | None = None  # arg: its keyword
    qualname: str | None = None  # call: the callee's qualified name
    doc: str | None = None  # call: the first sentence of its docstring
    signature: str | None = None  # call: its signature
    params: list[str] | None = None  # call: its positional parameter names ("*args" for its *args)
    change: str | None = None  # change: what happened (changed, zeroed, created, cleared, grew, summary, …)
    summary: str | None = None  # change: a line about it ("largest |Δ| 0.05", "4 parameters changed; …")
    before: Value | None = None  # change: the value before the line, where it was cheap to keep
    graph: dict[str, Any] | None = None  # graph: the autograd graph walked from the value
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know, kept as they are

    _OPTIONAL: ClassVar[tuple[tuple[str, type], ...]] = (
        ("call", str),
        ("index", int),
        ("keyword", str),
        ("qualname", str),
        ("doc", str),
        ("signature", str),
        ("change", str),
        ("summary", str),
        ("params", list),
    )

    @classmethod
    def from_dict(cls, e: Any, where: str = "event") -> Event:
        e = _obj(e, where)
        value = check_value(e["value"], f"{where}.value") if "value" in e else None
        known = {name: _want(e, name, typ, where, nullable=True) for name, typ in cls._OPTIONAL}
        if known.get("params") is not None and not all(isinstance(p, str) for p in known["params"]):
            raise TraceError(f"{where}.params: expected parameter names")
        before = check_value(e["before"], f"{where}.before") if e.get("before") is not None else None
        graph = _check_graph(e["graph"], f"{where}.graph") if e.get("graph") is not None else None
        # unknown keys, and known ones written as null, are kept as they are
        own = ("role", "text", "value", "before", "graph")
        extra = {
            k: v
            for k, v in e.items()
            if (k not in own or (k in ("before", "graph") and v is None)) and (k not in known or v is None)
        }
        return cls(
            _want(e, "role", str, where, ""),
            _want(e, "text", str, where, ""),
            value,
            before=before,
            graph=graph,
            extra=extra,
            **known,
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "text": self.text, **self.extra}
        for name, _typ in self._OPTIONAL:
            if getattr(self, name) is not None:
                d[name] = getattr(self, name)
        if self.before is not None:
            d["before"] = self.before
        if self.graph is not None:
            d["graph"] = self.graph
        if self.value is not None:
            d["value"] = self.value
        return d


@dataclass
class ErrorInfo:
    """Why a run did not end well: the trace's `error`."""

    type: str
    message: str
    line: int | None = None
    reason: str = "exception"
    traceback: list[dict[str, Any]] = field(default_factory=list)  # [{path, line, function, text}]
    extra: dict[str, Any] = field(default_factory=dict)  # column, and keys this version does not know

    @classmethod
    def from_dict(cls, e: Any, where: str = "error") -> ErrorInfo:
        e = _check_error(e, where) or {}
        extra = {k: v for k, v in e.items() if k not in ("type", "message", "line", "reason", "traceback")}
        return cls(
            str(e.get("type") or ""),
            str(e.get("message") or ""),
            e.get("line"),
            str(e.get("reason") or "exception"),
            list(e.get("traceback") or []),
            extra,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "message": self.message,
            "line": self.line,
            "reason": self.reason,
            "traceback": self.traceback,
            **self.extra,
        }


@dataclass
class Record:
    """One recorded hit of a line."""

    hit: int
    events: list[Event] = field(default_factory=list)
    output: str = ""
    exception: dict[str, Any] | None = None
    probes: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)  # files of figures captured during this hit
    last: bool = False  # the line's last hit, recorded by a second run (tracekit.child.lasthit)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "record") -> Record:
        d = _obj(d, where)
        events = []
        for i, e in enumerate(_items(d, "events", where)):
            ew = f"{where}.events[{i}]"
            events.append(Event.from_dict(e, ew))
        exception = d.get("exception")
        if exception is not None:
            exception = _obj(exception, f"{where}.exception")
            _want(exception, "type", str, f"{where}.exception")
            _want(exception, "message", str, f"{where}.exception")
        probes = _want(d, "probes", dict, where, {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in probes.items()):
            raise TraceError(f"{where}.probes: expected strings")
        figures = _items(d, "figures", where)
        if not all(isinstance(f, str) for f in figures):
            raise TraceError(f"{where}.figures: expected file names")
        last = _want(d, "last", bool, where, False)
        return cls(
            _want(d, "hit", int, where, 0), events, _want(d, "output", str, where, ""), exception, probes, figures, last
        )

    def to_dict(self) -> dict[str, Any]:
        d = {
            "hit": self.hit,
            "events": [e.to_dict() for e in self.events],
            "output": self.output,
            "exception": self.exception,
            "probes": self.probes,
        }
        if self.figures:
            d["figures"] = list(self.figures)
        if self.last:
            d["last"] = True
        return d


@dataclass
class Line:
    """A source line: exact hit count, its first recorded hits, loop-end values."""

    line: int
    end_line: int
    function: str | None
    hits: int
    records: list[Record] = field(default_factory=list)
    final: list[dict[str, Any]] = field(default_factory=list)
    output_later: str = ""
    exceptions: int = 0
    exceptions_later: list[dict[str, Any]] = field(default_factory=list)
    figures_later: list[str] = field(default_factory=list)  # figures captured during later hits
    defined: int = 0  # a def line: how many times the def statement ran (its hits are its calls)
    block_probes: dict[str, str] = field(default_factory=dict)  # a `#::` block ending here: its placeholders

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "line") -> Line:
        d = _obj(d, where)
        number = _want(d, "line", int, where)
        if number is None:
            raise TraceError(f"{where}.line: missing")
        final = _items(d, "final", where)
        for i, f in enumerate(final):
            fw = f"{where}.final[{i}]"
            f = _obj(f, fw)
            _want(f, "hit", int, fw)
            for j, nv in enumerate(_items(f, "values", fw)):
                nv = _obj(nv, f"{fw}.values[{j}]")
                _want(nv, "name", str, f"{fw}.values[{j}]")
                check_value(nv.get("value", {"type": "", "repr": ""}), f"{fw}.values[{j}].value")
        later = _items(d, "figures_later", where)
        if not all(isinstance(f, str) for f in later):
            raise TraceError(f"{where}.figures_later: expected file names")
        line = cls(
            number,
            _want(d, "end_line", int, where, number),
            _want(d, "function", str, where, None, nullable=True),
            _want(d, "hits", int, where, 0),
            [Record.from_dict(r, f"{where}.records[{i}]") for i, r in enumerate(_items(d, "records", where))],
            final,
            _want(d, "output_later", str, where, ""),
            _want(d, "exceptions", int, where, 0),
            [_obj(e, f"{where}.exceptions_later") for e in _items(d, "exceptions_later", where)],
            later,
        )
        line.defined = _want(d, "defined", int, where, 0)
        block = _want(d, "block_probes", dict, where, {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in block.items()):
            raise TraceError(f"{where}.block_probes: expected strings")
        line.block_probes = dict(block)
        return line

    def to_dict(self) -> dict[str, Any]:
        d = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("records", "figures_later", "defined", "block_probes")
        }
        d["records"] = [r.to_dict() for r in self.records]
        if self.figures_later:
            d["figures_later"] = list(self.figures_later)
        if self.defined:
            d["defined"] = self.defined
        if self.block_probes:
            d["block_probes"] = dict(self.block_probes)
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
    error: ErrorInfo | None
    lines: list[Line]
    placeholder_errors: list[dict[str, Any]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    figure_limit: str | None = None
    last_hit: dict[str, Any] | None = None  # {"recorded": true, "lines": [...]} or {"recorded": false, "reason": "…"}
    stdout_below: str = ""  # what reached fd 1 around sys.stdout (a build's runs only)
    #: a page's only, never a run's: a varied example's runs ({names, runs}, tracekit.variants.record)
    variants: dict[str, Any] | None = None
    #: the other runs of `variants` as read, by their key: each is read once however often it is
    #: shown (never written: `variants` holds them as the page JSON does)
    runs: dict[str, Trace] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Any) -> Trace:
        """Read a trace dict: lenient about parts a crashed run leaves out, strict about types.

        Raises TraceError (a ValueError) naming the first place that is not what the schema says.
        """
        d = _obj(d, "trace")
        if d.get("schema") != SCHEMA_VERSION:
            raise TraceError(f"unsupported trace schema {d.get('schema')!r} (this tracekit reads {SCHEMA_VERSION})")
        m = _obj(d.get("meta", {}), "meta")
        meta = Meta(
            tracekit=_want(m, "tracekit", str, "meta", ""),
            python=_want(m, "python", str, "meta", ""),
            torch=_want(m, "torch", str, "meta", None, nullable=True),
            numpy=_want(m, "numpy", str, "meta", None, nullable=True),
            device=_want(m, "device", str, "meta", "cpu"),
            device_name=_want(m, "device_name", str, "meta", None, nullable=True),
            seed=_want(m, "seed", int, "meta", None, nullable=True),
            hits=_want(m, "hits", int, "meta", DEFAULT_HITS),
            timeout=_want(m, "timeout", _NUM, "meta", None, nullable=True),
        )
        s = _obj(d.get("source", {}), "source")
        source = Source(_want(s, "path", str, "source", ""), _want(s, "sha256", str, "source", ""))
        status = _want(d, "status", str, "trace", "crashed")
        if status not in STATUSES:
            raise TraceError(f"trace.status: {status!r} is not one of {', '.join(STATUSES)}")
        placeholder_errors = [
            _obj(e, f"placeholder_errors[{i}]") for i, e in enumerate(_items(d, "placeholder_errors", "trace"))
        ]
        for i, e in enumerate(placeholder_errors):
            _want(e, "line", int, f"placeholder_errors[{i}]", nullable=True)
            _want(e, "placeholder", str, f"placeholder_errors[{i}]")
            _want(e, "error", str, f"placeholder_errors[{i}]")
        figures = []
        for i, f in enumerate(_items(d, "figures", "trace")):
            fw = f"figures[{i}]"
            f = _obj(f, fw)
            figures.append(
                Figure(
                    _want(f, "file", str, fw, ""),
                    _want(f, "line", int, fw, None, nullable=True),
                    _want(f, "hit", int, fw, None, nullable=True),
                    _want(f, "width", int, fw, 0),
                    _want(f, "height", int, fw, 0),
                    _want(f, "alt", str, fw, ""),
                )
            )
        last_hit = d.get("last_hit")
        if last_hit is not None:
            last_hit = _obj(last_hit, "last_hit")
            _want(last_hit, "recorded", bool, "last_hit")
            _want(last_hit, "reason", str, "last_hit")
            if not all(type(n) is int for n in _items(last_hit, "lines", "last_hit")):
                raise TraceError("last_hit.lines: expected line numbers")
        return cls(
            SCHEMA_VERSION,
            meta,
            source,
            status,
            _want(d, "exit_status", int, "trace", 1),
            _want(d, "stdout", str, "trace", ""),
            _want(d, "stderr", str, "trace", ""),
            ErrorInfo.from_dict(d["error"]) if d.get("error") is not None else None,
            [Line.from_dict(x, f"lines[{i}]") for i, x in enumerate(_items(d, "lines", "trace"))],
            placeholder_errors,
            figures,
            _want(d, "figure_limit", str, "trace", None, nullable=True),
            last_hit,
            _want(d, "stdout_below", str, "trace", ""),
        )

    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema": self.schema,
            "meta": asdict(self.meta),
            "source": asdict(self.source),
            "status": self.status,
            "exit_status": self.exit_status,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "error": self.error.to_dict() if self.error is not None else None,
            "lines": [ln.to_dict() for ln in self.lines],
        }
        if self.placeholder_errors:
            d["placeholder_errors"] = self.placeholder_errors
        if self.figures:
            d["figures"] = [asdict(f) for f in self.figures]
        if self.figure_limit is not None:
            d["figure_limit"] = self.figure_limit
        if self.last_hit is not None:
            d["last_hit"] = self.last_hit
        if self.stdout_below:
            d["stdout_below"] = self.stdout_below
        if self.variants is not None:
            d["variants"] = self.variants
        return d

    @classmethod
    def from_page(cls, d: Any) -> Trace:
        """Read the trace a page JSON holds: a trace's keys and the page's ``variants``.

        A child's trace goes through from_dict, which leaves ``variants`` out: a script that can
        write its trace file cannot add runs to its page.
        """
        trace = cls.from_dict(d)
        variants = d.get("variants")
        trace.variants = dict(_obj(variants, "variants")) if variants is not None else None
        return trace

    def line(self, number: int) -> Line | None:
        """The record of source line NUMBER, if it ran or holds a statement."""
        for ln in self.lines:
            if ln.line == number:
                return ln
        return None


def load(path: str | os.PathLike[str]) -> Trace:
    """Read a trace JSON file."""
    with open(path, encoding="utf-8") as f:
        return Trace.from_dict(json.load(f))
