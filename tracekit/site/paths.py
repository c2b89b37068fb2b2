"""Names and paths of the files a build writes in the output folder."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def _display(path: Path | str) -> str:
    """PATH relative to the current folder when it is below it, else absolute."""
    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _page_paths(rel: str) -> tuple[str, str]:
    p = PurePosixPath(rel)
    return str(p.with_suffix(".html")), str(p.with_suffix(".json"))


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


MANIFEST_NAME = ".tracekit-manifest.json"


LOCK_NAME = ".tracekit.lock"


MANIFEST_LOCK_NAME = ".tracekit-manifest.lock"


FIGURES_DIR = "figures"  # PNGs of figures and image values, named by content hash, shared by all pages
