"""Turning a run into pages: classify, render and write one example's files."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from ..child.jsonio import atomic_write, dumps
from ..child.protocol import AUTHOR_REASONS, DEFAULT_HITS, error_record, meta_record, trace_record
from ..child.version import __version__
from ..prose import title_from_name
from ..trace import ErrorInfo, Trace
from .execute import Ran
from .files import file_sha
from .journal import Journal, disk_error, recognised, reconcile
from .keys import Imports, StatCache, sha256_hex
from .lock import OutputLock
from .manifest import FailureRecord, Manifest, ManifestRecord, safe_rel
from .paths import FIGURES_DIR, MANIFEST_LOCK_NAME, MANIFEST_NAME, display_path, is_inside, page_paths
from .plan import Keyed, Plan, keyed_options
from .report import Reporter
from .results import BuildError, BuildInterrupted, Failure, Outcome

MAX_WRITTEN_NAMED = 10  # files an example wrote, named one a line; the rest are counted

# ─────────────────────────────────────────────────────────────────────────────
# Turning a run into pages
# ─────────────────────────────────────────────────────────────────────────────


def classify(example: Any, trace: Trace) -> tuple[str, list[Failure]]:
    from ..render import page_status

    status = page_status(example, trace)
    failures: list[Failure] = []
    if status == "failed":
        err = trace.error or ErrorInfo("", "", reason="")
        kind = trace.status
        message = err.message.strip()
        first = message.splitlines()[0] if message else ""
        if kind == "timeout":
            text = first or "timed out"
        elif kind == "crashed":
            text = f"crashed: {first}" if first else "crashed"
        elif kind == "limit":
            text = f"over a limit: {first}" if first else "over a limit"
        else:
            etype = err.type or "error"
            text = f"{etype}: {first}" if first else etype
            if kind == "error" and err.reason not in AUTHOR_REASONS:
                text += " (unexpected exception; mark the line `# tracekit: raises=" + etype.rsplit(".", 1)[-1] + "` if it is meant to raise)"
        if err.reason != "placeholder" or not trace.placeholder_errors:  # else listed below, each once
            failures.append(Failure(err.line, text))
    for pe in trace.placeholder_errors:
        failures.append(Failure(pe.get("line"), f"placeholder {{{pe.get('placeholder')}}} failed: {pe.get('error')}"))
    if failures:
        status = "failed"
    return status, failures


def with_variants(rel: str, example: Any, trace: Trace, variants: Any, key: str) -> list[Failure]:
    """Put every run of a varied example in TRACE (``variants``); the failures of the runs but the default's."""
    from ..variants import SHARED, record, variant_key

    varied, runs = variants
    failures: list[Failure] = []
    read: list[tuple[Any, dict[str, Any]]] = []
    for variant, result in runs:
        if variant.default:
            read.append((variant, {}))  # the page's own trace: record() keeps none of it
            continue
        other = readable_trace(rel, result.trace)
        read.append((variant, other.to_dict()))
        # as the page shows it: with the keys every run shares taken from the page's own trace
        trace.runs[variant_key(key, variant)] = dataclasses.replace(other, **{k: getattr(trace, k) for k in SHARED})
        for f in classify(example, other)[1]:
            failures.append(Failure(f.line, f"with {variant.label.replace('&', ', ')}: {f.message}"))
    trace.variants = record(varied, read, key)
    return failures


def readable_trace(rel: str, trace: Trace) -> Trace:
    """The run's trace (read and checked once, by trace_file) as its page names it: by REL."""
    return dataclasses.replace(trace, source=dataclasses.replace(trace.source, path=rel), runs={})


def _unreadable_trace(rel: str, trace: Trace, message: str) -> Trace:
    """A failed run's trace that keeps what is safe to show of TRACE (its output) and says why."""
    meta = meta_record(tracekit=__version__, seed=None, hits=DEFAULT_HITS, timeout=None, device=None)
    return Trace.from_dict(
        trace_record(
            meta=meta,
            source={"path": rel, "sha256": "0" * 64},
            status="crashed",
            exit_status=trace.exit_status,
            error=error_record("TraceError", message, reason="trace"),
            stdout=trace.stdout,
            stderr=trace.stderr,
        )
    )


