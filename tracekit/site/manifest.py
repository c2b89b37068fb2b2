"""The manifest: every file tracekit wrote, with its sha256, and each example's key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .._jsonio import dumps
from .._version import __version__
from .keys import _sha
from .paths import MANIFEST_NAME, _page_paths

# ─────────────────────────────────────────────────────────────────────────────
# Manifest
# ─────────────────────────────────────────────────────────────────────────────

#: the manifest's own format version (docs/internals.md describes it)
MANIFEST_FORMAT = 1

#: a manifest larger than this is not read (a site of ~30,000 examples): it would take minutes
MAX_MANIFEST_BYTES = 32 * 1024 * 1024

_RECOVER = "; run `tracekit build --rebuild-manifest` to make a new one from the files tracekit wrote"


def _safe_rel(rel: Any) -> bool:
    """A manifest path tracekit may touch: relative, POSIX, no `..`, not a Python file."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    parts = rel.split("/")
    # Python files are never touched, but for the source copies tracekit writes under downloads/
    return all(p not in ("", ".", "..") for p in parts) and (not rel.endswith((".py", ".pyc")) or (parts[0] == "downloads" and len(parts) > 1))


@dataclass(repr=False, eq=False)
class Manifest:
    examples: dict[str, dict] = field(default_factory=dict)
    site: dict[str, str] = field(default_factory=dict)  # index.html and assets → sha256
    index_of: str | None = None  # hash of what the index was rendered from
    env: dict = field(default_factory=dict)
    imports: dict[str, list] = field(default_factory=dict)  # file sha256 → its import names
    shards: dict[str, list[str]] = field(default_factory=dict)  # "i/n" → the examples that shard built here
    chapters: dict[str, dict] = field(default_factory=dict)  # chapter rel → {key, status, failures}
    loose: dict[str, str] = field(default_factory=dict)  # files an interrupted build wrote, no record lists yet
    problem: str = ""  # why an existing manifest could not be read

    @classmethod
    def load(cls, out: Path) -> Manifest:
        path = out / MANIFEST_NAME
        try:
            size = path.stat().st_size
            if size > MAX_MANIFEST_BYTES:
                return cls(problem=f"{MANIFEST_NAME} is {size:,} bytes, more than tracekit reads ({MAX_MANIFEST_BYTES:,}){_RECOVER}")
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as e:
            return cls(problem=f"cannot read {MANIFEST_NAME}: {e.strerror}")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
                raise ValueError("unknown format")
            examples = {rel: rec for rel, rec in (data.get("examples") or {}).items() if isinstance(rec, dict) and isinstance(rel, str)}
            for rec in examples.values():
                files: dict = rec["files"] if isinstance(rec.get("files"), dict) else {}
                rec["files"] = {p: s for p, s in files.items() if _safe_rel(p) and isinstance(s, str)}
            site_data = data.get("site") or {}
            site = {p: s for p, s in (site_data.get("files") or {}).items() if _safe_rel(p) and isinstance(s, str)}
            imports = {k: v for k, v in (data.get("imports") or {}).items() if isinstance(v, list)}
            shards = {k: [r for r in v if isinstance(r, str)] for k, v in (data.get("shards") or {}).items() if isinstance(k, str) and isinstance(v, list)}
            chapters = {rel: rec for rel, rec in (site_data.get("chapters") or {}).items() if isinstance(rec, dict) and isinstance(rel, str)}
            loose = {p: s for p, s in (data.get("loose") or {}).items() if _safe_rel(p) and isinstance(s, str)}
            return cls(examples, site, site_data.get("index_of"), data.get("env") or {}, imports, shards, chapters, loose)
        except (ValueError, AttributeError, TypeError) as e:
            return cls(problem=f"{MANIFEST_NAME} is not a tracekit manifest ({e}); nothing in the folder will be deleted{_RECOVER}")

    def files(self) -> dict[str, str]:
        """Every file listed: relative path → sha256."""
        out: dict[str, str] = {}
        for rec in self.examples.values():
            out.update(rec.get("files") or {})
        out.update(self.site)
        return out

    def owned(self) -> dict[str, str]:
        """Every file tracekit wrote as it is now: the listed ones, and what interrupted builds left."""
        return {**self.files(), **self.loose}

    def prune_imports(self) -> None:
        """Keep the import names of the files the records refer to, and only those."""
        used = set()
        for rec in self.examples.values():
            used.add(rec.get("source"))
            used.update((rec.get("deps") or {}).values())
        self.imports = {sha: names for sha, names in self.imports.items() if sha in used}

    def to_bytes(self) -> bytes:
        data = {
            "format": MANIFEST_FORMAT,
            "tracekit": __version__,
            "env": self.env,
            "examples": self.examples,
            "imports": self.imports,
            "site": {"files": self.site, "index_of": self.index_of, "chapters": self.chapters},
            "files": self.files(),
        }
        if self.loose:
            data["loose"] = self.loose
        if self.shards:  # only in the output of sharded builds, for `tracekit merge`
            data["shards"] = self.shards
        return dumps(data).encode("utf-8")


def _index_entries(examples: dict[str, dict]) -> list[dict]:
    from ..prose import title_from_name  # here: the no-op build reads manifests and needs no prose

    entries = []
    for rel in sorted(examples):
        rec = examples[rel]
        entries.append(
            {
                "title": rec.get("title") or title_from_name(PurePosixPath(rel).stem),
                "intro": rec.get("intro") or "",
                "html": rec.get("html") or _page_paths(rel)[0],
                "status": rec.get("status") or "failed",
                "path": rel,
            }
        )
    return entries


def _index_of(examples: dict[str, dict], env: dict) -> str:
    return _sha(json.dumps({"entries": _index_entries(examples), "tool": env.get("tool")}, sort_keys=True).encode())
