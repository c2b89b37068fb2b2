"""File checks: the one rule for every file tracekit reads from a folder it was handed (examples,
chapters and part headers under the examples folder; pages and figures in an output folder or a
shard). Regular files only (a FIFO blocks whoever opens it, a device never ends), no symlink
leading out of the folder (its target would be run or published), and a size cap.

Standard library only: the no-op fast path hashes output files through `file_sha`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..child.protocol import MAX_SOURCE_BYTES
from .paths import display_path

__all__ = ["MAX_TEXT_BYTES", "Refused", "file_sha", "link_out", "read_checked", "refusal", "regular"]

#: chapters and part headers: what an example's source may be
MAX_TEXT_BYTES = MAX_SOURCE_BYTES


class Refused(Exception):
    """A file that may not be read; the message says why, after the file's name."""


def link_out(path: Path, root: Path) -> Path | None:
    """The target of PATH when PATH (or a folder on the way to it) is a link leading out of ROOT."""
    target = path.resolve()
    try:
        target.relative_to(root.resolve())
    except ValueError:
        return target if path.is_symlink() or path.absolute() != target else None
    return None


def regular(path: Path) -> bool:
    """Is PATH (followed) a regular file?"""
    try:
        return _kind(os.stat(path).st_mode) is None
    except OSError:
        return False


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a socket or other special file"


def refusal(path: Path, root: Path, limit: int | None = MAX_TEXT_BYTES) -> str | None:
    """Why PATH may not be read as a file of ROOT (None: it may), without opening it."""
    out = link_out(path, root)
    if out is not None:
        return f"is a symlink to {out}, outside {display_path(root)}: refused"
    try:
        st = os.stat(path)
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    kind = _kind(st.st_mode)
    if kind is not None:
        return f"is not a regular file ({kind}): refused"
    if limit is not None and st.st_size > limit:
        return f"is {st.st_size:,} bytes; tracekit reads files up to {limit:,}"
    return None


def read_checked(path: Path, root: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of PATH, a file of ROOT; Refused when `refusal` says no (checked again on the
    open file, so a FIFO or a growing file swapped in meanwhile cannot block or flood the read)."""
    why = refusal(path, root, limit)
    if why is not None:
        raise Refused(why)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise Refused(f"cannot be read: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        kind = _kind(os.fstat(f.fileno()).st_mode)
        if kind is not None:
            raise Refused(f"is not a regular file ({kind}): refused")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Refused(f"is more than {limit:,} bytes; tracekit reads files up to {limit:,}")
    return data


def file_sha(path: Path | str) -> str | None:
    """sha256 of the regular file at PATH; None when it is missing, unreadable or not a regular
    file (a FIFO where a page should be must not hang a build or a check)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            h = hashlib.sha256()
            while chunk := f.read(1 << 20):
                h.update(chunk)
            return h.hexdigest()
    except OSError:
        return None