def authoring_page(rel: str, path: Path, error: Any, env: dict[str, Any], options: dict[str, Any]) -> tuple[Any, Trace]:
    """An Example and a trace that render as the failure page of an example tracekit could not read."""
    from ..source import Example, ListingLine, peek_docstring

    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    title, intro, doc_end = peek_docstring(text, PurePosixPath(rel).stem)
    lines = text.splitlines()
    shown = [(n, line.rstrip()) for n, line in enumerate(lines, 1) if n > doc_end]
    while shown and not shown[0][1].strip():
        shown.pop(0)
    listing = [ListingLine(number, n, line) for number, (n, line) in enumerate(shown, 1)]
    example = Example(path=rel, title=title or rel, intro=intro, options={}, listing=listing, items=[], probes={})
    meta = meta_record(
        tracekit=__version__, seed=options.get("seed"), hits=options.get("hits") or DEFAULT_HITS, timeout=options.get("timeout"), device=options.get("device")
    )
    trace = trace_record(
        meta=meta,
        source={"path": rel, "sha256": sha256_hex(data)},
        status="error",
        exit_status=1,
        error=error_record("AuthoringError", getattr(error, "message", str(error)), line=getattr(error, "line", None), reason="authoring"),
    )
    return example, Trace.from_dict(trace)


def _pageless_record(keyed: Keyed, status: str, hits: int | None, failures: list[FailureRecord], files: dict[str, str]) -> ManifestRecord:
    """The manifest record of an example that has no page (skipped, or refused a place to write)."""
    title = title_from_name(PurePosixPath(keyed.rel).stem)
    return ManifestRecord(keyed.key, keyed.source, keyed.deps, status, title, "", None, hits, failures, files)


