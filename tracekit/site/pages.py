"""Turning a run into pages: classify, render and write one example's files."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..child.jsonio import dumps
from ..child.protocol import AUTHOR_REASONS, DEFAULT_HITS, error_record, meta_record, trace_record
from ..child.version import __version__
from ..prose import title_from_name
from ..trace import ErrorInfo, Trace
from .commit import ManifestCommit
from .execute import Ran
from .files import file_sha
from .keys import sha256_hex
from .manifest import FailureRecord, Manifest, ManifestRecord, safe_rel
from .output import OutputFolder
from .paths import FIGURES_DIR, display_path, is_inside, page_paths
from .plan import Keyed, Plan, keyed_options
from .report import Reporter
from .results import BuildInterrupted, Failure, Outcome

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
                text += (
                    " (unexpected exception; mark the line `# tracekit: raises="
                    + etype.rsplit(".", 1)[-1]
                    + "` if it is meant to raise)"
                )
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
        tracekit=__version__,
        seed=options.get("seed"),
        hits=options.get("hits") or DEFAULT_HITS,
        timeout=options.get("timeout"),
        device=options.get("device"),
    )
    trace = trace_record(
        meta=meta,
        source={"path": rel, "sha256": sha256_hex(data)},
        status="error",
        exit_status=1,
        error=error_record(
            "AuthoringError",
            getattr(error, "message", str(error)),
            line=getattr(error, "line", None),
            reason="authoring",
        ),
    )
    return example, Trace.from_dict(trace)


def _pageless_record(
    keyed: Keyed, status: str, hits: int | None, failures: list[FailureRecord], files: dict[str, str]
) -> ManifestRecord:
    """The manifest record of an example that has no page (skipped, or refused a place to write)."""
    title = title_from_name(PurePosixPath(keyed.rel).stem)
    return ManifestRecord(keyed.key, keyed.source, keyed.deps, status, title, "", None, hits, failures, files)


@dataclass
class StagedAssets:
    """The site's assets (logical name → path relative to the output) and their bytes, staged once; the book stage
    writes them."""

    names: dict[str, str] | None = None
    files: dict[str, bytes] = field(default_factory=dict)

    def load(self) -> dict[str, str]:
        """Logical asset name → path relative to the output; the files are staged, not written."""
        if self.names is None:
            import tempfile

            from ..render import write_assets

            with tempfile.TemporaryDirectory(prefix="tracekit-assets-") as tmp:
                self.names = dict(write_assets(Path(tmp)))
                for rel in self.names.values():
                    self.files[rel] = (Path(tmp) / rel).read_bytes()
        return self.names


@dataclass
class ExamplePages:
    """The per-example page stage of PLAN's build: one finished run → its page, page JSON, figures and manifest
    record."""

    plan: Plan
    reporter: Reporter
    folder: OutputFolder
    changes: ManifestCommit
    assets: StagedAssets = field(default_factory=StagedAssets)
    # the pages this build wrote: rel → (the page JSON's `authored`, its trace), so that the
    # book stage reads none of them back
    made: dict[str, tuple[dict[str, Any], Trace]] = field(default_factory=dict)
    # files found changed in an example's folder, not written through Python by it: named
    # at the end of the runs, when every example's own files are known
    found_written: dict[str, list[str]] = field(default_factory=dict)
    inside_written: dict[str, list[str]] = field(default_factory=dict)  # inside a folder the example made
    claimed_written: set[str] = field(default_factory=set)

    def display(self, rel: str) -> str:
        """REL (an example) as messages name it."""
        return display_path(self.plan.root / rel)

    def _name_written(self, display: str, result: Any) -> None:
        """Say which files the example wrote inside the examples folder: they are not part of the site."""
        out = self.folder.out.resolve()

        def kept(paths: Any) -> list[str]:
            return [p for p in paths or () if not is_inside((self.plan.root / p).resolve(), out)]

        paths = kept(getattr(result, "written", None))
        self.claimed_written.update(paths)
        self._say_written(display, paths)
        for p in kept(getattr(result, "written_inside", None)):
            self.inside_written.setdefault(p, []).append(display)
        for p in kept(getattr(result, "written_found", None)):
            self.found_written.setdefault(p, []).append(display)

    def name_found_written(self) -> None:
        """After the runs: name the files that no example wrote through Python, found inside a folder an
        example made (its), or changed in examples' folders (whichever found them)."""
        by_writers: dict[str, list[str]] = {}
        for p, displays in sorted(self.inside_written.items()):
            if p not in self.claimed_written:
                by_writers.setdefault(" or ".join(sorted(set(displays))), []).append(p)
        for p, displays in sorted(self.found_written.items()):
            if p not in self.claimed_written and p not in self.inside_written:
                by_writers.setdefault(" or ".join(sorted(set(displays))), []).append(p)
        for who, paths in sorted(by_writers.items()):
            self._say_written(who, paths)
        self.found_written = {}
        self.inside_written = {}

    def _say_written(self, who: str, paths: list[str]) -> None:
        root = self.plan.root
        for p in paths[:MAX_WRITTEN_NAMED]:
            self.reporter.warn(
                f"{who} wrote {display_path(root / p)}{'/' if p.endswith('/') else ''} (not part of the site)"
            )
        if len(paths) > MAX_WRITTEN_NAMED:
            self.reporter.warn(
                f"{who} wrote {len(paths) - MAX_WRITTEN_NAMED} more files inside {display_path(root)} (not part of "
                f"the site)"
            )

    def finish(self, rel: str, keyed: Keyed, ran: Ran, manifest: Manifest, env: dict[str, Any]) -> Outcome:
        """Turn one finished run into REL's page, page JSON and figures, written together, and its record; its
        outcome."""
        display = self.display(rel)
        old = manifest.examples.get(rel)
        if ran.kind == "skipped":
            outcome = Outcome(rel, display, "skipped", seconds=ran.seconds, note=ran.message)
            if old is None:
                self.changes.updates[rel] = _pageless_record(keyed, "skipped", None, [], {})
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
        outcome = Outcome(
            rel, display, status, seconds=ran.seconds, hits=hits, failures=failures, detail=detail if failures else ""
        )
        manifest_files = manifest.owned()
        figures = {}
        if ran.kind == "ran":
            results = [r for _, r in ran.variants[1]] if ran.variants else [ran.result]
            for name, data in sorted(
                {k: v for r in results for k, v in (getattr(r, "figures", None) or {}).items()}.items()
            ):
                if safe_rel(name) and "/" not in name:
                    figures[f"{FIGURES_DIR}/{name}"] = data
        blocked = [p for p in (html_rel, json_rel) if not self.folder.may_write(p, manifest_files)]
        blocked += [
            p
            for p, data in figures.items()
            if file_sha(self.folder.out / p) != sha256_hex(data) and not self.folder.may_write(p, manifest_files)
        ]
        if html_rel == "index.html":
            blocked = [html_rel]
        outside = [
            (p, folder) for p in (*figures, html_rel, json_rel) if (folder := self.folder.leads_out(p)) is not None
        ]
        if blocked or outside:
            outcome.status = "failed"
            what = (
                "the site index"
                if html_rel == "index.html"
                else f"{display_path(self.folder.out / blocked[0])}, which tracekit did not write"
                if blocked
                else ""
            )
            outcome.failures = [
                Failure(None, f"refusing to overwrite {what}; rename the example or choose another output folder")
                if blocked
                else Failure(
                    None,
                    f"refusing to write {display_path(self.folder.out / outside[0][0])}: {outside[0][1]} leads "
                    f"outside the output folder",
                )
            ]
            self.changes.updates[rel] = _pageless_record(
                keyed, "failed", hits, [f.to_dict() for f in outcome.failures], old.files if old is not None else {}
            )
            return outcome
        from ..render import page_json, render_page
        from ..render.html import example_dict
        from ..render.page import prose_warnings

        depth = rel.count("/")
        render: dict[str, Any] = dict(
            assets=self.assets.load(), root_rel="../" * depth, json_name=PurePosixPath(json_rel).name
        )
        try:
            html = render_page(example, trace, **render)
            page = page_json(example, trace, build={"cache_key": keyed.key})
            for warning in prose_warnings(example):  # markup shown as text: the author should know
                self.reporter.warn(warning)
        except Exception as e:  # one example's page must never sink the build
            if self.folder.signal is not None:  # the interrupt itself, wrapped by a library (pygments: ValueError)
                raise BuildInterrupted(self.folder.signal) from None
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
        with self.folder.writing():
            files = {fig_rel: sha256_hex(data) for fig_rel, data in figures.items()}
            changed = {
                fig_rel: data
                for fig_rel, data in figures.items()
                if file_sha(self.folder.out / fig_rel) != files[fig_rel]
            }
            # the figures, the page and its JSON replace the old ones together, or none does
            files.update(
                self.folder.write_all({**changed, html_rel: html.encode("utf-8"), json_rel: page.encode("utf-8")})
            )
            record.files = dict(sorted(files.items()))
            self.made[rel] = (json.loads(dumps(example_dict(example))), trace)
            self.changes.record(rel, record, old.files if old is not None else None)
        return outcome
