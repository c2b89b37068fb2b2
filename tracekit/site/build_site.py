"""The build: discover, check caches, run in parallel, write atomically, index."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..book.site import BookStage, chapter_outcomes
from ..config import Config, parse_shard
from ..options import check_build_keywords
from .commit import ManifestCommit
from .execute import BUILD_TOKEN_VAR, Slots, execute_example, kill_children
from .journal import DiskFull
from .keys import Imports, StatCache, environment
from .lock import OutputLock
from .manifest import Manifest
from .output import OutputFolder
from .pages import ExamplePages, StagedAssets
from .paths import LOCK_NAME, display_path
from .plan import Keyed, Plan, drop_helpers, example_keys, make_plan, resolve_config
from .report import Reporter
from .results import BuildError, BuildInterrupted, BuildResult, Failure, Outcome

if TYPE_CHECKING:
    from concurrent.futures import Future
from .uptodate import cached_chapters, cached_outcome, needs_run, report_noop, site_fresh
from .uptodate import orphans as find_orphans

# ─────────────────────────────────────────────────────────────────────────────
# The build
# ─────────────────────────────────────────────────────────────────────────────


def prepare_output(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"cannot create output folder {display_path(out)}: {e.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise BuildError(f"output folder {display_path(out)} is not writable")


def build(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    output: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    jobs: int | None = None,
    force: bool = False,
    fail_fast: bool = False,
    shard: str | tuple[int, int] | None = None,
    index_only: bool = False,
    retry_failed: bool = False,
    rebuild_manifest: bool = False,
    reporter: Reporter | None = None,
    exclude: Sequence[str] | None = None,
    warm: bool | None = None,
    **options: Any,
) -> BuildResult:
    """Build the pages of the examples under PATHS (default: the configured examples folder)
    into OUTPUT. An unchanged example is not run again, whether it passed or failed (its failure
    is reported again); RETRY_FAILED runs the failed ones again; REBUILD_MANIFEST makes a new
    manifest from the files in OUTPUT that are tracekit's by their content. WARM=False runs
    every example in a fresh interpreter (tracekit.warm). OPTIONS: run options a build may set
    (tracekit.options.OPTIONS, e.g. ``timeout=30``; None: the configured one). Raises ConfigError/BuildError
    (exit status 2) and BuildInterrupted (130/143)."""
    reporter = reporter or Reporter()
    check_build_keywords("build", options)
    cfg = resolve_config(config, exclude, jobs=jobs, warm=warm, **options)
    if isinstance(shard, str):
        shard = parse_shard(shard)
    if shard is not None and index_only:
        raise BuildError("--shard and --index-only do not go together")
    plan = make_plan(cfg, paths, output, shard)
    prepare_output(plan.out)
    for path in plan.irregular:
        reporter.warn(f"{display_path(path)} is not a regular file; skipped")
    folder = OutputFolder(plan.out, plan.root, plan.overlap, reporter)
    settings = _Settings(
        force,
        fail_fast,
        cfg.jobs or os.cpu_count() or 1,
        f"{shard[0]}/{shard[1]}" if shard is not None else None,
        retry_failed,
    )

    handlers: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            handlers[signum] = signal.signal(signum, folder.on_signal)
    try:
        with OutputLock(plan.out / LOCK_NAME, shared=shard is not None):
            manifest = folder.reconcile(rebuild_manifest)
            if manifest.problem:
                reporter.warn(manifest.problem)
            stats = StatCache.for_output(plan.out)
            env = environment(stats)
            if index_only:
                book = BookStage(plan, reporter, folder, ManifestCommit(folder), StagedAssets(), stats=stats)
                book.write(manifest, env)
                outcomes = [
                    Outcome(rel, display_path(plan.root / rel), rec.status or "failed", cached=True)
                    for rel, rec in sorted(manifest.examples.items())
                ]
                outcomes += chapter_outcomes(plan.root, book.chapters)
                result = BuildResult(
                    plan.out, outcomes, folder.written, folder.deleted, folder.kept, index_written=True
                )
                reporter.info(f"index of {len(outcomes)} example(s) → {display_path(plan.out / 'index.html')}")
                return result
            try:
                return _build(plan, reporter, folder, stats, manifest, env, settings)
            finally:
                stats.save()
    finally:
        for signum, old in handlers.items():
            signal.signal(signum, old)


@dataclass(frozen=True)
class _Settings:
    """How a build goes: FORCE runs everything, FAIL_FAST stops at the first failure, JOBS runs at once, SHARD ("i/n")
    or None."""

    force: bool
    fail_fast: bool
    jobs: int
    shard: str | None
    retry_failed: bool


def _build(
    plan: Plan,
    reporter: Reporter,
    folder: OutputFolder,
    stats: StatCache,
    manifest: Manifest,
    env: dict[str, Any],
    settings: _Settings,
) -> BuildResult:
    out, sharded = plan.out, settings.shard is not None
    imports = Imports(plan.root, manifest.imports)
    helpers = drop_helpers(plan, imports)
    keyed = example_keys(plan, env, plan.examples, imports)
    todo = [
        rel
        for rel in plan.examples
        if needs_run(
            manifest.examples.get(rel), keyed[rel], out, stats, force=settings.force, retry_failed=settings.retry_failed
        )
    ]
    changes = ManifestCommit(
        folder, imports, (settings.shard, list(plan.examples)) if settings.shard is not None else None
    )
    pages = ExamplePages(plan, reporter, folder, changes)
    orphans = find_orphans(plan, manifest)
    for rel in orphans:
        changes.drop(rel, manifest.examples[rel].files)
    outcomes: dict[str, Outcome] = {}
    for rel in plan.examples:
        if rel not in todo:
            rec = manifest.examples[rel]
            outcomes[rel] = cached_outcome(rel, pages.display(rel), rec)
            reporter.cached(outcomes[rel])
    if helpers and todo:
        reporter.info(f"helper module(s), imported by examples and without prose, get no page: {', '.join(helpers)}")
    reporter.plan(len(todo), len(plan.examples) - len(todo))

    site_ok = (
        (manifest.shards.get(settings.shard) == plan.examples)
        if settings.shard is not None
        else (not settings.force and site_fresh(plan, manifest, env, out, stats))
    )
    if not todo and not orphans and site_ok:
        result = BuildResult(out, [outcomes[rel] for rel in plan.examples] + cached_chapters(manifest, pages.display))
        report_noop(result, len(plan.examples), reporter)
        return result

    interrupted: BuildInterrupted | None = None
    abort: BuildError | None = None
    try:
        if todo:
            abort = _run_all(pages, settings, todo, keyed, manifest, env, outcomes)
            pages.name_found_written()
    except BuildInterrupted as e:
        interrupted = e
    except DiskFull as e:  # what finished before is merged; the rest stays as it was
        abort = e
    # merge what was finished, even when interrupted or aborted
    saved = folder.take_signal()
    merged = changes.commit(env)
    book = BookStage(plan, reporter, folder, changes, pages.assets, pages.made, stats)
    if interrupted is None and abort is None and not sharded:
        try:
            book.write(merged, env)
        except BuildInterrupted as e:
            interrupted = e
    if saved is not None and interrupted is None:
        interrupted = BuildInterrupted(saved)
    if interrupted is not None:
        written = sum(1 for r in folder.written if r.endswith(".html") and r != "index.html")
        raise BuildInterrupted(interrupted.signum, written)
    if abort is not None:
        raise abort
    result = BuildResult(
        out,
        [outcomes[rel] for rel in plan.examples if rel in outcomes] + chapter_outcomes(plan.root, book.chapters),
        folder.written,
        folder.deleted,
        folder.kept,
        index_written=not sharded,
    )
    reporter.summary(result)
    return result


def _run_all(
    pages: ExamplePages,
    settings: _Settings,
    todo: list[str],
    keyed: dict[str, Keyed],
    manifest: Manifest,
    env: dict[str, Any],
    outcomes: dict[str, Outcome],
) -> BuildError | None:
    """Run TODO in parallel, turning each finished run into pages; returns a BuildError that
    should end the build (explicit device unavailable) after what finished is merged."""
    import secrets
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    plan, reporter = pages.plan, pages.reporter
    token = secrets.token_hex(8)
    env_vars = dict(os.environ)
    env_vars[BUILD_TOKEN_VAR] = token
    env_vars.setdefault("PYTHONHASHSEED", "0")  # set and dict orders of str: same on every build
    env_vars.setdefault("SOURCE_DATE_EPOCH", "0")  # tools that stamp files (matplotlib's SVG/PDF) use it
    cancel = threading.Event()
    running: set[str] = set()
    running_lock = threading.Lock()
    abort: BuildError | None = None
    workers = max(1, min(settings.jobs, len(todo)))
    # One example more than the job slots is read and rewritten while the others run, and the
    # pages of one that finished are made while the next runs; never under --fail-fast, where a
    # failure is seen before the next example starts.
    ahead = 0 if settings.fail_fast else 1
    slots = None if settings.fail_fast else Slots(workers)
    pool = ThreadPoolExecutor(max_workers=workers + ahead, thread_name_prefix="tracekit")
    futures: dict[Future[Any], str] = {}
    queue = list(reversed(todo))
    pending: set[Future[Any]] = set()
    sets = _preload_sets(plan, todo)
    prewarm = _prewarm(sets, env_vars)
    pool_key = _pool_key(env_vars) if workers > 1 else ()
    try:
        while queue or pending:
            while queue and len(pending) < workers + ahead and not cancel.is_set():
                # -j 1 keeps the examples' order (and so its messages'); with more slots the order is the runs' anyway
                rel = _pick(queue, sets, pool_key) if workers > 1 else queue.pop()
                turn = None if slots is None else (slots, slots.ticket())
                fut = pool.submit(execute_example, plan, rel, env_vars, cancel, running, running_lock, turn)
                futures[fut] = rel
                pending.add(fut)
            if not pending:
                break
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: futures[f]):
                rel = futures[fut]
                if cancel.is_set():
                    continue
                try:
                    ran = fut.result()
                except Exception as e:  # an internal error: that example fails, the build goes on
                    outcome = Outcome(
                        rel,
                        pages.display(rel),
                        "failed",
                        failures=[Failure(None, f"internal error: {type(e).__name__}: {e}")],
                    )
                    ran = None
                else:
                    if ran is None:
                        continue
                    if ran.kind == "skipped" and "device" in plan.config.explicit and ran.device == plan.config.device:
                        abort = BuildError(f"device {plan.config.device!r} is not available: {ran.message}")
                        cancel.set()
                        _cancel_runs(token)
                        continue
                    outcome = pages.finish(rel, keyed[rel], ran, manifest, env)
                outcomes[rel] = outcome
                reporter.finished(outcome)
                if outcome.status == "failed" and settings.fail_fast:
                    cancel.set()
                    _cancel_runs(token)
            with running_lock:
                names = sorted(running)
            reporter.progress(names)
    except BaseException:
        cancel.set()
        _drain(pool, futures, token)
        raise
    finally:
        if prewarm is not None:  # nothing is left for it to make, or the build is ending
            prewarm[1].set()
            prewarm[0].join()
    _drain(pool, futures, token if cancel.is_set() else None)
    return abort


def _preload_sets(plan: Plan, todo: list[str]) -> dict[str, tuple[str, ...] | None]:
    """The preload set each Python example of TODO will ask a warm parent for (None: it runs cold)."""
    from .. import warm

    preload = plan.config.run_options().preload
    sets: dict[str, tuple[str, ...] | None] = {}
    if not preload or os.environ.get("TRACEKIT_COLD"):
        return sets
    for rel in todo:
        if rel.endswith(".py"):
            try:
                sets[rel] = warm.preload_for((plan.root / rel).read_bytes(), preload)
            except OSError:
                continue
    return sets


def _prewarm(
    sets: dict[str, tuple[str, ...] | None], env_vars: dict[str, str]
) -> tuple[threading.Thread, threading.Event] | None:
    """Start making the warm parents of SETS, in the examples' order; the thread and the event that stops it."""
    from .. import warm
    from ..run import interpreter_flags

    wanted = [names for names in sets.values() if names is not None]
    if not wanted:
        return None
    stop = threading.Event()
    return warm.prewarm(wanted, env_vars, interpreter_flags(), stop), stop


