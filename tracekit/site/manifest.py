"""The manifest: every file tracekit wrote, with its sha256, and each example's key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from ..child.jsonio import dumps
from ..child.version import __version__
from .keys import sha256_hex
from .paths import MANIFEST_NAME, page_paths

# ─────────────────────────────────────────────────────────────────────────────
# Manifest
# ─────────────────────────────────────────────────────────────────────────────

#: the manifest's own format version (docs/internals.md describes it)
MANIFEST_FORMAT = 1

#: a manifest larger than this is not read (a site of ~30,000 examples): it would take minutes
MAX_MANIFEST_BYTES = 32 * 1024 * 1024

_RECOVER = "; run `tracekit build --rebuild-manifest` to make a new one from the files tracekit wrote"


def safe_rel(rel: Any) -> bool:
    """A manifest path tracekit may touch: relative, POSIX, no `..`, not a Python file."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    parts = rel.split("/")
    # Python files are never touched, but for the source copies tracekit writes under downloads/
    return all(p not in ("", ".", "..") for p in parts) and (
        not rel.endswith((".py", ".pyc")) or (parts[0] == "downloads" and len(parts) > 1)
    )


class FailureRecord(TypedDict):
    """A failure as the manifest keeps it: its source line (or null) and its message."""

    line: int | None
    message: str


