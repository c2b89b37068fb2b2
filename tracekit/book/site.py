"""The book stage of a build: chapters, navigation, downloads and the table of contents.

It runs after the examples (never in a shard: a merge of the shards runs it) and runs nothing: an
example's page is re-rendered from its page JSON with the navigation around it, a chapter's
listings from the page JSON of the examples it embeds. Its key covers the chapters' text, the
part headers, the site's title, description and order and every example's cache key, status and
title, so adding, moving or removing a page, or editing a chapter, rewrites the book's pages (the
changed ones only reach the disk) and re-runs no example.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..prose import title_from_name
from ..site.discover import excluded, skip_dir
from ..site.files import MAX_TEXT_BYTES, Refused, file_sha, read_checked
from ..site.keys import sha256_hex
from ..site.manifest import Manifest, ManifestRecord
from ..site.paths import FIGURES_DIR, display_path, page_paths
from ..site.results import BuildError, BuildInterrupted, Failure, Outcome
from .chapter import Chapter, ChapterError, Embed, parse_chapter
from .model import Book, Page, count_words, part_header

if TYPE_CHECKING:
    from ..site.commit import ManifestCommit
    from ..site.keys import StatCache
    from ..site.output import OutputFolder
    from ..site.pages import StagedAssets
    from ..site.plan import Plan
    from ..site.report import Reporter
    from ..trace import Trace

MAX_PAGE_JSON_BYTES = 256 * 1024 * 1024  # read only for a `:lines:` check: far above any page's JSON
DOWNLOADS = "downloads"  # source copies and notebooks: downloads/<example path>, downloads/<stem>.ipynb
#: a picture a chapter shows is copied beside its page; a picture is held to a source's cap
MAX_IMAGE_BYTES = MAX_TEXT_BYTES
#: the output's own folders: a picture copied there could take the place of tracekit's files
RESERVED = ("assets", "downloads", "figures")


@dataclass
class BookInputs:
    """What the book stage reads besides the manifest: chapters and part headers."""

    chapters: dict[str, bytes] = field(default_factory=dict)  # rel → text
    headers: dict[str, bytes] = field(default_factory=dict)  # folder rel ("" for the top) → README.md
    refused: dict[str, str] = field(default_factory=dict)  # chapter or part header rel → why it was not read
    out: Path | None = None  # the output folder: embeds with `:lines:` are judged against its page JSON
    root: Path | None = None  # the examples folder: `:lines:` past the end of a file is an error
    images: dict[str, bytes] = field(
        default_factory=dict
    )  # picture rel → its bytes (copied to the same rel in the output)
    bad_images: dict[str, str] = field(default_factory=dict)  # picture rel → why it cannot be copied


def find_book_inputs(root: Path, config: Config, out: Path) -> BookInputs:
    """Chapters (``*.md`` but README.md) and part headers (README.md of subfolders) under ROOT."""
    found = BookInputs(out=out, root=root)
    out_r = out.resolve()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not skip_dir(d) and (here / d).resolve() != out_r)
        for name in sorted(files):
            if not name.endswith(".md") or name.startswith(("_", ".")):
                continue
            rel = (here / name).relative_to(root).as_posix()
            if excluded(rel, config.exclude):
                continue
            if name == "README.md" and "/" not in rel:
                continue  # the examples folder's own README is no part of the book
            try:  # what examples are held to: a FIFO would hang the build, a link publish its target
                data = read_checked(here / name, root)
            except Refused as e:
                found.refused[rel] = str(e)
                continue
            if name == "README.md":
                found.headers[rel.rsplit("/", 1)[0]] = data
            else:
                found.chapters[rel] = data
    for rel, data in found.chapters.items():
        _read_images(found, root, out_r, rel, data)
    return found


def _read_images(found: BookInputs, root: Path, out: Path, rel: str, data: bytes) -> None:
    """Read the pictures the chapter REL shows into FOUND, held to the examples' file checks."""
    try:
        refs = parse_chapter(rel, data.decode("utf-8")).refs
    except (UnicodeDecodeError, ChapterError):
        return  # the chapter fails as a whole (read_chapters says why)
    for ref in refs:
        target = ref.target
        if ref.kind != "image" or target is None or target in found.images or target in found.bad_images:
            continue
        path = root / target
        if target.split("/", 1)[0] in RESERVED:
            found.bad_images[target] = (
                f"would be copied to {target} in the output, where tracekit keeps its own files; move it"
            )
        elif not os.path.lexists(path):
            found.bad_images[target] = f"does not exist ({display_path(path)})"
        elif root.resolve() in out.parents and out in path.resolve().parents:  # an output inside the examples folder
            found.bad_images[target] = f"is inside the output folder {display_path(out)}"
        else:
            try:
                found.images[target] = read_checked(path, root, MAX_IMAGE_BYTES)
            except Refused as e:
                found.bad_images[target] = f"{e} ({display_path(path)})"


