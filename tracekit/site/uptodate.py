"""Is there anything to do? The decisions a build makes before running anything, and a whole
no-op build that imports nothing beyond the standard library (the command line's fast path)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .journal import dead_journals, leftovers
from .keys import Imports, StatCache, environment
from .lock import OutputLock
from .manifest import Manifest, ManifestRecord
from .paths import LOCK_NAME, MANIFEST_NAME
from .plan import Keyed, Plan, drop_helpers, example_keys, files_intact, in_scope, make_plan, resolve_config
from .report import report_noop
from .results import BuildResult, cached_chapters, cached_outcome, noop_result

TYPE_CHECKING = False  # `typing` is not imported at run time: the no-op fast path imports as little as it can
if TYPE_CHECKING:
    from typing import Any

__all__ = ["cached_chapters", "cached_outcome", "needs_run", "noop_build", "orphans", "report_noop", "site_fresh"]


def needs_run(
    rec: ManifestRecord | None,
    keyed: Keyed,
    out: Path,
    stats: StatCache | None,
    *,
    force: bool = False,
    retry_failed: bool = False,
) -> bool:
    """Must this example run again, given its manifest record REC?"""
    return (
        force
        or rec is None
        or rec.key != keyed.key
        or rec.status == "skipped"
        or not rec.html  # no page was written (the output folder refused it): try again
        or (retry_failed and rec.status == "failed")
        or not files_intact(out, rec.files, stats)
    )


def orphans(plan: Plan, manifest: Manifest) -> list[str]:
    """Examples in the manifest, within the build's scope, that no longer exist."""
    present = set(plan.all_examples)
    return [rel for rel in manifest.examples if in_scope(rel, plan.scope) and rel not in present]


def site_fresh(plan: Plan, manifest: Manifest, env: dict[str, Any], out: Path, stats: StatCache | None) -> bool:
    """Are the index, book pages and assets what a build would write now for MANIFEST's examples?"""
    from ..book.site import site_key

    return bool(
        manifest.site
        and manifest.index_of == site_key(plan, manifest.examples, env)
        and files_intact(out, manifest.site, stats)
        and manifest.env == env
    )


def noop_build(
    paths: Sequence[str | os.PathLike[str]] = (), output: str | os.PathLike[str] | None = None
) -> tuple[BuildResult, tuple[str, str, list[str]], list[str], list[str], list[str]] | None:
    """(result, (output folder, examples folder, examples) it was rebuilt from, folders and
    files the answer was read from) when `build PATHS -o OUTPUT` with the configured options has
    nothing to do; None when it has work, or when anything is unusual (the full build then
    decides and reports)."""
    from ..config import find_pyproject
    from .keys import PACKAGE

    config = resolve_config(None)
    plan = make_plan(config, paths, output, None)
    if not plan.out.is_dir():
        return None
    with OutputLock(plan.out / LOCK_NAME):
        manifest = Manifest.load(plan.out)
        if manifest.problem or manifest.loose or dead_journals(plan.out) or leftovers(plan.out):
            return None  # an interrupted build left something: the full build finishes it
        stats = StatCache.for_output(plan.out)
        try:
            env = environment(stats)
            imports = Imports(plan.root, manifest.imports)
            drop_helpers(plan, imports)
            keyed = example_keys(plan, env, plan.examples, imports)
            if any(needs_run(manifest.examples.get(rel), keyed[rel], plan.out, stats) for rel in plan.examples):
                return None
            if orphans(plan, manifest) or not site_fresh(plan, manifest, env, plan.out, stats):
                return None
        finally:
            stats.save()
    result = noop_result(plan.out, plan.root, plan.examples, manifest)
    # what this answer was read from: a later identical command may trust their sizes and mtimes
    found = find_pyproject()
    here = Path.cwd().resolve()
    configs = [str(folder / "pyproject.toml") for folder in (here, *here.parents)]
    if found is not None:
        configs = (
            configs[: configs.index(str(found.resolve())) + 1]
            if str(found.resolve()) in configs
            else [*configs, str(found)]
        )
    files = [*configs, str(plan.out / MANIFEST_NAME), *(str(plan.out / rel) for rel in manifest.files())]
    # the folders tracekit writes in: a journal or temporary appearing there voids the answer
    clean = sorted({str((plan.out / rel).parent) for rel in manifest.files()} | {str(plan.out)})
    source = (str(plan.out), str(plan.root), list(plan.examples))
    return result, source, [str(plan.root), str(PACKAGE)], files, clean
