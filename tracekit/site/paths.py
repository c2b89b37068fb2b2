"""Names and paths of the files a build writes in the output folder."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

# What a terminal would act on or hide (the pages' own list, render.text): shown as <U+XXXX>
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_UNSAFE_OR_NEWLINE = re.compile("[\n" + _UNSAFE.pattern[1:])


def visible(text: str, *, newlines: bool = True) -> str:
    """TEXT with control and text-direction characters made visible (<U+001B>), for the terminal;
    without NEWLINES, a newline too (a file name must not start a line of its own)."""
    return (_UNSAFE if newlines else _UNSAFE_OR_NEWLINE).sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)


def display_path(path: Path | str) -> str:
    """PATH relative to the current folder when it is below it, else absolute; shown on one line."""
    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return visible(str(path), newlines=False)
    return visible(str(path) if rel.startswith("..") else rel, newlines=False)


def page_paths(rel: str) -> tuple[str, str]:
    p = PurePosixPath(rel)
    return str(p.with_suffix(".html")), str(p.with_suffix(".json"))


def is_inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


MANIFEST_NAME = ".tracekit-manifest.json"


LOCK_NAME = ".tracekit.lock"


MANIFEST_LOCK_NAME = ".tracekit-manifest.lock"


FIGURES_DIR = "figures"  # PNGs of figures and image values, named by content hash, shared by all pages