def chapter_images(inputs: BookInputs, out: Path) -> dict[str, bytes]:
    """The pictures to copy into OUT, each at its path in the examples folder, so the chapter's
    relative link finds it beside the page (none where OUT is the examples folder: it is there)."""
    same = inputs.root is not None and inputs.root.resolve() == out.resolve()
    return {} if same else dict(sorted(inputs.images.items()))


def chapter_html(rel: str) -> str:
    return str(PurePosixPath(rel).with_suffix(".html"))


def chapter_key(text_sha: str, embeds: list[str], examples: dict[str, ManifestRecord], tool: Any) -> str:
    """A chapter's key: its text and the keys (and statuses) of the examples it embeds."""
    recs = [(e, examples.get(e)) for e in embeds]
    return sha256_hex(
        json.dumps(
            [
                text_sha,
                [(e, rec.key if rec is not None else None, rec.status if rec is not None else None) for e, rec in recs],
                tool,
            ]
        ).encode()
    )


def book_key(examples: dict[str, ManifestRecord], inputs: BookInputs, config: Config, env: dict[str, Any]) -> str:
    """What the book's pages are made from (see the module docstring)."""
    data = {
        "examples": {rel: [rec.key, rec.status, rec.title, rec.html] for rel, rec in sorted(examples.items())},
        "chapters": {rel: sha256_hex(data) for rel, data in sorted(inputs.chapters.items())},
        "headers": {rel: sha256_hex(data) for rel, data in sorted(inputs.headers.items())},
        **({"refused": inputs.refused} if inputs.refused else {}),  # absent when empty: existing sites keep their key
        **(
            {
                "images": {rel: sha256_hex(data) for rel, data in sorted(inputs.images.items())},
                "bad_images": inputs.bad_images,
            }
            if inputs.images or inputs.bad_images
            else {}
        ),
        "site": [config.title, config.description, list(config.order)],
        "tool": env.get("tool"),
    }
    return sha256_hex(json.dumps(data, sort_keys=True).encode())


@dataclass
class ChapterResult:
    rel: str
    chapter: Chapter | None
    key: str
    status: str  # ok | failed
    failures: list[Failure]
    skipped: dict[str, str] = field(default_factory=dict)  # embedded example → why it is not shown (not a failure)