class Builder:
    def __init__(self, plan: Plan, reporter: Reporter, *, force: bool, fail_fast: bool, jobs: int) -> None:
        self.plan = plan
        self.out = plan.out
        # files found changed in an example's folder, not written through Python by it: named
        # at the end of the runs, when every example's own files are known
        self.found_written: dict[str, list[str]] = {}
        self.claimed_written: set[str] = set()
        self.reporter = reporter
        self.force = force
        self.fail_fast = fail_fast
        self.jobs = jobs
        self.updates: dict[str, ManifestRecord | None] = {}
        self.written: list[str] = []
        self.deleted: list[str] = []
        self.kept: list[str] = []
        self.signal: int | None = None
        self.critical = 0
        self.assets: dict[str, str] | None = None
        self.imports: Imports | None = None
        self.unlisted: dict[str, str] = {}  # files that may have to go: rel → sha tracekit wrote
        self.stats: StatCache | None = None
        self.asset_files: dict[str, bytes] = {}
        self.shard: tuple[str, list[str]] | None = None  # ("i/n", its examples) in a sharded build
        self.chapter_results: dict[str, Any] = {}  # the book stage's chapters (rel → ChapterResult)
        self.chapters_record: dict[str, dict[str, Any]] | None = None
        self.journal = Journal(self.out)
        # the pages this build wrote: rel → (the page JSON's `authored`, its trace), so that the
        # book stage reads none of them back
        self.pages_made: dict[str, tuple[dict[str, Any], Trace]] = {}

    # signals: the handler raises unless a write is in progress; then it is raised right after
    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signal = signum
        if not self.critical:
            raise BuildInterrupted(signum)

    def _enter(self) -> None:
        self.critical += 1

    def _leave(self) -> None:
        self.critical -= 1
        if not self.critical and self.signal is not None:
            raise BuildInterrupted(self.signal)

    def display(self, rel: str) -> str:
        return display_path(self.plan.root / rel)

    # writing
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
        return not self.plan.overlap or written == file_sha(target)

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
        return self.write_all({rel: data})[rel]

    def write_all(self, files: dict[str, bytes]) -> dict[str, str]:
        """Replace FILES (rel → bytes) together, through the journal; rel → sha256."""
        for rel in files:
            folder = self.leads_out(rel)
            if folder is not None:
                raise BuildError(f"refusing to write {display_path(self.out / rel)}: {folder} leads outside the output folder")
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
                manifest = Manifest(loose=recognised(self.out, self.plan.root))
                try:
                    atomic_write(self.out / MANIFEST_NAME, manifest.to_bytes())
                except OSError as e:
                    raise disk_error(e, self.out) from None
                why = " (it was unreadable)" if old else ""
                self.reporter.info(f"new manifest{why}: {len(manifest.loose)} file(s) in {display_path(self.out)} recognised as tracekit's")
            adopted = reconcile(self.out, self.plan.root, manifest.owned(), lambda found: self._adopt(manifest, found))
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

    def load_assets(self) -> dict[str, str]:
        """Logical asset name → path relative to the output; the files are staged, not written."""
        if self.assets is None:
            import tempfile

            from ..render import write_assets

            with tempfile.TemporaryDirectory(prefix="tracekit-assets-") as tmp:
                self.assets = dict(write_assets(Path(tmp)))
                for rel in self.assets.values():
                    self.asset_files[rel] = (Path(tmp) / rel).read_bytes()
        return self.assets

    def _name_written(self, display: str, result: Any) -> None:
        """Say which files the example wrote inside the examples folder: they are not part of the site."""
        out = self.out.resolve()

        def kept(paths: Any) -> list[str]:
            return [p for p in paths or () if not is_inside((self.plan.root / p).resolve(), out)]

        paths = kept(getattr(result, "written", None))
        self.claimed_written.update(paths)
        self._say_written(display, paths)
        for p in kept(getattr(result, "written_found", None)):
            self.found_written.setdefault(p, []).append(display)

    def name_found_written(self) -> None:
        """After the runs: name the files found changed in examples' folders that no example wrote through Python."""
        by_writers: dict[str, list[str]] = {}
        for p, displays in sorted(self.found_written.items()):
            if p not in self.claimed_written:
                by_writers.setdefault(" or ".join(sorted(set(displays))), []).append(p)
        for who, paths in sorted(by_writers.items()):
            self._say_written(who, paths)
        self.found_written = {}

    def _say_written(self, who: str, paths: list[str]) -> None:
        root = self.plan.root
        for p in paths[:MAX_WRITTEN_NAMED]:
            self.reporter.warn(f"{who} wrote {display_path(root / p)}{'/' if p.endswith('/') else ''} (not part of the site)")
        if len(paths) > MAX_WRITTEN_NAMED:
            self.reporter.warn(f"{who} wrote {len(paths) - MAX_WRITTEN_NAMED} more files inside {display_path(root)} (not part of the site)")

    # one finished run → pages + record
    def finish(self, rel: str, keyed: Keyed, ran: Ran, manifest: Manifest, env: dict[str, Any]) -> Outcome:
        display = self.display(rel)
        old = manifest.examples.get(rel)
        if ran.kind == "skipped":
            outcome = Outcome(rel, display, "skipped", seconds=ran.seconds, note=ran.message)
            if old is None:
                self.updates[rel] = _pageless_record(keyed, "skipped", None, [], {})
            return outcome
        if ran.kind == "authoring":
            err = ran.error
            example, trace = authoring_page(rel, keyed.path, err, env, keyed_options(self.plan.config))
            status = "failed"
            message = str(getattr(err, "message", err))
            failures = [Failure(getattr(err, "line", None), message.splitlines()[0])]
            hits = None
            detail = message
        else:
            example = ran.example
            trace = readable_trace(rel, ran.result.trace)
            status, failures = classify(example, trace)
            hits = sum(line.hits for line in trace.lines)
            detail = "\n".join(trace.stderr.rstrip().splitlines()[-20:])
            self._name_written(display, ran.result)
            if ran.variants:
                failures += with_variants(rel, example, trace, ran.variants, keyed.key)
                status = "failed" if failures else status
        html_rel, json_rel = page_paths(rel)
        outcome = Outcome(rel, display, status, seconds=ran.seconds, hits=hits, failures=failures, detail=detail if failures else "")
        manifest_files = manifest.owned()
        figures = {}
        if ran.kind == "ran":
            results = [r for _, r in ran.variants[1]] if ran.variants else [ran.result]
            for name, data in sorted({k: v for r in results for k, v in (getattr(r, "figures", None) or {}).items()}.items()):
                if safe_rel(name) and "/" not in name:
                    figures[f"{FIGURES_DIR}/{name}"] = data
        blocked = [p for p in (html_rel, json_rel) if not self.may_write(p, manifest_files)]
        blocked += [p for p, data in figures.items() if file_sha(self.out / p) != sha256_hex(data) and not self.may_write(p, manifest_files)]
        if html_rel == "index.html":
            blocked = [html_rel]
        outside = [(p, folder) for p in (*figures, html_rel, json_rel) if (folder := self.leads_out(p)) is not None]
        if blocked or outside:
            outcome.status = "failed"
            what = "the site index" if html_rel == "index.html" else f"{display_path(self.out / blocked[0])}, which tracekit did not write" if blocked else ""
            outcome.failures = [
                Failure(None, f"refusing to overwrite {what}; rename the example or choose another output folder")
                if blocked
                else Failure(None, f"refusing to write {display_path(self.out / outside[0][0])}: {outside[0][1]} leads outside the output folder")
            ]
            self.updates[rel] = _pageless_record(keyed, "failed", hits, [f.to_dict() for f in outcome.failures], old.files if old is not None else {})
            return outcome
        from ..render import page_json, render_page
        from ..render.html import example_dict
        from ..render.page import prose_warnings

        depth = rel.count("/")
        render: dict[str, Any] = dict(assets=self.load_assets(), root_rel="../" * depth, json_name=PurePosixPath(json_rel).name)
        try:
            html = render_page(example, trace, **render)
            page = page_json(example, trace, build={"cache_key": keyed.key})
            for warning in prose_warnings(example):  # markup shown as text: the author should know
                self.reporter.warn(warning)
        except Exception as e:  # one example's page must never sink the build
            if self.signal is not None:  # the interrupt itself, wrapped by a library (pygments: ValueError)
                raise BuildInterrupted(self.signal) from None
            trace = _unreadable_trace(rel, trace, f"its page could not be rendered: {type(e).__name__}: {e}")
            status, failures = classify(None, trace)
            outcome.status, outcome.failures = status, failures
            html = render_page(example, trace, **render)
            page = page_json(example, trace, build={"cache_key": keyed.key})
        intro = (example.intro or "").strip()
        record = ManifestRecord(
            keyed.key,
            keyed.source,
            keyed.deps,
            status,
            example.title,
            " ".join(intro.split("\n\n", 1)[0].split()) if intro else "",  # the first paragraph
            html_rel,
            hits,
            [f.to_dict() for f in failures],
            intro_markup=getattr(example, "markup", "markdown"),
        )
        self._enter()
        try:
            files = {fig_rel: sha256_hex(data) for fig_rel, data in figures.items()}
            changed = {fig_rel: data for fig_rel, data in figures.items() if file_sha(self.out / fig_rel) != files[fig_rel]}
            # the figures, the page and its JSON replace the old ones together, or none does
            files.update(self.write_all({**changed, html_rel: html.encode("utf-8"), json_rel: page.encode("utf-8")}))
            record.files = dict(sorted(files.items()))
            self.pages_made[rel] = (json.loads(dumps(example_dict(example))), trace)
            self.updates[rel] = record
            for stale_rel, sha in (old.files if old is not None else {}).items():
                if stale_rel not in files:
                    self.unlisted[stale_rel] = sha
        finally:
            self._leave()
        return outcome

    def commit(self, env: dict[str, Any], *, site: dict[str, str] | None = None, index_of: str | None = None) -> Manifest:
        """Merge this build's records into the manifest on disk (under the manifest lock)."""
        self._enter()
        try:
            with OutputLock(self.out / MANIFEST_LOCK_NAME, blocking=True):
                current = Manifest.load(self.out)
                for rel, rec in self.updates.items():
                    if rec is None:
                        current.examples.pop(rel, None)
                    else:
                        current.examples[rel] = rec
                if site is not None:
                    current.site = site
                    current.index_of = index_of
                    if self.chapters_record is not None:
                        current.chapters = self.chapters_record
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
                        self.delete(rel, sha)
                self.unlisted = {}
                # What interrupted builds left: listed now, or rewritten, or (a whole build) gone
                for rel, sha in sorted(current.loose.items()):
                    if listed.get(rel) == sha or rel in self.written:
                        del current.loose[rel]
                    elif rel not in listed and self.shard is None:
                        self.delete(rel, sha)
                        del current.loose[rel]
                data = current.to_bytes()
                path = self.out / MANIFEST_NAME
                try:
                    same = path.read_bytes() == data
                except OSError:
                    same = False
                if not same:
                    try:
                        atomic_write(path, data)
                    except OSError as e:
                        raise disk_error(e, self.out) from None
                self.journal.close()  # the manifest lists everything it recorded
                return current
        finally:
            self._leave()

    def write_site(self, manifest: Manifest, env: dict[str, Any]) -> tuple[dict[str, str], str]:
        """Write the assets, the book's pages (example pages with their navigation, chapters,
        downloads) and index.html for MANIFEST's examples; return (site files, book key)."""
        from ..book.site import find_book_inputs

        assets = self.load_assets()
        site: dict[str, str] = {}
        old_files = manifest.owned()
        inputs = find_book_inputs(self.plan.root, self.plan.config, self.out)
        self._enter()
        try:

            def put(rel: str, data: bytes) -> str:
                sha = sha256_hex(data)
                if file_sha(self.out / rel) != sha:
                    if not self.may_write(rel, old_files):
                        raise BuildError(f"refusing to overwrite {display_path(self.out / rel)}, which tracekit did not write")
                    self.write(rel, data)
                return sha

            index = self.out / "index.html"
            if os.path.lexists(index) and not self.may_write("index.html", old_files):  # before writing anything
                raise BuildError(f"refusing to overwrite {display_path(index)}, which tracekit did not write")
            for rel in sorted(self.asset_files):
                site[rel] = put(rel, self.asset_files[rel])
            try:
                self._write_book(manifest, env, inputs, assets, put, site)
            except BuildError:
                # What was written is recorded (so it is tracekit's to replace or delete later),
                # with no book key, so the next build writes the book again.
                self.commit(env, site={**manifest.site, **site}, index_of=None)
                raise
            for rel, sha in manifest.site.items():
                if rel not in site:
                    self.unlisted[rel] = sha
        finally:
            self._leave()
        from ..book.site import book_key

        return site, book_key(manifest.examples, inputs, self.plan.config, env)

    def _write_book(self, manifest: Manifest, env: dict[str, Any], inputs: Any, assets: dict[str, str], put: Any, site: dict[str, str]) -> None:
        """Write the book's pages into the output, recording each in SITE as it is written."""
        from ..book.chapter import Chapter
        from ..book.notebook import notebook_json
        from ..book.site import DOWNLOADS, chapter_html, chapter_images, make_book, read_chapters
        from ..book.view import ChapterPart, chapter_parts, chapter_warnings, nav_view, render_chapter, render_toc, source_link_map
        from ..render import render_page
        from ..render.markup import links
        from ..source import Example

        cfg = self.plan.config
        loaded: dict[str, tuple[Example, Trace]] = {}
        authored: dict[str, dict[str, Any]] = {}
        for rel, rec in sorted(manifest.examples.items()):
            json_rel = page_paths(rel)[1]
            if not rec.html or json_rel not in rec.files:
                continue
            try:
                if rel in self.pages_made:  # written by this build: its trace is already read
                    authored[rel], trace = self.pages_made[rel]
                else:
                    data = json.loads((self.out / json_rel).read_bytes())
                    authored[rel] = data.pop("authored")
                    data.pop("build", None)
                    trace = Trace.from_page(data)
                loaded[rel] = (Example.from_dict(authored[rel]), trace)
            except (OSError, ValueError, KeyError, TypeError) as e:
                self.reporter.warn(f"{display_path(self.out / json_rel)}: cannot read the page JSON ({e}); its page keeps no navigation")
        chapters = read_chapters(inputs, manifest.examples, env)
        self.chapter_results = chapters
        book = make_book(manifest.examples, authored, chapters, inputs, cfg)
        read = self.stats.sha if self.stats is not None else file_sha
        for rel, (example, trace) in loaded.items():
            rec = manifest.examples[rel]
            html_rel, json_rel = page_paths(rel)
            try:
                source: bytes | None = (self.plan.root / rel).read_bytes()
            except OSError:
                source = None
            # a copy would be found as an example where the output and examples folders overlap:
            # link the source itself then
            src_rel = Path(os.path.relpath(self.plan.root / rel, self.out)).as_posix() if self.plan.overlap else f"{DOWNLOADS}/{rel}"
            nb_rel = f"{DOWNLOADS}/{PurePosixPath(rel).with_suffix('.ipynb')}"
            copies = [] if source is None else ([nb_rel] if self.plan.overlap else [src_rel, nb_rel])
            downloads = [] if source is None else [(PurePosixPath(rel).name, src_rel), ("Notebook (.ipynb)", nb_rel)]
            if rel.endswith(".ipynb") and source is not None:  # a notebook's source is its notebook: one download, run
                copies, downloads = [nb_rel], [(PurePosixPath(rel).name, nb_rel)]
            nav = nav_view(book, rel, site_title=cfg.title, downloads=downloads)
            # An unchanged run whose navigation did not change keeps its page and downloads: a
            # chapter edit re-renders that chapter, not every page of the book.
            page_key = sha256_hex(json.dumps([rec.key, sha256_hex(source or b""), repr(nav), assets, env.get("tool")]).encode())
            old_html = rec.files.get(html_rel)
            if (
                rec.page_key == page_key
                and old_html is not None
                and read(self.out / html_rel) == old_html
                and all(manifest.site.get(r) is not None and read(self.out / r) == manifest.site[r] for r in copies)
            ):
                site.update({r: manifest.site[r] for r in copies})
                continue
            if source is not None:
                if not self.plan.overlap and not rel.endswith(".ipynb"):
                    site[src_rel] = put(src_rel, source)
                try:
                    nb = notebook_json(example, trace.to_dict(), source.decode("utf-8", "replace"), self.out / FIGURES_DIR).encode("utf-8")
                except Exception as e:  # a notebook that cannot be made costs the download, not the page
                    if self.signal is not None:  # the interrupt itself, wrapped by a library
                        raise BuildInterrupted(self.signal) from None
                    self.reporter.warn(f"{self.display(rel)}: no notebook: {type(e).__name__}: {e}")
                    if not rel.endswith(".ipynb"):
                        downloads.pop()
                    elif self.plan.overlap:  # the notebook as it is, where it is
                        downloads = [(PurePosixPath(rel).name, src_rel)]
                    else:  # the notebook as it is
                        site[nb_rel] = put(nb_rel, source)
                    nav = nav_view(book, rel, site_title=cfg.title, downloads=downloads)
                else:
                    site[nb_rel] = put(nb_rel, nb)
            with links(source_link_map(book, rel)):
                html = render_page(example, trace, assets=assets, root_rel="../" * rel.count("/"), json_name=PurePosixPath(json_rel).name, nav=nav)
            sha = put(html_rel, html.encode("utf-8"))
            self.updates[rel] = dataclasses.replace(rec, files=dict(sorted({**rec.files, html_rel: sha}.items())), page_key=page_key)
        for rel, res in chapters.items():
            html_rel = chapter_html(rel)
            if html_rel in {page_paths(r)[0] for r in manifest.examples}:
                continue
            if res.chapter is None:  # unreadable: its page says why, rather than an old page staying up
                chapter = Chapter(rel, book.pages[rel].title, "", {})
                parts = [ChapterPart("error", message=f"{rel}:{f.line}: {f.message}" if f.line else f"{rel}: {f.message}") for f in res.failures]
            else:
                chapter = res.chapter
                parts = chapter_parts(chapter, book, {t: loaded.get(t) or "" for t in {e.target for e in chapter.embeds}} | _missing(res), html_rel)  # type: ignore[operator]
                for warning in chapter_warnings(rel, parts):  # markup shown as text, prose cut: the author should know
                    self.reporter.warn(warning)
            html = render_chapter(chapter, parts, nav_view(book, rel, site_title=cfg.title), assets=assets, html_rel=html_rel)
            site[html_rel] = put(html_rel, html.encode("utf-8"))
        for rel, data in chapter_images(inputs, self.out).items():  # the pictures chapters show, beside their pages
            site[rel] = put(rel, data)
        # the API the examples called, and the search box's index (site/search.py says why no hash)
        from .search import write_search

        api_href = write_search(book, loaded, chapters, cfg.title, assets, put, site)
        index = render_toc(book, title=cfg.title, description=cfg.description, assets=assets, api_href=api_href).encode("utf-8")
        site["index.html"] = put("index.html", index)
        self.chapters_record = {rel: {"key": r.key, "status": r.status, "failures": [f.to_dict() for f in r.failures]} for rel, r in chapters.items()}


def _missing(res: Any) -> dict[str, str]:
    """Why each embed of RES that cannot be shown is not shown (its failure's message)."""
    out: dict[str, str] = dict(res.skipped)
    for e in res.chapter.embeds:
        for f in res.failures:
            if f.line == e.line and "failed:" not in f.message:
                out[e.target] = f"line {f.line}: {f.message}"
    return out
