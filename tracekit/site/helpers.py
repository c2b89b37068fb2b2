"""Helpers: discovered modules that examples import and that have no prose get no page of their own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..prose import has_cell_marker
from .discover import excluded
from .keys import Imports, local_dependencies


def has_prose(data: bytes) -> bool:
    """Does this source carry prose of its own (`#:` lines or cells)?"""
    return b"#:" in data or has_cell_marker(data.decode("utf-8", "replace"))


def find_helpers(
    root: Path, candidates: Sequence[str], imports: Imports, *, helpers: Sequence[str] = (), pages: Sequence[str] = ()
) -> list[str]:
    """The CANDIDATES that are helpers: matched by HELPERS globs, or imported by another candidate
    and without prose, unless matched by PAGES globs. Sorted, relative POSIX paths."""
    imported: set[str] = set()
    for rel in candidates:
        imported.update(local_dependencies(root / rel, root, None, imports))
    out = []
    for rel in candidates:
        if pages and excluded(rel, pages):
            continue
        if helpers and excluded(rel, helpers):
            out.append(rel)
            continue
        if rel in imported:
            try:
                data = (root / rel).read_bytes()
            except OSError:
                continue  # reported when it is read as an example
            if not has_prose(data):
                out.append(rel)
    return sorted(out)