def read_chapters(
    inputs: BookInputs, examples: dict[str, ManifestRecord], env: dict[str, Any]
) -> dict[str, ChapterResult]:
    """Parse every chapter and judge its embeds against the example records (no rendering)."""
    pages = {rel: rec.html for rel, rec in examples.items()}
    listings: dict[str, set[int] | None] = {}
    out: dict[str, ChapterResult] = {}
    taken = {page_paths(rel)[0]: rel for rel in examples}
    for rel, data in sorted(inputs.chapters.items()):
        failures: list[Failure] = []
        skipped: dict[str, str] = {}
        chapter: Chapter | None = None
        try:
            chapter = parse_chapter(rel, data.decode("utf-8"))
        except UnicodeDecodeError as err:
            failures.append(Failure(None, f"not UTF-8 text ({err.reason} at byte {err.start})"))
        except ChapterError as err:
            failures.append(Failure(err.line, err.message))
        embeds = [e.target for e in chapter.embeds] if chapter else []
        for ref in chapter.refs if chapter else []:
            if ref.kind != "image":
                continue
            if ref.target is None:
                failures.append(
                    Failure(ref.line, f"shows the picture {ref.written}, which is outside the examples folder")
                )
            elif ref.target in inputs.bad_images:
                failures.append(
                    Failure(ref.line, f"shows the picture {ref.written}, which {inputs.bad_images[ref.target]}")
                )
        if chapter_html(rel) in taken:
            failures.append(
                Failure(
                    None,
                    f"its page {chapter_html(rel)} would be that of {taken[chapter_html(rel)]}; rename one of them",
                )
            )
        for e in chapter.embeds if chapter else []:
            rec = examples.get(e.target)
            if rec is not None and e.vary and inputs.root is not None:
                e.errors += _vary_errors(inputs.root, e)
            if e.errors:  # a bad option: this listing is not shown, the rest of the chapter is
                failures += [Failure(line, message) for line, message in e.errors]
            elif rec is None:
                failures.append(
                    Failure(
                        e.line, f"embeds {e.target}, which is not an example here (no such file, a helper, or excluded)"
                    )
                )
            elif rec.status == "failed":
                why = next((f["message"] for f in rec.failures), "failed")
                failures.append(
                    Failure(e.line, f"embeds {e.target}, which failed: {why.splitlines()[0] if why else 'failed'}")
                )
            elif rec.status == "skipped":  # its device is not here: the chapter says so, and passes
                skipped[e.target] = (
                    f"{e.target} was skipped: the device it needs is not available where this site was built"
                )
            elif not pages.get(e.target):
                failures.append(Failure(e.line, f"embeds {e.target}, which has no page ({rec.status})"))
            elif e.lines:  # the listing shows the error in its place (Embed.errors), the build names the line
                bad = _lines_failures(inputs, e, rec, listings)
                e.errors += [(f.line or e.line, f.message) for f in bad]
                failures += bad
        key = chapter_key(sha256_hex(data), embeds, examples, env.get("tool"))
        out[rel] = ChapterResult(rel, chapter, key, "failed" if failures else "ok", failures, skipped)
    for rel, why in inputs.refused.items():  # a part header too: its failure is the build's, its page says why
        out[rel] = ChapterResult(
            rel,
            None,
            chapter_key(sha256_hex(why.encode()), [], examples, env.get("tool")),
            "failed",
            [Failure(None, why)],
        )
    return dict(sorted(out.items()))


def _vary_errors(root: Path, e: Embed) -> list[tuple[int, str]]:
    """(chapter line, message) for each `:vary:` of E naming what its example assigns no literal to."""
    from ..variants import unassigned_errors

    return unassigned_errors(root / e.target, e.target, e.vary)


def _lines_failures(
    inputs: BookInputs, e: Embed, rec: ManifestRecord, seen: dict[str, set[int] | None]
) -> list[Failure]:
    """What is wrong with E's `:lines:` ranges (the file's line numbers): each must end within the
    file and select a line the example's listing shows."""
    assert e.lines is not None
    shown = _listing_lines(inputs.out, e.target, rec, seen) if inputs.out is not None else None
    size = None
    if inputs.root is not None:
        try:
            data = read_checked(inputs.root / e.target, inputs.root)
            size = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        except Refused:
            pass
    out: list[Failure] = []
    line = e.at.get("lines", e.line)
    for a, b in e.lines:
        spec = f"{a}-{b}" if b != a else str(a)
        if size is not None and b > size:
            out.append(Failure(line, f":lines: {spec} goes past the end of {e.target}, which has {size} lines"))
        elif shown is not None and not any(a <= n <= b for n in shown):
            has = f"it shows lines {min(shown)}-{max(shown)} of the file" if shown else "it shows no line"
            out.append(Failure(line, f":lines: {spec} selects no line of the listing of {e.target} ({has})"))
    return out


