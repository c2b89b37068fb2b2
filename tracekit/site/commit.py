"""The manifest commit: a build's records merged into the manifest on disk, files no record lists deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..child.jsonio import atomic_write
from .journal import disk_error
from .keys import Imports
from .lock import OutputLock
from .manifest import Manifest, ManifestRecord
from .output import OutputFolder
from .paths import MANIFEST_LOCK_NAME, MANIFEST_NAME


@dataclass
class ManifestCommit:
    """What a build changes in FOLDER's manifest (IMPORTS: names it read; SHARD: ("i/n", its examples) or None)."""

    folder: OutputFolder
    imports: Imports | None = None
    shard: tuple[str, list[str]] | None = None
    updates: dict[str, ManifestRecord | None] = field(default_factory=dict)  # rel → its new record, None: it goes
    unlisted: dict[str, str] = field(default_factory=dict)  # files that may have to go: rel → sha tracekit wrote

    def record(self, rel: str, rec: ManifestRecord, old_files: dict[str, str] | None = None) -> None:
        """REL's record is REC; the files its old record listed (OLD_FILES) and REC does not may go."""
        self.updates[rel] = rec
        for stale_rel, sha in (old_files or {}).items():
            if stale_rel not in rec.files:
                self.unlisted[stale_rel] = sha

    def drop(self, rel: str, files: dict[str, str]) -> None:
        """REL's record goes, and with it the FILES it listed (unless another record lists them)."""
        self.updates[rel] = None
        self.unlisted.update(files)

    def commit(
        self,
        env: dict[str, Any],
        *,
        site: dict[str, str] | None = None,
        index_of: str | None = None,
        chapters: dict[str, dict[str, Any]] | None = None,
    ) -> Manifest:
        """Merge this build's records into the manifest on disk (under the manifest lock)."""
        folder = self.folder
        with folder.writing(), OutputLock(folder.out / MANIFEST_LOCK_NAME, blocking=True):
            current = Manifest.load(folder.out)
            for rel, rec in self.updates.items():
                if rec is None:
                    current.examples.pop(rel, None)
                else:
                    current.examples[rel] = rec
            if site is not None:
                current.site = site
                current.index_of = index_of
                if chapters is not None:
                    current.chapters = chapters
            current.env = env
            if self.shard is not None:
                current.shards[self.shard[0]] = self.shard[1]
            else:  # a whole build or an index: the folder is one site, no longer a shard's
                current.shards = {}
            if self.imports is not None:
                current.imports.update(self.imports.used)
            current.prune_imports()
            # Files no record lists any more go, if they still hold what tracekit wrote (a
            # figure another page shows stays).
            listed = current.files()
            for rel, sha in sorted(self.unlisted.items()):
                if rel not in listed:
                    folder.delete(rel, sha)
            self.unlisted = {}
            # What interrupted builds left: listed now, or rewritten, or (a whole build) gone
            for rel, sha in sorted(current.loose.items()):
                if listed.get(rel) == sha or rel in folder.written:
                    del current.loose[rel]
                elif rel not in listed and self.shard is None:
                    folder.delete(rel, sha)
                    del current.loose[rel]
            data = current.to_bytes()
            path = folder.out / MANIFEST_NAME
            try:
                same = path.read_bytes() == data
            except OSError:
                same = False
            if not same:
                try:
                    atomic_write(path, data)
                except OSError as e:
                    raise disk_error(e, folder.out) from None
            folder.journal.close()  # the manifest lists everything it recorded
            return current
