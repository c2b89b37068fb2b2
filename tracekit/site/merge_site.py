"""Merge: the output folders of sharded builds (`build --shard i/n`) become one site.

Each shard's manifest names the examples that shard built (`shards`: "i/n" → examples). Merge
takes each example's record and files from the shard that built it, refuses shards that do not
fit together, then writes the index and assets as `build --index-only` does. It runs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from .book_site import chapter_outcomes
from .build_site import _prepare_output
from .keys import _file_sha, _Imports, environment
from .lock import _Lock
from .manifest import Manifest
from .pages import _Builder
from .paths import LOCK_NAME, MANIFEST_NAME, _display, _is_inside
from .plan import _drop_helpers, _in_scope, _plan, _resolve_config
from .report import Reporter
from .results import BuildError, BuildResult
from .uptodate import cached_outcome


@dataclass(eq=False)
class _Shard:
    """One shard's output folder: its manifest and the examples it built."""

    folder: Path
    manifest: Manifest
    names: list[str] = field(default_factory=list)  # "i/n" of the shards built into it
    built: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return _display(self.folder)


def _load_shard(folder: Path) -> _Shard:
    if not folder.is_dir():
        raise BuildError(f"shard {_display(folder)}: no such folder")
    if not (folder / MANIFEST_NAME).is_file():
        raise BuildError(f"shard {_display(folder)} has no {MANIFEST_NAME}: not the output of `tracekit build`")
    manifest = Manifest.load(folder)
    if manifest.problem:
        raise BuildError(f"shard {_display(folder)}: {manifest.problem}")
    shard = _Shard(folder, manifest)
    if manifest.shards:
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
            counts.add(int(name.split("/")[1]))
    if len(counts) > 1:
        raise BuildError(f"shards of different splits: {', '.join(sorted(seen))}")
    if counts:
        (n,) = counts
        missing = [f"{i}/{n}" for i in range(1, n + 1) if f"{i}/{n}" not in seen]
        if missing:
            raise BuildError(f"shard(s) {', '.join(missing)} missing: give every shard's output folder")


def _same_env(shards: list[_Shard]) -> dict:
    first = shards[0]
    for shard in shards[1:]:
        a, b = first.manifest.env, shard.manifest.env
        if a != b:
            diffs = [
                "tracekit's own files differ" if k == "tool" else f"{k} {a.get(k)} in {first.display}, {b.get(k)} in {shard.display}"
                for k in sorted(set(a) | set(b))
                if a.get(k) != b.get(k)
            ]
            raise BuildError(f"shards {first.display} and {shard.display} were built in different environments: {'; '.join(diffs)}")
    return dict(first.manifest.env)


def _verified(shard: _Shard, rel: str) -> dict:
    rec = shard.manifest.examples.get(rel)
    if rec is None:
        raise BuildError(f"shard {shard.display} built {rel} but its manifest has no record of it")
    for file_rel, sha in sorted((rec.get("files") or {}).items()):
        on_disk = _file_sha(shard.folder / file_rel)
        if on_disk is None:
            raise BuildError(f"{_display(shard.folder / file_rel)} is missing (listed in the manifest of shard {shard.display})")
        if on_disk != sha:
            raise BuildError(f"{_display(shard.folder / file_rel)} changed since tracekit wrote it (edited by hand?)")
    return rec