def _listing_lines(out: Path, rel: str, rec: ManifestRecord, seen: dict[str, set[int] | None]) -> set[int] | None:
    """The file line numbers of the listing lines of REL's page that hold code or comments (what
    `:lines:` can select), from its page JSON in OUT; None when that cannot be read."""
    if rel not in seen:
        json_rel = page_paths(rel)[1]
        seen[rel] = None
        if json_rel in rec.files:
            try:
                listing = json.loads(read_checked(out / json_rel, out, MAX_PAGE_JSON_BYTES))["authored"]["listing"]
                seen[rel] = {
                    int(ln["line"]) for ln in listing if not ln.get("hidden") and str(ln.get("text") or "").strip()
                }
            except (Refused, ValueError, KeyError, TypeError):
                pass
    return seen[rel]


def chapter_outcomes(root: Path, results: dict[str, ChapterResult]) -> list[Outcome]:
    return [
        Outcome(rel, display_path(root / rel), r.status, cached=True, failures=r.failures)
        for rel, r in sorted(results.items())
    ]


def _words(example: dict[str, Any]) -> tuple[int, int]:
    """(prose words, shown listing lines) of a page JSON's ``authored`` part."""
    texts = [example.get("title") or "", example.get("intro") or ""]
    for it in example.get("items") or []:
        texts.append(it.get("prose") or "")
        texts.extend(n.get("text") or "" for n in it.get("notes") or [])
    words = sum(count_words(t) for t in texts)  # as a chapter counts: reading times compare
    return words, len(example.get("listing") or [])


def make_book(
    examples: dict[str, ManifestRecord],
    authored: dict[str, dict[str, Any]],
    chapters: dict[str, ChapterResult],
    inputs: BookInputs,
    config: Config,
) -> Book:
    """The book of these example records and chapters."""
    pages: list[Page] = []
    for rel, rec in examples.items():
        words, lines = _words(authored.get(rel) or {})
        title = rec.title or title_from_name(PurePosixPath(rel).stem)
        intro, intro_markup = rec.intro, "rst" if rec.intro_markup == "rst" else "markdown"
        pages.append(
            Page(rel, title, rec.html or "", "example", rec.status or "failed", words, lines, intro, intro_markup)
        )
    for rel, res in chapters.items():
        ch = res.chapter
        title = ch.title if ch else title_from_name(PurePosixPath(rel).stem)
        words = count_words(ch.prose) if ch else 0
        pages.append(
            Page(
                rel,
                title,
                chapter_html(rel),
                "chapter",
                res.status,
                words,
                0,
                ch.description if ch else "",
                embeds=[e.target for e in ch.embeds] if ch else [],
            )
        )
    headers: dict[str, tuple[str, str]] = {}
    for folder, data in inputs.headers.items():
        headers[folder] = part_header(data.decode("utf-8", "replace"))
    return Book(pages, order=config.order, headers=headers)


def site_key(plan: Any, examples: dict[str, ManifestRecord], env: dict[str, Any]) -> str:
    """The book key a build would write now for PLAN (a ``_Plan``) and these example records."""
    return book_key(examples, find_book_inputs(plan.root, plan.config, plan.out), plan.config, env)


