"""The intent journal: files written together or not at all, and what an interrupted build left.

A build stages a group of files (one example's pages and figures) as temporaries, appends the
group to its own journal (`.tracekit-journal.PID`), then renames them into place. A build killed
between the renames leaves a journal that the next start reconciles: the staged files still there
are renamed (the group is finished), and every file that holds what the journal says becomes
tracekit's in the manifest, so that no later build refuses to replace it.
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ..child.jsonio import write_temporary
from ..supervisor import sweep_dead
from .files import file_sha
from .keys import sha256_hex
from .manifest import safe_rel
from .paths import display_path
from .results import BuildError

JOURNAL_PREFIX = ".tracekit-journal."

#: the temporaries of tracekit's atomic writes: .NAME.PID.tmp, NAME of a kind tracekit writes
#: (a user's .backup.2023.tmp beside the pages is no temporary of tracekit's)
_TEMPORARY = re.compile(r"\..+\.(?:html|json|png|css|js|ipynb|py)\.(\d{1,10})\.tmp")
_JOURNAL = re.compile(r"\.tracekit-journal\.(\d+)")


class DiskFull(BuildError):
    """The disk holding the output folder is full (exit status 1); nothing half-written stays."""

    exit_status = 1


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    try:
        dev = path.stat().st_dev
    except OSError:
        return path
    while path.parent != path:
        try:
            if path.parent.stat().st_dev != dev:
                break
        except OSError:
            break
        path = path.parent
    return path


def disk_error(e: OSError, out: Path) -> BuildError:
    """A one-line error for an OSError met writing into OUT."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            f"the disk holding {display_path(out)} (mounted at {_mount_point(out)}) is full: {e.strerror}; earlier "
            f"pages are left as they were"
        )
    return BuildError(f"cannot write into {display_path(out)}: {e.strerror or e}")


class Journal:
    """This process's journal in OUT."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out / f"{JOURNAL_PREFIX}{os.getpid()}"

    def put(self, files: dict[str, bytes]) -> dict[str, str]:
        """Write FILES (rel → bytes) into OUT together: staged, journaled, renamed; rel → sha256."""
        staged: list[tuple[str, Path, str]] = []
        try:
            for rel, data in files.items():
                tmp = Path(write_temporary(self.out / rel, data))
                staged.append((rel, tmp, sha256_hex(data)))
            line = json.dumps({"files": [[rel, tmp.name, sha] for rel, tmp, sha in staged]}) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except BaseException as e:
            for _, tmp, _ in staged:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            if isinstance(e, OSError):
                raise disk_error(e, self.out) from None
            raise
        for rel, tmp, _ in staged:
            os.replace(tmp, self.out / rel)
        return {rel: sha for rel, _, sha in staged}

    def close(self) -> None:
        """The manifest now lists what this journal recorded: forget it."""
        try:
            os.unlink(self.path)
        except OSError:
            pass


def _entries(path: Path) -> Iterator[tuple[str, str, str]]:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return
    for line in text.splitlines():
        try:
            files = json.loads(line)["files"]
        except (ValueError, KeyError, TypeError):
            continue  # the line a kill cut short: its renames never began
        for item in files if isinstance(files, list) else []:
            if (
                isinstance(item, list)
                and len(item) == 3
                and all(isinstance(s, str) for s in item)
                and safe_rel(item[0])
                and "/" not in item[1]
            ):
                yield item[0], item[1], item[2]


def dead_journals(out: Path) -> list[Path]:
    """Journals of builds that are no longer running."""
    return [Path(p) for p in sweep_dead(str(out), _JOURNAL, None)]


def leftovers(out: Path) -> list[Path]:
    """Temporaries of tracekit's writes whose process is gone (symlinked folders not followed)."""
    found = []
    for folder, _dirs, files in os.walk(out):
        if any(_TEMPORARY.fullmatch(name) for name in files):
            found += [Path(p) for p in sweep_dead(folder, _TEMPORARY, None) if os.path.basename(p) in files]
    return sorted(found)


def reconcile(out: Path, root: Path, owned: dict[str, str], adopt: Callable[[dict[str, str]], None]) -> dict[str, str]:
    """Finish the groups dead builds journaled, pass ADOPT the files they wrote that still hold
    what they wrote (rel → sha256; it records them in the manifest), then remove their temporaries
    and journals; return those files. A journal is only believed about files that are tracekit's:
    in OWNED (the manifest's) or so by their content (`ours`), so a forged one can take nothing."""
    adopted: dict[str, str] = {}
    journals = dead_journals(out)

    def tracekits(rel: str) -> bool:
        disk = file_sha(out / rel)
        return disk is None or owned.get(rel) == disk or ours(out / rel, rel, root)

    for journal in journals:
        for rel, tmp_name, sha in _entries(journal):
            target = out / rel
            tmp = target.parent / tmp_name
            if _TEMPORARY.fullmatch(tmp_name) and file_sha(tmp) == sha and not tmp.is_symlink() and tracekits(rel):
                try:
                    os.replace(tmp, target)
                except OSError:
                    pass
            if file_sha(target) == sha and not target.is_symlink() and (rel in owned or ours(target, rel, root)):
                adopted[rel] = sha
    if adopted:
        adopt(adopted)
    for tmp in leftovers(out):
        try:
            tmp.unlink()
        except OSError:
            pass
    for journal in journals:
        try:
            journal.unlink()
        except OSError:
            pass
    return adopted


_GENERATOR = b'<meta name="generator" content="tracekit">'
_FIGURE = re.compile(r"^[0-9a-f]{16}\.png$")
_ASSET = re.compile(r"^tracekit\.[0-9a-f]+\.(css|js)$")


def ours(path: Path, rel: str, root: Path) -> bool:
    """Is PATH (OUT/REL) tracekit's by its content? Pages carrying tracekit's generator tag, page
    JSON, assets and figures named by their hash, downloads equal to their source (ROOT/…)."""
    name = path.name
    top = rel.split("/", 1)[0]
    if name.startswith(".") or not safe_rel(rel) or path.is_symlink():
        return False
    try:
        if path.stat().st_size > 256 * 1024 * 1024:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    if name.endswith(".html"):
        return _GENERATOR in data[:4096]
    if name.endswith(".json"):
        try:
            page = json.loads(data)
        except ValueError:
            return False
        return isinstance(page, dict) and "authored" in page and "build" in page
    if rel == "search-index.js":  # the search box's index (render/search.py), named without a hash
        return data.startswith(b"/* tracekit search index */\n")
    if top == "figures":
        return bool(_FIGURE.match(name)) and sha256_hex(data).startswith(name[:16])
    if top == "assets":
        return bool(_ASSET.match(name))
    if top == "downloads" and "/" in rel:
        source = root / rel.split("/", 1)[1]
        return file_sha(source) == sha256_hex(data) or (
            name.endswith(".ipynb") and file_sha(source.with_suffix(".py")) is not None
        )
    return False


def recognised(out: Path, root: Path) -> dict[str, str]:
    """Files in OUT that are tracekit's by their content (rel → sha256), for a manifest that was
    lost. Anything else is left alone."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            path = Path(folder) / name
            rel = path.relative_to(out).as_posix()
            if ours(path, rel, root):
                sha = file_sha(path)
                if sha is not None:
                    found[rel] = sha
    return found
