"""Files a script writes inside the examples folder (child side), for the build to name.

Two sources, both cheap and attributed to this run alone: an audit hook (``sys.addaudithook``)
notes every path opened for writing, renamed, linked or made a folder through Python (the
script, its libraries, ``shutil``); and the script's own folder is listed before and after the
run (file sizes and modification times), which finds what native code wrote there
(``torch.save`` writes from C++). Everything inside a folder the script made is the script's.
Only files under the examples root that still exist at the end are reported. Imports only the
standard library.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # `typing` is not imported at run time: this module starts every child
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Watch"]

MAX_LISTED = 2000  # entries looked at when listing the script's folder, before and after
MAX_REPORTED = 1000
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# audit event → index of the path it creates (None: not watched)
_EVENTS = {"open": 0, "os.mkdir": 0, "os.rename": 1, "os.link": 1, "os.symlink": 1, "os.truncate": 0}
_SKIP_DIRS = ("__pycache__",)


class Watch:
    """What one run wrote under ROOT; FOLDER (the script's folder) is listed before and after."""

    def __init__(self, root: str, folder: str, ignore: str) -> None:
        self.root = os.path.join(os.path.realpath(root), "")
        self.folder = os.path.realpath(folder)
        self.ignore = os.path.join(os.path.realpath(ignore), "")  # tracekit's own run folder
        self.paths: set[str] = set()
        self.made: set[str] = set()  # folders the script made
        self.before = self._listing()

    def install(self) -> None:
        """Add the audit hook (for good: python has no way to remove one)."""
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        index = _EVENTS.get(event)
        if index is None:
            return
        try:
            if event == "open" and not (args[2] & _WRITE_FLAGS if isinstance(args[2], int) else False):
                return
            fd = (
                args[3]
                if event in ("os.rename", "os.link")
                else args[2]
                if event in ("os.mkdir", "os.symlink")
                else None
            )
            if fd not in (None, -1):
                return  # relative to a folder descriptor: cannot tell where
            path = args[index]
            if isinstance(path, int):
                return  # an open file descriptor
            path = os.path.abspath(os.fsdecode(path))  # now: the script may change folder later
            if event != "os.mkdir":
                self.paths.add(path)
            elif not os.path.lexists(path):  # `makedirs(exist_ok=True)` of a folder already there is not making it
                self.made.add(path)
        except Exception:  # never disturb the operation being audited
            pass

    def _listing(self, top: str | None = None) -> dict[str, tuple[int, int]]:
        """{path: (size, mtime_ns)} of the regular files under TOP (the script's folder), bounded."""
        out: dict[str, tuple[int, int]] = {}
        todo = [top or self.folder]
        seen = 0
        while todo and seen < MAX_LISTED:
            folder = todo.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > MAX_LISTED:
                    break
                name = entry.name
                if name.startswith(".tracekit") or name in _SKIP_DIRS:
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not name.startswith("."):
                            todo.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        out[entry.path] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    continue
        return out

    def written(self) -> dict[str, list[str]]:
        """Paths relative to the root (POSIX), sorted: ``claimed``, written through Python (a folder the
        script made and left empty ends in `/`); ``inside``, other files inside a folder it made (native
        code's, or those of another run that wrote into a folder this one happened to make first, such as
        the ``runs/`` of ``makedirs("runs/a")``); ``found``, new or changed in the script's folder otherwise."""
        claimed = set(self.paths)
        inside: set[str] = set()
        for folder in self.made:
            listed = self._listing(folder)
            inside.update(listed)
            if not listed:
                claimed.add(folder)
        after = self._listing()
        found = {p for p, st in after.items() if self.before.get(p) != st}
        made = {os.path.realpath(m) for m in self.made}
        mine = self._relative(claimed, made)
        within = [p for p in self._relative(inside, made) if p not in mine]
        return {
            "claimed": mine,
            "inside": within,
            "found": [p for p in self._relative(found, made) if p not in mine and p not in within],
        }

    def _relative(self, paths: set[str], made: set[str]) -> list[str]:
        out: set[str] = set()
        for path in paths:
            real = os.path.realpath(path)
            if not real.startswith(self.root) or real.startswith(self.ignore):
                continue
            rel = real[len(self.root) :]
            if any(p in _SKIP_DIRS for p in rel.split(os.sep)) or not os.path.lexists(real):
                continue
            if os.path.isdir(real):
                if real not in made:
                    continue
                rel += os.sep
            out.add(rel.replace(os.sep, "/"))
        return sorted(out)[:MAX_REPORTED]

    def write(self, path: str) -> None:
        """Write the lists to PATH as JSON (never fails the run)."""
        import json

        try:
            data = json.dumps(self.written())
            with open(path, "w", encoding="utf-8") as f:
                f.write(data)
        except Exception:
            pass
