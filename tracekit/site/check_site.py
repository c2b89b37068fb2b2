"""Check: is the committed site what a build would write now?"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..book.site import book_key, chapter_html, find_book_inputs, read_chapters
from ..config import Config
from ..options import check_build_keywords
from .files import file_sha
from .journal import dead_journals, leftovers
from .keys import Imports, environment
from .lock import OutputLock
from .manifest import FailureRecord, Manifest, ManifestRecord
from .paths import LOCK_NAME, MANIFEST_NAME, display_path, page_paths, visible
from .plan import Keyed, drop_helpers, example_keys, in_scope, make_plan, resolve_config
from .results import CheckResult, Problem

# ─────────────────────────────────────────────────────────────────────────────
# Check
# ─────────────────────────────────────────────────────────────────────────────


def check(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    output: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    exclude: Sequence[str] | None = None,
    **options: Any,
) -> CheckResult:
    """Is every page in OUTPUT what a build would write now, and does every example pass?
    Runs nothing: compares cache keys, and the files on disk with the manifest's hashes.
    OPTIONS: the run options of the build it checks against, as `build` takes them."""
    check_build_keywords("check", options)
    cfg = resolve_config(config, exclude, **options)
    plan = make_plan(cfg, paths, output, None)
    out = plan.out
    problems: list[Problem] = []
    notes: list[str] = []
    with OutputLock(out / LOCK_NAME, shared=True, create=False):
        manifest = Manifest.load(out)
        if manifest.problem:
            problems.append(Problem("stale", display_path(out / MANIFEST_NAME), manifest.problem))
        problems += _leftovers(out, manifest)
        env = environment()
        imports = Imports(plan.root, manifest.imports)
        drop_helpers(plan, imports)
        keyed = example_keys(plan, env, plan.examples, imports)
        for rel in plan.examples:
            k = keyed[rel]
            display = display_path(plan.root / rel)
            rec = manifest.examples.get(rel)
            if rec is None:
                html = display_path(out / page_paths(rel)[0])
                problems.append(Problem("missing", html, f"no page for {display}; run `tracekit build`"))
                continue
            if rec.key != k.key:
                problems.append(Problem("stale", display, _stale_reason(rec, k, manifest.env, env)))
                continue
            bad_file = False
            for file_rel, sha in sorted(rec.files.items()):
                on_disk = file_sha(out / file_rel)
                if on_disk is None:
                    problems.append(Problem("missing", display_path(out / file_rel), f"page of {display} is missing"))
                    bad_file = True
                elif on_disk != sha:
                    problems.append(
                        Problem(
                            "stale", display_path(out / file_rel), "changed since tracekit wrote it (edited by hand?)"
                        )
                    )
                    bad_file = True
            status = rec.status
            if status == "failed":
                failures: list[FailureRecord] = rec.failures or [{"line": None, "message": "failed"}]
                for fr in failures:
                    where = f"{display}:{fr['line']}" if fr["line"] else display
                    problems.append(Problem("failing", where, (fr["message"] or "failed").splitlines()[0]))
            elif status == "skipped":
                notes.append(f"{display}: skipped (its device is not available here)")
            elif not bad_file and status not in ("ok", "expected error"):
                problems.append(Problem("failing", display, f"status {status!r}"))
        for rel in sorted(manifest.examples):
            if in_scope(rel, plan.scope) and rel not in set(plan.all_examples):
                files = sorted(manifest.examples[rel].files)
                shown = ", ".join(display_path(out / f) for f in files) or "(no files)"
                problems.append(
                    Problem("orphaned", shown, f"its example {display_path(plan.root / rel)} no longer exists")
                )
        if not manifest.site:
            problems.append(
                Problem(
                    "missing",
                    display_path(out / "index.html"),
                    "no index; run `tracekit build` (or `tracekit build --index-only`)",
                )
            )
        else:
            for file_rel, sha in sorted(manifest.site.items()):
                on_disk = file_sha(out / file_rel)
                if on_disk is None:
                    problems.append(Problem("missing", display_path(out / file_rel), "part of the site is missing"))
                elif on_disk != sha:
                    problems.append(
                        Problem(
                            "stale", display_path(out / file_rel), "changed since tracekit wrote it (edited by hand?)"
                        )
                    )
            inputs = find_book_inputs(plan.root, plan.config, out)
            now = {
                rel: dataclasses.replace(rec, key=keyed[rel].key) if rel in keyed else rec
                for rel, rec in manifest.examples.items()
            }
            chapters = read_chapters(inputs, now, env)  # with the examples' keys as they are now
            for rel, res in sorted(chapters.items()):
                display = display_path(plan.root / rel)
                chapter_rec = manifest.chapters.get(rel)
                if chapter_rec is None:
                    problems.append(
                        Problem(
                            "missing",
                            display_path(out / chapter_html(rel)),
                            f"no page for the chapter {display}; run `tracekit build`",
                        )
                    )
                elif chapter_rec.get("key") != res.key:
                    problems.append(
                        Problem(
                            "stale", display, "the chapter or an example it embeds changed since its page was built"
                        )
                    )
                for f in res.failures:
                    problems.append(Problem("failing", f"{display}:{f.line}" if f.line else display, f.message))
            for rel in sorted(set(manifest.chapters) - set(chapters)):
                problems.append(
                    Problem(
                        "orphaned",
                        display_path(out / chapter_html(rel)),
                        f"its chapter {display_path(plan.root / rel)} no longer exists",
                    )
                )
            if (
                manifest.index_of != book_key(manifest.examples, inputs, plan.config, env)
                or manifest.env.get("tool") != env["tool"]
            ):
                problems.append(
                    Problem(
                        "stale",
                        display_path(out / "index.html"),
                        "the table of contents or the pages' navigation are not those of the book as it is now; run "
                        "`tracekit build`",
                    )
                )
    return CheckResult(out, len(plan.examples), problems, notes)


def _leftovers(out: Path, manifest: Manifest) -> list[Problem]:
    """What interrupted builds left in OUT: journals, temporaries, files no record lists."""
    found = [
        Problem("leftover", display_path(j), "journal of an interrupted build; the next build finishes its files")
        for j in dead_journals(out)
    ]
    found += [
        Problem("leftover", display_path(t), "temporary file of an interrupted build; the next build removes it")
        for t in leftovers(out)
    ]
    listed = manifest.files()
    for rel in sorted(manifest.loose):
        if rel not in listed:
            found.append(
                Problem(
                    "leftover",
                    display_path(out / rel),
                    "written by an interrupted build and no page's; the next build removes it",
                )
            )
    return found


def _stale_reason(rec: ManifestRecord, k: Keyed, old_env: dict[str, Any], env: dict[str, Any]) -> str:
    if rec.source != k.source:
        return "the example changed since its page was built"
    old_deps = rec.deps
    changed = sorted(set(old_deps) ^ set(k.deps) | {d for d in k.deps if old_deps.get(d) not in (None, k.deps[d])})
    if changed:
        return f"its local module(s) {', '.join(changed)} changed since its page was built"
    diffs = [
        f"{name} {old_env.get(name)} → {env.get(name)}"
        for name in ("tracekit", "python", "torch", "numpy")
        if old_env.get(name) != env.get(name)
    ]
    if old_env.get("tool") != env.get("tool") and not diffs:
        diffs.append("tracekit's own files changed")
    if diffs:
        return "built with " + ", ".join(diffs)
    return "built with other options (seed, hits, device, timeout, memory or max_output)"


def report(
    result: CheckResult, *, quiet: bool = False, verbose: int = 0, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print RESULT as `tracekit check` does (problems on stdout, the verdict on stderr); return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not quiet:
        for problem in result.problems:
            print(visible(str(problem), newlines=False), file=out)
        if verbose:
            for note in result.notes:
                print(visible(f"note: {note}", newlines=False), file=out)
    if result.problems:
        kinds: dict[str, int] = {}
        for problem in result.problems:
            kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        hint = "; run `tracekit build`" if set(kinds) - {"failing"} else "; fix the failing examples"
        out.flush()
        print(f"tracekit: check failed for {display_path(result.output)}: {summary}{hint}", file=err)
        return 1
    if not quiet:
        print(f"{result.examples} example(s): every page in {display_path(result.output)} is up to date", file=out)
    return 0
