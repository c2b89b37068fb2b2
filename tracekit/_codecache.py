"""Instrumented code cached by content hash, so a warm run skips parsing and compiling.

The key covers the script's bytes and path, the hits limit, the probed lines, the Python
version, tracekit's version and the instrumenter's own source. Entries are written atomically.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys

from ._jsonio import atomic_write
from ._version import __version__

__all__ = ["cache_dir", "instrument_file"]

_INSTRUMENTER = os.path.join(os.path.dirname(__file__), "instrument.py")


def cache_dir() -> str:
    """The cache folder: $TRACEKIT_CACHE_DIR, else $XDG_CACHE_HOME/tracekit, else ~/.cache/tracekit."""
    env = os.environ.get("TRACEKIT_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracekit")


def instrument_file(path: str, hits: int = 3, probe_lines: frozenset = frozenset()) -> tuple:
    """(code, stmts, exprs, compile warnings) for the script at PATH, from the cache when it is there."""
    with open(path, "rb") as f:
        source = f.read()
    with open(_INSTRUMENTER, "rb") as f:
        generator = f.read()
    key = hashlib.sha256(
        repr((__version__, sys.version, path, hits, sorted(probe_lines))).encode() + b"\0" + generator + b"\0" + source
    ).hexdigest()
    cfile = os.path.join(cache_dir(), "code", key[:2], key + ".bin")
    try:
        with open(cfile, "rb") as f:
            return marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    from .instrument import instrument

    result = instrument(source, path, hits, probe_lines)
    entry = (result.code, result.stmts, result.exprs, result.warnings)
    try:
        atomic_write(cfile, marshal.dumps(entry))
    except (OSError, ValueError):
        pass  # an unwritable cache only costs speed
    return entry