def merge(
    shard_dirs: Sequence[str | os.PathLike],
    *,
    output: str | os.PathLike | None = None,
    paths: Sequence[str | os.PathLike] = (),
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
    cfg = _resolve_config(config, exclude)
    plan = _plan(cfg, paths, output, None)
    folders = [Path(d).expanduser().resolve() for d in shard_dirs]
    for folder in folders:
        if folder == plan.out or _is_inside(plan.out, folder) or _is_inside(folder, plan.out):
            raise BuildError(f"the output folder {_display(plan.out)} and shard {_display(folder)} overlap: merge into a folder of its own")
    shards = [_load_shard(f) for f in folders]
    _check_shard_names(shards)
    env = _same_env(shards)

    imports = _Imports(plan.root)
    for shard in shards:
        imports.known.update(shard.manifest.imports)
    _drop_helpers(plan, imports)
    wanted = set(plan.all_examples)

    records: dict[str, dict] = {}
    source: dict[str, _Shard] = {}
    for shard in shards:
        for rel in shard.built:
            if not _in_scope(rel, plan.scope):
                continue
            if rel not in wanted:
                raise BuildError(f"shard {shard.display} built {rel}, which is not an example under {_display(plan.root)}")
            rec = _verified(shard, rel)
            if rel in records:
                other = records[rel]
                if other.get("key") != rec.get("key") or _data_files(other) != _data_files(rec):
                    raise BuildError(f"{rel} was built differently by shards {source[rel].display} and {shard.display} (different keys or pages)")
                continue
            records[rel] = rec
            source[rel] = shard
    missing = sorted(wanted - set(records))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise BuildError(f"no shard built {shown}: a shard is missing or was built with other paths")
    if env.get("tool") != environment().get("tool") or env.get("tracekit") != environment().get("tracekit"):
        reporter.warn("the shards were built by another version of tracekit than this one: `tracekit check` will call the index stale")

    _prepare_output(plan.out)
    builder = _Builder(plan, reporter, force=False, fail_fast=False, jobs=1)
    with _Lock(plan.out / LOCK_NAME):
        old = builder.reconcile()  # what an interrupted build or merge left is finished first
        if old.problem:
            raise BuildError(f"{_display(plan.out)}: {old.problem}")
        old_files = old.files()

        def fresh(rel: str, file_rel: str, sha: str) -> bool:
            """OUT/FILE_REL is the shard's file, or the page the book stage made of it last time."""
            disk = _file_sha(plan.out / file_rel)
            before = old.examples.get(rel) or {}
            return disk == sha or (disk is not None and before.get("key") == records[rel].get("key") and (before.get("files") or {}).get(file_rel) == disk)

        copies = [
            (file_rel, source[rel].folder / file_rel)
            for rel in sorted(records)
            for file_rel, sha in sorted((records[rel].get("files") or {}).items())
            if not fresh(rel, file_rel, sha)
        ]
        blocked = [file_rel for file_rel, _ in copies if not builder.may_write(file_rel, old_files)]
        if blocked:  # checked before anything is written
            raise BuildError(f"refusing to overwrite {_display(plan.out / blocked[0])}, which tracekit did not write")
        for file_rel, src in copies:
            builder.write(file_rel, src.read_bytes())
        for rel in sorted(records):
            builder.updates[rel] = records[rel]
            for stale_rel, sha in ((old.examples.get(rel) or {}).get("files") or {}).items():
                if stale_rel not in (records[rel].get("files") or {}):
                    builder.unlisted[stale_rel] = sha
        for rel, rec in old.examples.items():
            if rel not in records:
                builder.updates[rel] = None
                builder.unlisted.update(rec.get("files") or {})
        builder.imports = imports
        imports.used = {sha: names for shard in shards for sha, names in shard.manifest.imports.items()}
        merged = builder.commit(env)
        site, index_of = builder.write_site(merged, env)
        builder.commit(env, site=site, index_of=index_of)
    outcomes = [cached_outcome(rel, builder.display(rel), records[rel]) for rel in sorted(records)]
    outcomes += chapter_outcomes(plan.root, builder.chapter_results)  # chapters are written here, not in the shards
    result = BuildResult(plan.out, outcomes, builder.written, builder.deleted, builder.kept, index_written=True)
    reporter.info(f"{len(outcomes)} example(s) from {len(shards)} shard(s) → {_display(plan.out)}")
    for outcome in result.failed:
        for line in outcome.lines():
            reporter.warn(line)
    return result


def _data_files(rec: dict[str, Any]) -> dict[str, str]:
    """A record's files but its HTML page, which the book stage renders again with its navigation."""
    return {k: v for k, v in (rec.get("files") or {}).items() if not k.endswith(".html")}
