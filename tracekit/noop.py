"""A build with nothing to do, remembered so that the same command can say so again from the
standard library alone.

When a `tracekit build` finds nothing to do, the command line records what that answer was read
from: the size and mtime of every file under the examples folder and tracekit's package, of the
configuration file(s), of the manifest and every file it lists, of the folders on sys.path (an
installed or upgraded torch changes them), and the command, folder, interpreter and environment
variables that matter, and where the answer comes from (the output folder, the examples folder
and the examples in scope). The next identical command compares those first; only when they are
all the same is the answer given again, rebuilt from the manifest as the build would (the record
keeps no text to print, so a forged one cannot make tracekit say anything). Like git's index
(and the stat cache of the build itself), a file changed within two seconds of being recorded is
not trusted, so no record is made then. `tracekit check` never uses this: it always reads the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence

TYPE_CHECKING = False  # `typing` is not imported at run time: the no-op fast path imports as little as it can
if TYPE_CHECKING:
    from typing import Any

FORMAT = 3
SLACK_NS = 2_000_000_000  # mtimes this close to the record are not trusted (coarse clocks, racing edits)
_ENV_PREFIXES = ("TRACEKIT_", "CUDA_", "XDG_CACHE_HOME", "HOME")  # PYTHONPATH counts through sys.path


def _context(command: Sequence[str]) -> list[Any]:
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))
    try:  # a CUDA device appearing changes the key of a `device=auto` example
        gpus = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia") and n[6:].isdigit())
    except OSError:
        gpus = []
    return [FORMAT, list(command), os.getcwd(), sys.executable, sys.version, sys.flags.optimize, env, sys.path, gpus]


def _record_path(context: list[Any]) -> str:
    from .codecache import cache_dir

    name = hashlib.sha256(json.dumps(context[1:4]).encode()).hexdigest()[:24]
    return os.path.join(cache_dir(), "noop", f"{name}.json")


def _stat(path: str) -> list[Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _signature(watch: dict[str, Any]) -> tuple[str, int]:
    """(sha256 over the sizes and mtimes of everything WATCH names, the newest mtime seen)."""
    h = hashlib.sha256()
    newest = 0
    for tree in watch.get("trees", []):
        for folder, dirs, files in os.walk(tree):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in [".", *sorted(files)]:
                path = os.path.join(folder, name)
                st = _stat(path)
                h.update(f"{path}\0{st}\0".encode())
                if st is not None:
                    newest = max(newest, st[1])
    for folder in watch.get("clean", []):
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".tmp") or n.startswith(".tracekit-journal."))
        except OSError:
            names = []
        h.update(f"{folder}\0{names}\0".encode())
    for path in [*watch.get("files", []), *watch.get("dirs", [])]:
        st = _stat(path)
        h.update(f"{path}\0{st}\0".encode())
        if st is not None:
            newest = max(newest, st[1])
    return h.hexdigest(), newest


def answer(command: Sequence[str]) -> tuple[str, str, list[str]] | None:
    """(output folder, examples folder, examples in scope) of COMMAND's no-op answer when nothing
    it depends on has changed since it was recorded; else None."""
    context = _context(command)
    try:
        with open(_record_path(context), "rb") as f:
            record = json.loads(f.read())
        if record.get("context") != json.loads(json.dumps(context)):
            return None
        if _signature(record["watch"])[0] != record["signature"]:
            return None
        output, root, examples = record["from"]
        if not (isinstance(output, str) and isinstance(root, str) and isinstance(examples, list)):
            return None
        if not all(isinstance(rel, str) for rel in examples):
            return None
        return output, root, examples
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def remember(
    command: Sequence[str],
    trees: Iterable[str],
    files: Iterable[str],
    source: tuple[str, str, list[str]],
    clean: Iterable[str] = (),
) -> None:
    """Record that COMMAND had nothing to do, reading TREES and FILES; SOURCE: the output folder,
    examples folder and examples its answer is rebuilt from; CLEAN: folders where an interrupted
    build's journal or temporary voids it."""
    context = _context(command)
    watch = {
        "trees": sorted(set(trees)),
        "files": sorted(set(files)),
        "dirs": [p or "." for p in sys.path],
        "clean": sorted(set(clean)),
    }
    signature, newest = _signature(watch)
    if newest > time.time_ns() - SLACK_NS:
        return  # something changed just now: its mtime cannot tell a later edit apart
    record = {"context": context, "watch": watch, "signature": signature, "from": list(source)}
    try:
        from .child.jsonio import atomic_write

        atomic_write(_record_path(context), json.dumps(record).encode())
    except OSError:
        pass
