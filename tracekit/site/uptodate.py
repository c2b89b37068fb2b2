"""Is there anything to do? The decisions a build makes before running anything, and a whole
no-op build that imports nothing beyond the standard library (the command line's fast path)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .journal import dead_journals, leftovers
from .keys import _Imports, _StatCache, environment
from .lock import _Lock
from .manifest import Manifest
from .paths import LOCK_NAME, MANIFEST_NAME, _display
from .plan import _drop_helpers, _files_intact, _in_scope, _Keyed, _keys, _Plan, _plan, _resolve_config
from .report import Reporter, up_to_date_line
from .results import BuildResult, Failure, Outcome


def needs_run(rec: dict | None, keyed: _Keyed, out: Path, stats: _StatCache | None, *, force: bool = False, retry_failed: bool = False) -> bool:
    """Must this example run again, given its manifest record REC?"""
    return (
        force
        or rec is None
        or rec.get("key") != keyed.key
        or rec.get("status") == "skipped"
        or not rec.get("html")  # no page was written (the output folder refused it): try again
        or (retry_failed and rec.get("status") == "failed")
        or not _files_intact(out, rec.get("files") or {}, stats)
    )


def orphans(plan: _Plan, manifest: Manifest) -> list[str]:
    """Examples in the manifest, within the build's scope, that no longer exist."""
    present = set(plan.all_examples)
    return [rel for rel in manifest.examples if _in_scope(rel, plan.scope) and rel not in present]


def site_fresh(plan: _Plan, manifest: Manifest, env: dict, out: Path, stats: _StatCache | None) -> bool:
    """Are the index, book pages and assets what a build would write now for MANIFEST's examples?"""
    from .book_site import site_key

    return bool(
        manifest.site and manifest.index_of == site_key(plan, manifest.examples, env) and _files_intact(out, manifest.site, stats) and manifest.env == env
    )


def cached_outcome(rel: str, display: str, rec: dict) -> Outcome:
    """What a build reports for an example it does not run again: its recorded status and failures."""
    failures = [Failure(f.get("line"), str(f.get("message") or "")) for f in rec.get("failures") or [] if isinstance(f, dict)]
    return Outcome(rel, display, rec.get("status") or "ok", cached=True, hits=rec.get("hits"), failures=failures)


def cached_chapters(manifest: Manifest, display: Callable[[str], str]) -> list[Outcome]:
    """What a build reports for the chapters when the book stage has nothing to do."""
    return [
        Outcome(rel, display(rel), str(r.get("status")), cached=True, failures=[Failure(f.get("line"), str(f.get("message"))) for f in r.get("failures") or []])
        for rel, r in sorted(manifest.chapters.items())
    ]


def report_noop(result: BuildResult, examples: int, reporter: Reporter) -> None:
    """What a build with nothing to do says: that all is up to date, or the failures it still has."""
    if result.failed:
        reporter.summary(result)  # unchanged failures are not run again, but still reported
    else:
        reporter.info(up_to_date_line(examples, result.output))


def noop_build(
    paths: Sequence[str | os.PathLike] = (), output: str | os.PathLike | None = None
) -> tuple[BuildResult, int, list[str], list[str], list[str]] | None:
    """(result, examples, folders and files the answer was read from) when `build PATHS -o
    OUTPUT` with the configured options has nothing to do; None when it has work, or when
    anything is unusual (the full build then decides and reports)."""
    from ..config import find_pyproject
    from .keys import _PACKAGE

    config = _resolve_config(None)
    plan = _plan(config, paths, output, None)
    if not plan.out.is_dir():
        return None
    with _Lock(plan.out / LOCK_NAME):
        manifest = Manifest.load(plan.out)
        if manifest.problem or manifest.loose or dead_journals(plan.out) or leftovers(plan.out):
            return None  # an interrupted build left something: the full build finishes it
        stats = _StatCache.for_output(plan.out)
        try:
            env = environment(stats)
            imports = _Imports(plan.root, manifest.imports)
            _drop_helpers(plan, imports)
            keyed = _keys(plan, env, plan.examples, imports)
            if any(needs_run(manifest.examples.get(rel), keyed[rel], plan.out, stats) for rel in plan.examples):
                return None
            if orphans(plan, manifest) or not site_fresh(plan, manifest, env, plan.out, stats):
                return None
        finally:
            stats.save()
    display = lambda rel: _display(plan.root / rel)  # noqa: E731 - as the build names them
    outcomes = [cached_outcome(rel, display(rel), manifest.examples[rel]) for rel in plan.examples]
    result = BuildResult(plan.out, outcomes + cached_chapters(manifest, display))
    # what this answer was read from: a later identical command may trust their sizes and mtimes
    found = find_pyproject()
    here = Path.cwd().resolve()
    configs = [str(folder / "pyproject.toml") for folder in (here, *here.parents)]
    if found is not None:
        configs = configs[: configs.index(str(found.resolve())) + 1] if str(found.resolve()) in configs else [*configs, str(found)]
    files = [*configs, str(plan.out / MANIFEST_NAME), *(str(plan.out / rel) for rel in manifest.files())]
    # the folders tracekit writes in: a journal or temporary appearing there voids the answer
    clean = sorted({str((plan.out / rel).parent) for rel in manifest.files()} | {str(plan.out)})
    return result, len(plan.examples), [str(plan.root), str(_PACKAGE)], files, clean
