"""The output folder a build writes: what tracekit owns there, journaled writes, interrupts held off mid-write."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..child.jsonio import atomic_write
from .files import file_sha
from .journal import Journal, disk_error, recognised, reconcile
from .lock import OutputLock
from .manifest import Manifest, safe_rel
from .paths import MANIFEST_LOCK_NAME, MANIFEST_NAME, display_path, is_inside
from .report import Reporter
from .results import BuildError, BuildInterrupted


@dataclass
class OutputFolder:
    """The output folder OUT of a build of the examples folder ROOT (OVERLAP: one holds the other)."""

    out: Path
    root: Path
    overlap: bool
    reporter: Reporter
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    signal: int | None = field(default=None, init=False)
    critical: int = field(default=0, init=False)
    journal: Journal = field(init=False)

    def __post_init__(self) -> None:
        self.journal = Journal(self.out)

    # signals: the handler raises unless a write is in progress; then it is raised right after
    def on_signal(self, signum: int, frame: Any) -> None:
        """The SIGINT/SIGTERM handler of a build."""
        self.signal = signum
        if not self.critical:
            raise BuildInterrupted(signum)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold off an interrupt until the writes inside are done (then it is raised)."""
        self.critical += 1
        try:
            yield
        finally:
            self.critical -= 1
            if not self.critical and self.signal is not None:
                raise BuildInterrupted(self.signal)

    def take_signal(self) -> int | None:
        """The signal received so far, forgotten: what follows (the merge of the records) is not interrupted by it."""
        signum, self.signal = self.signal, None
        return signum

    def may_write(self, rel: str, manifest_files: dict[str, str]) -> bool:
        """May OUT/REL be replaced? Only if it is missing or tracekit wrote it (MANIFEST_FILES: the
        manifest's `owned()`, which counts what interrupted builds left).

        Where the output and examples folders overlap, the file must also still hold what tracekit
        wrote: a source that happens to share a page's name is never overwritten.
        """
        target = self.out / rel
        if not os.path.lexists(target):
            return True
        written = manifest_files.get(rel)
        if written is None:
            return False
        return not self.overlap or written == file_sha(target)

    def leads_out(self, rel: str) -> str | None:
        """The folder (as shown) on the way to OUT/REL that is a link out of the output folder, or None."""
        root = self.out.resolve()
        folder = self.out / rel
        for _ in rel.split("/")[:-1]:
            folder = folder.parent
            try:
                if folder.is_symlink() and not is_inside(folder.resolve(), root):
                    return display_path(folder)
            except OSError:
                return display_path(folder)
        return None

    def write(self, rel: str, data: bytes) -> str:
        """Replace OUT/REL with DATA through the journal; its sha256."""
        return self.write_all({rel: data})[rel]

    def write_all(self, files: dict[str, bytes]) -> dict[str, str]:
        """Replace FILES (rel → bytes) together, through the journal; rel → sha256."""
        for rel in files:
            folder = self.leads_out(rel)
            if folder is not None:
                raise BuildError(
                    f"refusing to write {display_path(self.out / rel)}: {folder} leads outside the output folder"
                )
        shas = self.journal.put(files)
        self.written.extend(files)
        return shas

    def reconcile(self, rebuild: bool = False) -> Manifest:
        """Finish what interrupted builds journaled and make the files they wrote tracekit's again
        (so that none is refused as foreign); their temporaries go. Returns the manifest. REBUILD:
        a new manifest, listing as tracekit's the files recognised as such by their content."""
        with OutputLock(self.out / MANIFEST_LOCK_NAME, blocking=True):
            manifest = Manifest.load(self.out)
            if rebuild:
                old = manifest.problem
                manifest = Manifest(loose=recognised(self.out, self.root))
                try:
                    atomic_write(self.out / MANIFEST_NAME, manifest.to_bytes())
                except OSError as e:
                    raise disk_error(e, self.out) from None
                why = " (it was unreadable)" if old else ""
                found = f"{len(manifest.loose)} file(s) in {display_path(self.out)} recognised as tracekit's"
                self.reporter.info(f"new manifest{why}: {found}")
            adopted = reconcile(self.out, self.root, manifest.owned(), lambda found: self._adopt(manifest, found))
            if adopted:
                self.reporter.detail(f"{len(adopted)} file(s) an interrupted build wrote are tracekit's again")
            return manifest

    def _adopt(self, manifest: Manifest, found: dict[str, str]) -> None:
        listed = manifest.files()
        new = {rel: sha for rel, sha in found.items() if listed.get(rel) != sha and manifest.loose.get(rel) != sha}
        if not new or manifest.problem:
            return
        manifest.loose.update(new)
        try:
            atomic_write(self.out / MANIFEST_NAME, manifest.to_bytes())
        except OSError as e:
            raise disk_error(e, self.out) from None

    def delete(self, rel: str, sha: str) -> None:
        """Delete OUT/REL if it still holds what tracekit wrote (SHA); never anything else."""
        if not safe_rel(rel):
            return
        target = self.out / rel
        try:
            resolved = target.parent.resolve() / target.name
        except OSError:
            return
        if not is_inside(resolved, self.out.resolve()) or resolved == self.out.resolve():
            return
        if not os.path.lexists(target):
            return
        if target.is_symlink() or not target.is_file() or file_sha(target) != sha:
            self.kept.append(rel)
            return
        try:
            target.unlink()
        except OSError:
            self.kept.append(rel)
            return
        self.deleted.append(rel)
        parent = target.parent
        while parent != self.out and is_inside(parent, self.out):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent
