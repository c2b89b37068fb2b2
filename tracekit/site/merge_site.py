"""Merge: the output folders of sharded builds (`build --shard i/n`) become one site.

Each shard's manifest names the examples that shard built (`shards`: "i/n" → examples). Merge
takes each example's record and files from the shard that built it, refuses shards that do not
fit together, then writes the index and assets as `build --index-only` does. It runs nothing.

A shard is read as untrusted input: a file it lists is copied only when it is one the example
produces (its page, its JSON and the figures that JSON names, named by their hash), is a regular
file of the shard (no FIFO, device or link out of it; `files.read_checked`) under the size cap,
and no other shard lists the same name with other bytes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..book.site import BookStage, chapter_outcomes
from ..config import Config, ConfigError, parse_shard
from .build_site import prepare_output
from .commit import ManifestCommit
from .files import Refused, file_sha, read_checked, refusal
from .keys import Imports, environment, sha256_hex
from .lock import OutputLock
from .manifest import Manifest, ManifestRecord
from .output import OutputFolder
from .pages import StagedAssets
from .paths import FIGURES_DIR, LOCK_NAME, MANIFEST_NAME, display_path, is_inside, page_paths
from .plan import drop_helpers, in_scope, make_plan, resolve_config
from .report import Reporter
from .results import BuildError, BuildResult
from .uptodate import cached_outcome

#: the most tracekit reads of one file of a shard (pages and their JSON are bounded far below it)
MAX_SHARD_FILE_BYTES = 64 * 1024 * 1024
_FIGURE_NAME = re.compile(r"[0-9a-f]{16}\.png")


@dataclass(eq=False)
class _Shard:
    """One shard's output folder: its manifest and the examples it built."""

    folder: Path
    manifest: Manifest
    names: list[str] = field(default_factory=list)  # "i/n" of the shards built into it
    built: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return display_path(self.folder)


def _load_shard(folder: Path) -> _Shard:
    if not folder.is_dir():
        raise BuildError(f"shard {display_path(folder)}: no such folder")
    if not (folder / MANIFEST_NAME).is_file():
        raise BuildError(f"shard {display_path(folder)} has no {MANIFEST_NAME}: not the output of `tracekit build`")
    manifest = Manifest.load(folder)
    if manifest.problem:
        raise BuildError(f"shard {display_path(folder)}: {manifest.problem}")
    shard = _Shard(folder, manifest)
    if manifest.shards:
        for name in manifest.shards:
            try:
                parse_shard(name)
            except ConfigError:
                raise BuildError(
                    f"shard {shard.display}: its manifest names a shard {name!r}, which is not I/N (1 <= I <= N)"
                ) from None
        shard.names = sorted(manifest.shards)
        shard.built = sorted({rel for rels in manifest.shards.values() for rel in rels})
    else:  # the output of a whole build: it built every example it lists
        shard.built = sorted(manifest.examples)
    return shard


def _check_shard_names(shards: list[_Shard]) -> None:
    """Every `i/n` of one n is there, once; a whole build's folder needs no company."""
    seen: dict[str, _Shard] = {}
    counts: set[int] = set()
    for shard in shards:
        for name in shard.names:
            if name in seen:
                raise BuildError(f"shard {name} is in both {seen[name].display} and {shard.display}")
            seen[name] = shard
            counts.add(parse_shard(name)[1])
    if len(counts) > 1:
        raise BuildError(f"shards of different splits: {', '.join(sorted(seen))}")
    if counts:
        (n,) = counts
        missing = [f"{i}/{n}" for i in range(1, n + 1) if f"{i}/{n}" not in seen]
        if missing:
            raise BuildError(f"shard(s) {', '.join(missing)} missing: give every shard's output folder")


def _same_env(shards: list[_Shard]) -> dict[str, Any]:
    first = shards[0]
    for shard in shards[1:]:
        a, b = first.manifest.env, shard.manifest.env
        if a != b:
            diffs = [
                "tracekit's own files differ"
                if k == "tool"
                else f"{k} {a.get(k)} in {first.display}, {b.get(k)} in {shard.display}"
                for k in sorted(set(a) | set(b))
                if a.get(k) != b.get(k)
            ]
            raise BuildError(
                f"shards {first.display} and {shard.display} were built in different environments: {'; '.join(diffs)}"
            )
    return dict(first.manifest.env)


def _verified(shard: _Shard, rel: str) -> ManifestRecord:
    rec = shard.manifest.examples.get(rel)
    if rec is None:
        raise BuildError(f"shard {shard.display} built {rel} but its manifest has no record of it")
    files = rec.files
    for file_rel, sha in sorted(files.items()):
        path = shard.folder / file_rel
        if not os.path.lexists(path):
            raise BuildError(f"{display_path(path)} is missing (listed in the manifest of shard {shard.display})")
        why = refusal(path, shard.folder, MAX_SHARD_FILE_BYTES)
        if why is not None:
            raise BuildError(f"{display_path(path)} {why} (listed in the manifest of shard {shard.display})")
        if file_sha(path) != sha:
            raise BuildError(f"{display_path(path)} changed since tracekit wrote it (edited by hand?)")
    extra = sorted(set(files) - _produced(shard, rel, files))
    if extra:
        raise BuildError(
            f"shard {shard.display} lists {extra[0]} for {rel}, which is not a file {rel} produces: refused"
        )
    return rec


def _produced(shard: _Shard, rel: str, files: dict[str, str]) -> set[str]:
    """What REL's record in SHARD may list: its page, its JSON, and the figures that JSON names
    whose bytes have that name (a figure is named by the sha256 of its bytes)."""
    html_rel, json_rel = page_paths(rel)
    if json_rel not in files:
        return {html_rel}
    try:
        data = json.loads(read_checked(shard.folder / json_rel, shard.folder, MAX_SHARD_FILE_BYTES))
    except (Refused, ValueError):
        return {html_rel, json_rel}
    named = {f"{FIGURES_DIR}/{name}" for name in _figure_names(data)}
    return {html_rel, json_rel} | {
        f for f in named if f in files and files[f].startswith(f[len(FIGURES_DIR) + 1 : -len(".png")])
    }


