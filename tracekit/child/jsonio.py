"""Deterministic JSON text and atomic file writes, with nothing but json and os (the child uses them)."""

from __future__ import annotations

import json
import os
import re

_SURROGATE = re.compile("[\ud800-\udfff]")

__all__ = ["atomic_write", "dumps", "temporary_name", "write_json", "write_temporary"]


def dumps(data: object) -> str:
    """Deterministic JSON text: sorted keys, UTF-8, one trailing newline.

    Lone surrogates (text printed with errors="surrogateescape") cannot be UTF-8: they are
    written as \\udXXX escapes, which JSON readers turn back into the same string.
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def temporary_name(path: str | os.PathLike[str]) -> str:
    """The temporary PATH is written as first: `.NAME.PID.tmp` beside it (a build removes a dead process's)."""
    path = os.fspath(path)
    return os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")


def write_temporary(path: str | os.PathLike[str], payload: bytes) -> str:
    """Write PAYLOAD to PATH's temporary (its folder made if missing) and return the temporary's
    path, for the caller to rename over PATH; on failure nothing is left behind."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = temporary_name(path)
    try:
        try:
            os.unlink(tmp)  # a stale one, or a link planted there: never written through
        except FileNotFoundError:
            pass
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644), "wb") as f:
            f.write(payload)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return tmp


def atomic_write(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write PAYLOAD to PATH through a temporary file in the same folder, then rename over PATH."""
    tmp = write_temporary(path, payload)
    try:
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path: str | os.PathLike[str], data: object) -> None:
    """Write DATA as JSON to PATH atomically."""
    atomic_write(path, dumps(data).encode("utf-8"))
