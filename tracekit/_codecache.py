"""Instrumented scripts cached by content hash, as ready-to-run .pyc files.

The key covers the script's bytes and path, the hits limit, the probed lines, the Python
version, tracekit's version and location, and the source of every module the generated code
depends on or is run with (``GENERATOR_MODULES``: every module of the top-level package, so
the instrumenter, the protocol's hook names and every module of the child; a test checks that
the instrumenter and the child import no module outside it). Each entry is a
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

from ._jsonio import atomic_write
from ._version import __version__

__all__ = ["cache_dir", "prepare"]

_HERE = os.path.dirname(os.path.abspath(__file__))
PKG_PARENT = os.path.dirname(_HERE)


def cache_dir() -> str:
    """The cache folder: $TRACEKIT_CACHE_DIR, else $XDG_CACHE_HOME/tracekit, else ~/.cache/tracekit."""
    env = os.environ.get("TRACEKIT_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracekit")


#: tracekit's modules whose source decides the instrumented code or runs with it in the child:
#: every module of the top-level package (no list to keep up to date as the child grows)
GENERATOR_MODULES = tuple(sorted(name for name in os.listdir(_HERE) if name.endswith(".py")))
_generator_cache: bytes | None = None


def _generator_source() -> bytes:
    global _generator_cache
    if _generator_cache is None:
        parts = []
        for name in GENERATOR_MODULES:
            with open(os.path.join(_HERE, name), "rb") as f:
                parts.append(name.encode() + b"\0" + hashlib.sha256(f.read()).digest())
        _generator_cache = b"\0".join(parts)
    return _generator_cache


def _key(path: str, source: bytes, hits: int, probe_lines: frozenset) -> str:
    generator = _generator_source()
    meta = repr((__version__, sys.version, sys.flags.optimize, PKG_PARENT, path, hits, sorted(probe_lines))).encode()
    return hashlib.sha256(meta + b"\0" + generator + b"\0" + source).hexdigest()


def prepare(path: str, hits: int = 3, probe_lines: frozenset = frozenset(), folder: str | None = None) -> tuple[str, str]:
    """(pyc path, tables path) of the instrumented script at PATH; SyntaxError if it is not Python.

    FOLDER is used when the cache folder cannot be written (the files are then not shared).
    """
    with open(path, "rb") as f:
        source = f.read()
    key = _key(path, source, hits, probe_lines)
    base = os.path.join(cache_dir(), "code", key[:2], key)
    pyc, tables = base + ".pyc", base + ".tables"
    if os.path.exists(pyc) and os.path.exists(tables):
        return pyc, tables
    from .instrument import instrument

    result = instrument(source, path, hits, probe_lines, pkg_parent=PKG_PARENT)
    header = importlib.util.MAGIC_NUMBER + b"\0" * 12  # flags, mtime and size go unchecked for `python x.pyc`
    table_data: Any = (result.stmts, result.exprs, result.warnings, result.rebinds_builtins)
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