def _figure_names(data: Any) -> set[str]:
    """The figure files a page JSON names (`"file": "<16 hex>.png"` of its figures and images)."""
    found: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("file")
            if isinstance(name, str) and _FIGURE_NAME.fullmatch(name):
                found.add(name)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def merge(
    shard_dirs: Sequence[str | os.PathLike[str]],
    *,
    output: str | os.PathLike[str] | None = None,
    paths: Sequence[str | os.PathLike[str]] = (),
    config: Config | None = None,
    exclude: Sequence[str] | None = None,
    reporter: Reporter | None = None,
) -> BuildResult:
    """Merge the output folders SHARD_DIRS of sharded builds into OUTPUT, with its index.

    Raises BuildError (exit status 2), changing nothing, when the shards do not fit together: an
    example two shards built differently, shards built in different environments, a shard
    missing (an example under PATHS that no shard built), or a listed file missing or edited.
    """
    reporter = reporter or Reporter()
    if not shard_dirs:
        raise BuildError("no shard folders given")
    cfg = resolve_config(config, exclude)
    plan = make_plan(cfg, paths, output, None)
    folders = [Path(d).expanduser().resolve() for d in shard_dirs]
    for folder in folders:
        if folder == plan.out or is_inside(plan.out, folder) or is_inside(folder, plan.out):
            raise BuildError(
                f"the output folder {display_path(plan.out)} and shard {display_path(folder)} overlap: merge into a "
                f"folder of its own"
            )
    shards = [_load_shard(f) for f in folders]
    _check_shard_names(shards)
    env = _same_env(shards)

    imports = Imports(plan.root)
    for shard in shards:
        imports.known.update(shard.manifest.imports)
    drop_helpers(plan, imports)
    wanted = set(plan.all_examples)

    records: dict[str, ManifestRecord] = {}
    source: dict[str, _Shard] = {}
    owners: dict[str, tuple[str, _Shard]] = {}  # file → (its sha, the shard it comes from)
    for shard in shards:
        for rel in shard.built:
            if not in_scope(rel, plan.scope):
                continue
            if rel not in wanted:
                raise BuildError(
                    f"shard {shard.display} built {rel}, which is not an example under {display_path(plan.root)}"
                )
            rec = _verified(shard, rel)
            if rel in records:
                other = records[rel]
                if other.key != rec.key or _data_files(other) != _data_files(rec):
                    raise BuildError(
                        f"{rel} was built differently by shards {source[rel].display} and {shard.display} (different "
                        f"keys or pages)"
                    )
                continue
            for file_rel, sha in rec.files.items():
                first = owners.setdefault(file_rel, (sha, shard))
                if first[0] != sha:
                    raise BuildError(
                        f"shards {first[1].display} and {shard.display} both list {file_rel}, with other bytes: refused"
                    )
            records[rel] = rec
            source[rel] = shard
    missing = sorted(wanted - set(records))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise BuildError(f"no shard built {shown}: a shard is missing or was built with other paths")
    if env.get("tool") != environment().get("tool") or env.get("tracekit") != environment().get("tracekit"):
        reporter.warn(
            "the shards were built by another version of tracekit than this one: `tracekit check` will call the index "
            "stale"
        )

    prepare_output(plan.out)
    out = OutputFolder(plan.out, plan.root, plan.overlap, reporter)
    with OutputLock(plan.out / LOCK_NAME):
        old = out.reconcile()  # what an interrupted build or merge left is finished first
        if old.problem:
            raise BuildError(f"{display_path(plan.out)}: {old.problem}")
        old_files = old.files()

        def fresh(rel: str, file_rel: str, sha: str) -> bool:
            """OUT/FILE_REL is the shard's file, or the page the book stage made of it last time."""
            disk = file_sha(plan.out / file_rel)
            before = old.examples.get(rel)
            return disk == sha or (
                disk is not None
                and before is not None
                and before.key == records[rel].key
                and before.files.get(file_rel) == disk
            )

        copies = [
            (file_rel, source[rel].folder)
            for rel in sorted(records)
            for file_rel, sha in sorted(records[rel].files.items())
            if not fresh(rel, file_rel, sha)
        ]
        records_sha = {file_rel: sha for rec in records.values() for file_rel, sha in rec.files.items()}
        blocked = [file_rel for file_rel, _ in copies if not out.may_write(file_rel, old_files)]
        if blocked:  # checked before anything is written
            raise BuildError(
                f"refusing to overwrite {display_path(plan.out / blocked[0])}, which tracekit did not write"
            )
        for file_rel, folder in copies:
            try:  # checked again as it is read: it may have been swapped since it was hashed
                data = read_checked(folder / file_rel, folder, MAX_SHARD_FILE_BYTES)
            except Refused as e:
                raise BuildError(f"{display_path(folder / file_rel)} {e}") from None
            if sha256_hex(data) != records_sha[file_rel]:
                raise BuildError(f"{display_path(folder / file_rel)} changed since tracekit wrote it (edited by hand?)")
            out.write(file_rel, data)
        changes = ManifestCommit(out, imports)
        for rel in sorted(records):
            before = old.examples.get(rel)
            changes.record(rel, records[rel], before.files if before is not None else None)
        for rel, rec in old.examples.items():
            if rel not in records:
                changes.drop(rel, rec.files)
        imports.used = {sha: names for shard in shards for sha, names in shard.manifest.imports.items()}
        merged = changes.commit(env)
        book = BookStage(plan, reporter, out, changes, StagedAssets())
        book.write(merged, env)
    outcomes = [cached_outcome(rel, display_path(plan.root / rel), records[rel]) for rel in sorted(records)]
    outcomes += chapter_outcomes(plan.root, book.chapters)  # chapters are written here, not in the shards
    result = BuildResult(plan.out, outcomes, out.written, out.deleted, out.kept, index_written=True)
    reporter.info(f"{len(outcomes)} example(s) from {len(shards)} shard(s) → {display_path(plan.out)}")
    for outcome in result.failed:
        for line in outcome.lines():
            reporter.warn(line)
    return result


def _data_files(rec: ManifestRecord) -> dict[str, str]:
    """A record's files but its HTML page, which the book stage renders again with its navigation."""
    return {k: v for k, v in rec.files.items() if not k.endswith(".html")}
