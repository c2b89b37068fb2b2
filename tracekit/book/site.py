"""The book stage of a build: chapters, navigation, downloads and the table of contents.

It runs after the examples (never in a shard: a merge of the shards runs it) and runs nothing: an
example's page is re-rendered from its page JSON with the navigation around it, a chapter's
listings from the page JSON of the examples it embeds. Its key covers the chapters' text, the
part headers, the site's title, description and order and every example's cache key, status and
title, so adding, moving or removing a page, or editing a chapter, rewrites the book's pages (the
changed ones only reach the disk) and re-runs no example.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import Config
from ..prose import title_from_name
from ..site.discover import excluded, skip_dir
from ..site.files import MAX_TEXT_BYTES, Refused, read_checked
from ..site.keys import sha256_hex
from ..site.manifest import ManifestRecord
from ..site.paths import display_path, page_paths
from ..site.results import Failure, Outcome
from .chapter import Chapter, ChapterError, Embed, parse_chapter
from .model import Book, Page, count_words, part_header

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
    images: dict[str, bytes] = field(default_factory=dict)  # picture rel → its bytes (copied to the same rel in the output)
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
            found.bad_images[target] = f"would be copied to {target} in the output, where tracekit keeps its own files; move it"
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
        json.dumps([text_sha, [(e, rec.key if rec is not None else None, rec.status if rec is not None else None) for e, rec in recs], tool]).encode()
    )


def book_key(examples: dict[str, ManifestRecord], inputs: BookInputs, config: Config, env: dict[str, Any]) -> str:
    """What the book's pages are made from (see the module docstring)."""
    data = {
        "examples": {rel: [rec.key, rec.status, rec.title, rec.html] for rel, rec in sorted(examples.items())},
        "chapters": {rel: sha256_hex(data) for rel, data in sorted(inputs.chapters.items())},
        "headers": {rel: sha256_hex(data) for rel, data in sorted(inputs.headers.items())},
        **({"refused": inputs.refused} if inputs.refused else {}),  # absent when empty: existing sites keep their key
        **(
            {"images": {rel: sha256_hex(data) for rel, data in sorted(inputs.images.items())}, "bad_images": inputs.bad_images}
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


def read_chapters(inputs: BookInputs, examples: dict[str, ManifestRecord], env: dict[str, Any]) -> dict[str, ChapterResult]:
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
                failures.append(Failure(ref.line, f"shows the picture {ref.written}, which is outside the examples folder"))
            elif ref.target in inputs.bad_images:
                failures.append(Failure(ref.line, f"shows the picture {ref.written}, which {inputs.bad_images[ref.target]}"))
        if chapter_html(rel) in taken:
            failures.append(Failure(None, f"its page {chapter_html(rel)} would be that of {taken[chapter_html(rel)]}; rename one of them"))
        for e in chapter.embeds if chapter else []:
            rec = examples.get(e.target)
            if rec is not None and e.vary and inputs.root is not None:
                e.errors += _vary_errors(inputs.root, e)
            if e.errors:  # a bad option: this listing is not shown, the rest of the chapter is
                failures += [Failure(line, message) for line, message in e.errors]
            elif rec is None:
                failures.append(Failure(e.line, f"embeds {e.target}, which is not an example here (no such file, a helper, or excluded)"))
            elif rec.status == "failed":
                why = next((f["message"] for f in rec.failures), "failed")
                failures.append(Failure(e.line, f"embeds {e.target}, which failed: {why.splitlines()[0] if why else 'failed'}"))
            elif rec.status == "skipped":  # its device is not here: the chapter says so, and passes
                skipped[e.target] = f"{e.target} was skipped: the device it needs is not available where this site was built"
            elif not pages.get(e.target):
                failures.append(Failure(e.line, f"embeds {e.target}, which has no page ({rec.status})"))
            elif e.lines:  # the listing shows the error in its place (Embed.errors), the build names the line
                bad = _lines_failures(inputs, e, rec, listings)
                e.errors += [(f.line or e.line, f.message) for f in bad]
                failures += bad
        key = chapter_key(sha256_hex(data), embeds, examples, env.get("tool"))
        out[rel] = ChapterResult(rel, chapter, key, "failed" if failures else "ok", failures, skipped)
    for rel, why in inputs.refused.items():  # a part header too: its failure is the build's, its page says why
        out[rel] = ChapterResult(rel, None, chapter_key(sha256_hex(why.encode()), [], examples, env.get("tool")), "failed", [Failure(None, why)])
    return dict(sorted(out.items()))


def _vary_errors(root: Path, e: Embed) -> list[tuple[int, str]]:
    """(chapter line, message) for each `:vary:` of E naming what its example assigns no literal to."""
    from ..variants import unassigned_errors

    return unassigned_errors(root / e.target, e.target, e.vary)


def _lines_failures(inputs: BookInputs, e: Embed, rec: ManifestRecord, seen: dict[str, set[int] | None]) -> list[Failure]:
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
                seen[rel] = {int(ln["line"]) for ln in listing if not ln.get("hidden") and str(ln.get("text") or "").strip()}
            except (Refused, ValueError, KeyError, TypeError):
                pass
    return seen[rel]


def chapter_outcomes(root: Path, results: dict[str, ChapterResult]) -> list[Outcome]:
    return [Outcome(rel, display_path(root / rel), r.status, cached=True, failures=r.failures) for rel, r in sorted(results.items())]


def _words(example: dict[str, Any]) -> tuple[int, int]:
    """(prose words, shown listing lines) of a page JSON's ``authored`` part."""
    texts = [example.get("title") or "", example.get("intro") or ""]
    for it in example.get("items") or []:
        texts.append(it.get("prose") or "")
        texts.extend(n.get("text") or "" for n in it.get("notes") or [])
    words = sum(count_words(t) for t in texts)  # as a chapter counts: reading times compare
    return words, len(example.get("listing") or [])


def make_book(
    examples: dict[str, ManifestRecord], authored: dict[str, dict[str, Any]], chapters: dict[str, ChapterResult], inputs: BookInputs, config: Config
) -> Book:
    """The book of these example records and chapters."""
    pages: list[Page] = []
    for rel, rec in examples.items():
        words, lines = _words(authored.get(rel) or {})
        title = rec.title or title_from_name(PurePosixPath(rel).stem)
        intro, intro_markup = rec.intro, "rst" if rec.intro_markup == "rst" else "markdown"
        pages.append(Page(rel, title, rec.html or "", "example", rec.status or "failed", words, lines, intro, intro_markup))
    for rel, res in chapters.items():
        ch = res.chapter
        title = ch.title if ch else title_from_name(PurePosixPath(rel).stem)
        words = count_words(ch.prose) if ch else 0
        pages.append(
            Page(
                rel, title, chapter_html(rel), "chapter", res.status, words, 0, ch.description if ch else "", embeds=[e.target for e in ch.embeds] if ch else []
            )
        )
    headers: dict[str, tuple[str, str]] = {}
    for folder, data in inputs.headers.items():
        headers[folder] = part_header(data.decode("utf-8", "replace"))
    return Book(pages, order=config.order, headers=headers)


def site_key(plan: Any, examples: dict[str, ManifestRecord], env: dict[str, Any]) -> str:
    """The book key a build would write now for PLAN (a ``_Plan``) and these example records."""
    return book_key(examples, find_book_inputs(plan.root, plan.config, plan.out), plan.config, env)
