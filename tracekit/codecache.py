"""Instrumented scripts cached by content hash, as ready-to-run .pyc files.

The key covers the script's bytes and path, the hits limit, the probed lines, the Python
version, tracekit's version and location, and the source of every module the generated code
depends on or is run with (``GENERATOR_MODULES``: exactly the modules of ``tracekit/child/``,
the instrumenter, the protocol's hook names and every module of the child; a test checks that
they import no tracekit module outside that folder). Each entry is a
`.pyc` (run directly as the child's main program) and a `.tables` file (statement and
expression tables, compile warnings), both written atomically.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
from typing import Any

from .child.jsonio import atomic_write
from .child.version import __version__

__all__ = ["CacheError", "cache_dir", "prepare"]

_HERE = os.path.dirname(os.path.abspath(__file__))
PKG_PARENT = os.path.dirname(_HERE)
CHILD_DIR = os.path.join(_HERE, "child")


class CacheError(Exception):
    """The cache folder is one that others could write to: tracekit will not use it."""

    exit_status = 2


def _cache_path() -> str:
    env = os.environ.get("TRACEKIT_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracekit")


_checked: dict[str, tuple[Any, ...]] = {}


def cache_dir() -> str:
    """The cache folder ($TRACEKIT_CACHE_DIR, else $XDG_CACHE_HOME/tracekit, else
    ~/.cache/tracekit), made 0700 when missing; CacheError when it is not the user's own."""
    path = _cache_path()
    try:
        os.makedirs(path, mode=0o700)
    except FileExistsError:
        pass
    except OSError:
        return path  # cannot be made (a read-only home): nothing is read from it and writes fall back
    try:
        st = os.lstat(path)
    except OSError as e:
        raise CacheError(f"cache folder {path}: cannot be read: {e.strerror}") from None
    seen = (st.st_dev, st.st_ino, st.st_mode, st.st_uid)
    if _checked.get(path) != seen:
        _check(path, st)
        _checked[path] = seen
    return path


def _check(path: str, st: os.stat_result) -> None:
    """What ssh asks of a key's folder: the cache and every folder above it are the user's (or
    root's) and nobody else can write to them, since a .pyc found there is run as the user."""
    import stat

    me = os.geteuid()
    fix = "make it yours (chown, chmod 700) or set TRACEKIT_CACHE_DIR to a folder of your own"
    if stat.S_ISLNK(st.st_mode):
        if st.st_uid not in (me, 0):
            raise CacheError(f"cache folder {path} is a link owned by uid {st.st_uid}: tracekit will not use it; {fix}")
        try:
            st = os.stat(path)
        except OSError as e:
            raise CacheError(f"cache folder {path}: cannot be read: {e.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise CacheError(f"cache folder {path} is not a folder: tracekit will not use it; {fix}")
    if st.st_uid != me:
        raise CacheError(
            f"cache folder {path} is owned by uid {st.st_uid}, not by you (uid {me}): tracekit will not use it; {fix}"
        )
    if st.st_mode & 0o022:
        mode = stat.S_IMODE(st.st_mode)
        raise CacheError(
            f"cache folder {path} can be written by others (mode {mode:04o}): tracekit will not use it; run chmod 700 "
            f"{path}"
        )
    folder = os.path.dirname(os.path.realpath(path))
    while True:
        try:
            up = os.stat(folder)
        except OSError as e:
            raise CacheError(f"cache folder {path}: cannot read {folder}: {e.strerror}") from None
        if up.st_uid not in (me, 0):
            raise CacheError(
                f"cache folder {path}: {folder} above it is owned by uid {up.st_uid}: tracekit will not use it; {fix}"
            )
        if up.st_mode & 0o022 and not up.st_mode & stat.S_ISVTX:  # /tmp is fine: sticky, nobody renames what is ours
            raise CacheError(
                f"cache folder {path}: {folder} above it can be written by others: tracekit will not use it; {fix}"
            )
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


#: tracekit's modules whose source decides the instrumented code or runs with it in the child:
#: every module of tracekit/child/ (no list to keep up to date as the child grows)
GENERATOR_MODULES = tuple(sorted(name for name in os.listdir(CHILD_DIR) if name.endswith(".py")))
_generator_cache: bytes | None = None


def generator_source() -> bytes:
    global _generator_cache
    if _generator_cache is None:
        parts = []
        for name in GENERATOR_MODULES:
            with open(os.path.join(CHILD_DIR, name), "rb") as f:
                parts.append(name.encode() + b"\0" + hashlib.sha256(f.read()).digest())
        _generator_cache = b"\0".join(parts)
    return _generator_cache


def _key(path: str, source: bytes, hits: int, probe_lines: frozenset[Any]) -> str:
    generator = generator_source()
    meta = repr((__version__, sys.version, sys.flags.optimize, PKG_PARENT, path, hits, sorted(probe_lines))).encode()
    return hashlib.sha256(meta + b"\0" + generator + b"\0" + source).hexdigest()


def prepare(
    path: str,
    hits: int,
    probe_lines: frozenset[Any] = frozenset(),
    folder: str | None = None,
    source: bytes | None = None,
) -> tuple[str, str]:
    """(pyc path, tables path) of the instrumented script at PATH; SyntaxError if it is not Python.

    FOLDER is used when the cache folder cannot be written (the files are then not shared).
    SOURCE, when given, is the Python to run for PATH (a notebook's script), instead of its bytes.
    """
    if source is None:
        with open(path, "rb") as f:
            source = f.read()
    key = _key(path, source, hits, probe_lines)
    base = os.path.join(cache_dir(), "code", key[:2], key)
    pyc, tables = base + ".pyc", base + ".tables"
    if os.path.exists(pyc) and os.path.exists(tables):
        return pyc, tables
    from .child.instrument import instrument

    result = instrument(source, path, hits, probe_lines, pkg_parent=PKG_PARENT)
    header = importlib.util.MAGIC_NUMBER + b"\0" * 12  # flags, mtime and size go unchecked for `python x.pyc`
    table_data: Any = (result.stmts, result.exprs, result.warnings, result.rebinds_builtins, result.loops)
    code: Any = result.code
    payloads = ((tables, marshal.dumps(table_data)), (pyc, header + marshal.dumps(code)))
    try:
        for target, payload in payloads:  # tables first: a .pyc present means its tables are too
            atomic_write(target, payload)
    except OSError:
        if folder is None:
            raise
        pyc, tables = os.path.join(folder, "script.pyc"), os.path.join(folder, "script.tables")
        for target, payload in ((tables, payloads[0][1]), (pyc, payloads[1][1])):
            atomic_write(target, payload)
    return pyc, tables