@dataclass
class BookStage:
    """The book stage of PLAN's build: the assets, the example pages with their navigation, chapters, downloads and
    index.html."""

    plan: Plan
    reporter: Reporter
    folder: OutputFolder
    changes: ManifestCommit
    assets: StagedAssets
    made: dict[str, tuple[dict[str, Any], Trace]] = field(
        default_factory=dict
    )  # the pages this build wrote (ExamplePages.made)
    stats: StatCache | None = None
    chapters: dict[str, ChapterResult] = field(
        default_factory=dict, init=False
    )  # what the last write read of the chapters

    def write(self, manifest: Manifest, env: dict[str, Any]) -> Manifest:
        """Write the book of MANIFEST's examples and commit it (site files, book key, chapters); the manifest
        committed."""
        site, index_of, chapters = self.write_site(manifest, env)
        return self.changes.commit(env, site=site, index_of=index_of, chapters=chapters)

    def write_site(
        self, manifest: Manifest, env: dict[str, Any]
    ) -> tuple[dict[str, str], str, dict[str, dict[str, Any]]]:
        """Write the assets, the book's pages and index.html for MANIFEST's examples; (site files, book key, chapters'
        records)."""
        assets = self.assets.load()
        site: dict[str, str] = {}
        old_files = manifest.owned()
        inputs = find_book_inputs(self.plan.root, self.plan.config, self.folder.out)
        folder = self.folder
        with folder.writing():

            def put(rel: str, data: bytes) -> str:
                sha = sha256_hex(data)
                if file_sha(folder.out / rel) != sha:
                    if not folder.may_write(rel, old_files):
                        raise BuildError(
                            f"refusing to overwrite {display_path(folder.out / rel)}, which tracekit did not write"
                        )
                    folder.write(rel, data)
                return sha

            index = folder.out / "index.html"
            if os.path.lexists(index) and not folder.may_write("index.html", old_files):  # before writing anything
                raise BuildError(f"refusing to overwrite {display_path(index)}, which tracekit did not write")
            for rel in sorted(self.assets.files):
                site[rel] = put(rel, self.assets.files[rel])
            try:
                chapters = self._write_book(manifest, env, inputs, assets, put, site)
            except BuildError:
                # What was written is recorded (so it is tracekit's to replace or delete later),
                # with no book key, so the next build writes the book again.
                self.changes.commit(env, site={**manifest.site, **site}, index_of=None)
                raise
            for rel, sha in manifest.site.items():
                if rel not in site:
                    self.changes.unlisted[rel] = sha
        return site, book_key(manifest.examples, inputs, self.plan.config, env), chapters

    def _write_book(
        self,
        manifest: Manifest,
        env: dict[str, Any],
        inputs: Any,
        assets: dict[str, str],
        put: Any,
        site: dict[str, str],
    ) -> dict[str, dict[str, Any]]:
        """Write the book's pages into the output, recording each in SITE as it is written; the chapters' records."""
        from ..render import render_page
        from ..render.markup import links
        from ..source import Example
        from ..trace import Trace
        from .chapter import Chapter
        from .notebook import notebook_json
        from .view import (
            ChapterPart,
            chapter_parts,
            chapter_warnings,
            nav_view,
            render_chapter,
            render_toc,
            source_link_map,
        )

        cfg = self.plan.config
        loaded: dict[str, tuple[Example, Trace]] = {}
        authored: dict[str, dict[str, Any]] = {}
        for rel, rec in sorted(manifest.examples.items()):
            json_rel = page_paths(rel)[1]
            if not rec.html or json_rel not in rec.files:
                continue
            try:
                if rel in self.made:  # written by this build: its trace is already read
                    authored[rel], trace = self.made[rel]
                else:
                    data = json.loads((self.folder.out / json_rel).read_bytes())
                    authored[rel] = data.pop("authored")
                    data.pop("build", None)
                    trace = Trace.from_page(data)
                loaded[rel] = (Example.from_dict(authored[rel]), trace)
            except (OSError, ValueError, KeyError, TypeError) as e:
                self.reporter.warn(
                    f"{display_path(self.folder.out / json_rel)}: cannot read the page JSON ({e}); its page keeps no "
                    f"navigation"
                )
        chapters = read_chapters(inputs, manifest.examples, env)
        self.chapters = chapters
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
            src_rel = (
                Path(os.path.relpath(self.plan.root / rel, self.folder.out)).as_posix()
                if self.plan.overlap
                else f"{DOWNLOADS}/{rel}"
            )
            nb_rel = f"{DOWNLOADS}/{PurePosixPath(rel).with_suffix('.ipynb')}"
            copies = [] if source is None else ([nb_rel] if self.plan.overlap else [src_rel, nb_rel])
            downloads = [] if source is None else [(PurePosixPath(rel).name, src_rel), ("Notebook (.ipynb)", nb_rel)]
            if rel.endswith(".ipynb") and source is not None:  # a notebook's source is its notebook: one download, run
                copies, downloads = [nb_rel], [(PurePosixPath(rel).name, nb_rel)]
            nav = nav_view(book, rel, site_title=cfg.title, downloads=downloads)
            # An unchanged run whose navigation did not change keeps its page and downloads: a
            # chapter edit re-renders that chapter, not every page of the book.
            page_key = sha256_hex(
                json.dumps([rec.key, sha256_hex(source or b""), repr(nav), assets, env.get("tool")]).encode()
            )
            old_html = rec.files.get(html_rel)
            if (
                rec.page_key == page_key
                and old_html is not None
                and read(self.folder.out / html_rel) == old_html
                and all(
                    manifest.site.get(r) is not None and read(self.folder.out / r) == manifest.site[r] for r in copies
                )
            ):
                site.update({r: manifest.site[r] for r in copies})
                continue
            if source is not None:
                if not self.plan.overlap and not rel.endswith(".ipynb"):
                    site[src_rel] = put(src_rel, source)
                try:
                    nb = notebook_json(
                        example, trace.to_dict(), source.decode("utf-8", "replace"), self.folder.out / FIGURES_DIR
                    ).encode("utf-8")
                except Exception as e:  # a notebook that cannot be made costs the download, not the page
                    if self.folder.signal is not None:  # the interrupt itself, wrapped by a library
                        raise BuildInterrupted(self.folder.signal) from None
                    self.reporter.warn(f"{display_path(self.plan.root / rel)}: no notebook: {type(e).__name__}: {e}")
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
                html = render_page(
                    example,
                    trace,
                    assets=assets,
                    root_rel="../" * rel.count("/"),
                    json_name=PurePosixPath(json_rel).name,
                    nav=nav,
                )
            sha = put(html_rel, html.encode("utf-8"))
            self.changes.record(
                rel,
                dataclasses.replace(rec, files=dict(sorted({**rec.files, html_rel: sha}.items())), page_key=page_key),
            )
        for rel, res in chapters.items():
            html_rel = chapter_html(rel)
            if html_rel in {page_paths(r)[0] for r in manifest.examples}:
                continue
            if res.chapter is None:  # unreadable: its page says why, rather than an old page staying up
                chapter = Chapter(rel, book.pages[rel].title, "", {})
                parts = [
                    ChapterPart("error", message=f"{rel}:{f.line}: {f.message}" if f.line else f"{rel}: {f.message}")
                    for f in res.failures
                ]
            else:
                chapter = res.chapter
                found = {t: loaded.get(t) or "" for t in {e.target for e in chapter.embeds}}
                parts = chapter_parts(chapter, book, found | _missing(res), html_rel)  # type: ignore[operator]
                for warning in chapter_warnings(rel, parts):  # markup shown as text, prose cut: the author should know
                    self.reporter.warn(warning)
            html = render_chapter(
                chapter, parts, nav_view(book, rel, site_title=cfg.title), assets=assets, html_rel=html_rel
            )
            site[html_rel] = put(html_rel, html.encode("utf-8"))
        for rel, data in chapter_images(
            inputs, self.folder.out
        ).items():  # the pictures chapters show, beside their pages
            site[rel] = put(rel, data)
        # the API the examples called, and the search box's index (site/search.py says why no hash)
        from ..site.search import write_search

        api_href = write_search(book, loaded, chapters, cfg.title, assets, put, site)
        index = render_toc(book, title=cfg.title, description=cfg.description, assets=assets, api_href=api_href).encode(
            "utf-8"
        )
        site["index.html"] = put("index.html", index)
        return {
            rel: {"key": r.key, "status": r.status, "failures": [f.to_dict() for f in r.failures]}
            for rel, r in chapters.items()
        }


def _missing(res: Any) -> dict[str, str]:
    """Why each embed of RES that cannot be shown is not shown (its failure's message)."""
    out: dict[str, str] = dict(res.skipped)
    for e in res.chapter.embeds:
        for f in res.failures:
            if f.line == e.line and "failed:" not in f.message:
                out[e.target] = f"line {f.line}: {f.message}"
    return out