def _pool_key(env_vars: dict[str, str]) -> tuple[Any, ...]:
    """The key of the warm parents this build's runs ask for (tracekit.warm.pool_key)."""
    from .. import warm
    from ..run import interpreter_flags

    return warm.pool_key(env_vars, interpreter_flags())


def _pick(queue: list[str], sets: dict[str, tuple[str, ...] | None], pool: tuple[Any, ...]) -> str:
    """The next example to start, taken from QUEUE (the last is the first in order): the first whose warm
    parent in POOL (``warm.pool_key``) is ready or that needs none, so that a slot runs numpy's examples while
    torch is imported; else the first."""
    from .. import warm

    for i in range(len(queue) - 1, -1, -1):
        names = sets.get(queue[i])
        if names is None or warm.ready(names, pool):
            return queue.pop(i)
    return queue.pop()


def _drain(pool: Any, futures: dict[Future[Any], str], token: str | None) -> None:
    """Cancel what has not started; with TOKEN, kill the children still running (again and again,
    so that one a worker was just starting dies too) until every worker has returned."""
    from concurrent.futures import wait

    pool.shutdown(wait=False, cancel_futures=True)
    pending = {f for f in futures if not f.done()}
    while pending:
        if token is not None:
            _cancel_runs(token)
        _, pending = wait(pending, timeout=0.1)
    pool.shutdown(wait=True)


def _cancel_runs(token: str) -> None:
    """End the runs in flight: the supervisors this build started (TOKEN) and those forked by warm
    parents, which an earlier build of this process may have started (`tracekit serve`)."""
    from .. import warm

    kill_children(token)
    warm.cancel_all()