def _failures(value: Any) -> list[FailureRecord]:
    """The well-formed failures of a manifest's list (a hand-edited one may hold anything)."""
    out: list[FailureRecord] = []
    for f in value if isinstance(value, list) else []:
        if isinstance(f, dict):
            line = f.get("line")
            out.append({"line": line if type(line) is int else None, "message": str(f.get("message") or "")})
    return out


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _str_map(value: Any) -> dict[str, str]:
    return (
        {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(value, dict) else {}
    )


@dataclass(eq=False)
class ManifestRecord:
    """One example's entry in the manifest: what it was built from, how it went, what it wrote."""

    key: str = ""  # the example's cache key
    source: str | None = None  # sha256 of its source
    deps: dict[str, str] = field(default_factory=dict)  # local module it imports → its sha256
    status: str = ""  # ok | expected error | failed | skipped
    title: str = ""
    intro: str = ""  # the first paragraph of its intro, on one line
    html: str | None = None  # its page, relative to the output; None when it has none
    hits: int | None = None
    failures: list[FailureRecord] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # what its page wrote: path → sha256
    intro_markup: str | None = None  # "markdown" or "rst"; None in the record of a page-less example
    page_key: str | None = None  # what the book stage rendered its page from (site/pages.py)
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know, kept as they are

    _KEYS = (
        "key",
        "source",
        "deps",
        "status",
        "title",
        "intro",
        "html",
        "hits",
        "failures",
        "files",
        "intro_markup",
        "page_key",
    )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ManifestRecord:
        """A record as the manifest JSON holds it; a value of the wrong type reads as missing."""
        hits = d.get("hits")
        return cls(
            key=d["key"] if isinstance(d.get("key"), str) else "",
            source=_str_or_none(d.get("source")),
            deps=_str_map(d.get("deps")),
            status=d["status"] if isinstance(d.get("status"), str) else "",
            title=d["title"] if isinstance(d.get("title"), str) else "",
            intro=d["intro"] if isinstance(d.get("intro"), str) else "",
            html=_str_or_none(d.get("html")),
            hits=hits if type(hits) is int else None,
            failures=_failures(d.get("failures")),
            files={p: s for p, s in _str_map(d.get("files")).items() if safe_rel(p)},
            intro_markup=_str_or_none(d.get("intro_markup")),
            page_key=_str_or_none(d.get("page_key")),
            extra={k: v for k, v in d.items() if k not in cls._KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        """The record as the manifest JSON holds it (intro_markup and page_key only when set)."""
        d: dict[str, Any] = {
            **self.extra,
            "key": self.key,
            "source": self.source,
            "deps": self.deps,
            "status": self.status,
            "title": self.title,
            "intro": self.intro,
            "html": self.html,
            "hits": self.hits,
            "failures": self.failures,
            "files": self.files,
        }
        if self.intro_markup is not None:
            d["intro_markup"] = self.intro_markup
        if self.page_key is not None:
            d["page_key"] = self.page_key
        return d


@dataclass(repr=False, eq=False)
class Manifest:
    examples: dict[str, ManifestRecord] = field(default_factory=dict)
    site: dict[str, str] = field(default_factory=dict)  # index.html and assets → sha256
    index_of: str | None = None  # hash of what the index was rendered from
    env: dict[str, Any] = field(default_factory=dict)
    imports: dict[str, list[Any]] = field(default_factory=dict)  # file sha256 → its import names
    shards: dict[str, list[str]] = field(default_factory=dict)  # "i/n" → the examples that shard built here
    chapters: dict[str, dict[str, Any]] = field(default_factory=dict)  # chapter rel → {key, status, failures}
    loose: dict[str, str] = field(default_factory=dict)  # files an interrupted build wrote, no record lists yet
    problem: str = ""  # why an existing manifest could not be read

    @classmethod
    def load(cls, out: Path) -> Manifest:
        path = out / MANIFEST_NAME
        try:
            size = path.stat().st_size
            if size > MAX_MANIFEST_BYTES:
                return cls(
                    problem=f"{MANIFEST_NAME} is {size:,} bytes, more than tracekit reads "
                    f"({MAX_MANIFEST_BYTES:,}){_RECOVER}"
                )
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as e:
            return cls(problem=f"cannot read {MANIFEST_NAME}: {e.strerror}")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
                raise ValueError("unknown format")
            examples = {
                rel: ManifestRecord.from_dict(rec)
                for rel, rec in (data.get("examples") or {}).items()
                if isinstance(rec, dict) and isinstance(rel, str)
            }
            site_data = data.get("site") or {}
            site = {p: s for p, s in (site_data.get("files") or {}).items() if safe_rel(p) and isinstance(s, str)}
            imports = {k: v for k, v in (data.get("imports") or {}).items() if isinstance(v, list)}
            shards = {
                k: [r for r in v if isinstance(r, str)]
                for k, v in (data.get("shards") or {}).items()
                if isinstance(k, str) and isinstance(v, list)
            }
            chapters = {
                rel: rec
                for rel, rec in (site_data.get("chapters") or {}).items()
                if isinstance(rec, dict) and isinstance(rel, str)
            }
            loose = {p: s for p, s in (data.get("loose") or {}).items() if safe_rel(p) and isinstance(s, str)}
            return cls(
                examples, site, site_data.get("index_of"), data.get("env") or {}, imports, shards, chapters, loose
            )
        except (ValueError, AttributeError, TypeError) as e:
            return cls(
                problem=f"{MANIFEST_NAME} is not a tracekit manifest ({e}); "
                f"nothing in the folder will be deleted{_RECOVER}"
            )

    def files(self) -> dict[str, str]:
        """Every file listed: relative path → sha256."""
        out: dict[str, str] = {}
        for rec in self.examples.values():
            out.update(rec.files)
        out.update(self.site)
        return out

    def owned(self) -> dict[str, str]:
        """Every file tracekit wrote as it is now: the listed ones, and what interrupted builds left."""
        return {**self.files(), **self.loose}

    def prune_imports(self) -> None:
        """Keep the import names of the files the records refer to, and only those."""
        used = set()
        for rec in self.examples.values():
            used.add(rec.source)
            used.update(rec.deps.values())
        self.imports = {sha: names for sha, names in self.imports.items() if sha in used}

    def to_bytes(self) -> bytes:
        data = {
            "format": MANIFEST_FORMAT,
            "tracekit": __version__,
            "env": self.env,
            "examples": {rel: rec.to_dict() for rel, rec in self.examples.items()},
            "imports": self.imports,
            "site": {"files": self.site, "index_of": self.index_of, "chapters": self.chapters},
            "files": self.files(),
        }
        if self.loose:
            data["loose"] = self.loose
        if self.shards:  # only in the output of sharded builds, for `tracekit merge`
            data["shards"] = self.shards
        return dumps(data).encode("utf-8")


def _index_entries(examples: dict[str, ManifestRecord]) -> list[dict[str, str]]:
    from ..prose import title_from_name  # here: the no-op build reads manifests and needs no prose

    entries = []
    for rel in sorted(examples):
        rec = examples[rel]
        entries.append(
            {
                "title": rec.title or title_from_name(PurePosixPath(rel).stem),
                "intro": rec.intro,
                "html": rec.html or page_paths(rel)[0],
                "status": rec.status or "failed",
                "path": rel,
            }
        )
    return entries


def _index_of(examples: dict[str, ManifestRecord], env: dict[str, Any]) -> str:
    return sha256_hex(
        json.dumps({"entries": _index_entries(examples), "tool": env.get("tool")}, sort_keys=True).encode()
    )
