"""Chapters that say what is wrong: pictures copied beside the page, links that lead nowhere,
`:lines:` by the file's own line numbers, a bad listing option failing that listing only, a
title shown once, and numbering that runs through the whole book."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path

from tracekit.book.chapter import Ref, parse_chapter
from tracekit.book.site import MAX_IMAGE_BYTES
from tracekit.config import load_config
from tracekit.site import MANIFEST_NAME, Reporter, build, check, merge
from tracekit.site.paths import display_path


def test_a_bad_listing_option_fails_that_listing_and_the_chapter_is_still_read() -> None:
    ch = parse_chapter(
        "c.md",
        "Before.\n\n```{listing} a.py\n:line: 3\n:hide-listing: yes\n```\n\nBetween.\n\n```{listing} b.py\n:lines: 5-2\n```\n\nAfter.\n\n```{listing} c.py\n:hide-intro:\n```\n",
    )
    assert [(e.target, e.errors) for e in ch.embeds] == [
        (
            "a.py",
            [(4, "unknown listing option :line: (known: :lines:, :hide-listing:, :hide-intro:, :caption:, :vary:)"), (5, ":hide-listing: takes no value")],
        ),
        ("b.py", [(11, ":lines: bad line range '5-2'")]),
        ("c.py", []),
    ]
    assert ch.embeds[2].hide_intro and "After." in ch.prose


def test_a_front_matter_title_and_the_same_first_heading_show_once() -> None:
    ch = parse_chapter("c.md", "---\ntitle: Why  Gradients?\n---\n\n# Why gradients?\n\nProse.\n")
    assert ch.title == "Why  Gradients?" and "Why gradients" not in ch.prose and ch.parts[0].line == 6
    other = parse_chapter("c.md", "---\ntitle: A book\n---\n# Chapter one\n\nProse.\n")
    assert other.title == "A book" and other.prose.startswith("# Chapter one")


def test_relative_pictures_and_links_are_found_with_their_lines() -> None:
    text = (
        "# T\n\n"
        "See ![a plot](img/plot.png 'Plot') and [the code](../b.py#L3), `![code](not.png)`, [web](https://e.org/x.png).\n\n"
        "[diagram]: <pics/my%20pic.svg>\n\n"
        "```python\n![fenced](not_either.png)\n```\n\n"
        "A [missing chapter](nope.md), ![above the root](../../out.png) and [a csv](data.csv).\n"
    )
    assert parse_chapter("part/c.md", text).refs == [
        Ref(3, "img/plot.png", "part/img/plot.png", "image"),
        Ref(3, "../b.py", "b.py", "page"),
        Ref(5, "pics/my%20pic.svg", "part/pics/my pic.svg", "image"),
        Ref(11, "nope.md", "part/nope.md", "page"),
        Ref(11, "../../out.png", None, "image"),
    ]


# ── built books ─────────────────────────────────────────────────────────────

COUNT = '''"""Counting

A loop that adds up.
"""
total = 0
#: Each pass adds `i`.
for i in range(3):
    total += i
print(total)
'''


def _site(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Path, Path]:
    ex, out = tmp_path / "ex", tmp_path / "out"
    for rel, body in files.items():
        path = ex / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    return ex, out


def _build(ex: Path, out: Path, reporter: Reporter | None = None):
    return build([ex], output=out, reporter=reporter or Reporter(verbosity=-1))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_an_unknown_option_fails_its_listing_in_place_and_the_chapter_renders(tmp_path: Path) -> None:
    chapter = "# Two listings\n\nFirst prose.\n\n```{listing} count.py\n:line: 8\n```\n\nSecond prose.\n\n```{listing} count.py\n:hide-intro:\n```\n"
    ex, out = _site(tmp_path, {"count.py": COUNT, "ch.md": chapter})
    result = _build(ex, out)
    assert result.exit_status == 1
    [failed] = result.failed
    assert failed.path == "ch.md"
    assert failed.lines() == [f"{failed.display}:6: unknown listing option :line: (known: :lines:, :hide-listing:, :hide-intro:, :caption:, :vary:)"]
    html = (out / "ch.html").read_text(encoding="utf-8")
    text = _text(html)
    assert "First prose." in text and "Second prose." in text
    assert text.count("This listing cannot be shown") == 1
    assert "line 6: unknown listing option :line:" in text
    assert text.index("First prose.") < text.index("This listing cannot be shown") < text.index("Second prose.")
    assert 'id="x1-cards"' in html and 'id="x2-cards"' not in html  # the good listing is shown, after the error


def test_lines_are_the_files_own_line_numbers_and_the_cards_keep_the_pages(tmp_path: Path) -> None:
    # count.py: 1-4 the docstring, 5 total = 0, 6 prose, 7 for, 8 total += i, 9 print(total)
    ex, out = _site(tmp_path, {"count.py": COUNT, "ch.md": "# Lines\n\n```{listing} count.py\n:lines: 8-9\n:hide-listing:\n```\n"})
    assert _build(ex, out).exit_status == 0
    cards = (out / "ch.html").read_text(encoding="utf-8").split('id="x1-cards"')[1]
    # file lines 8 and 9 are the listing's lines 3 and 4: shown with those numbers
    assert re.findall(r'<span class="fn">(\d+)</span>', cards) == ["3", "4"]
    assert "print(total)" in _text(cards) and "Each pass adds" not in _text(cards)


def test_lines_past_the_end_or_selecting_nothing_fail_that_listing(tmp_path: Path) -> None:
    chapter = "# Lines\n\n```{listing} count.py\n:lines: 2-3\n```\n\n```{listing} count.py\n:lines: 9-12\n```\n\n```{listing} count.py\n:lines: 5\n```\n"
    ex, out = _site(tmp_path, {"count.py": COUNT, "ch.md": chapter})
    result = _build(ex, out)
    [failed] = result.failed
    assert [(f.line, f.message) for f in failed.failures] == [
        (4, ":lines: 2-3 selects no line of the listing of count.py (it shows lines 5-9 of the file)"),
        (8, ":lines: 9-12 goes past the end of count.py, which has 9 lines"),
    ]
    html = (out / "ch.html").read_text(encoding="utf-8")
    assert _text(html).count("This listing cannot be shown") == 2
    assert re.findall(r'<span class="fn">(\d+)</span>', html.split('id="x1-cards"')[1]) == ["1"]  # the third listing: file line 5


def test_index_numbers_run_through_the_book_as_section_n_of_m_does(tmp_path: Path) -> None:
    one = '"""{}"""\nx = 1\n'
    ex, out = _site(
        tmp_path,
        {
            "1-a.py": one.format("First"),
            "2-b.py": one.format("Second"),
            "3-part/README.md": "# Later\n",
            "3-part/1-c.py": one.format("Third"),
            "3-part/2-d.py": one.format("Fourth"),
        },
    )
    assert _build(ex, out).exit_status == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    lists = re.findall(r'<ol class="toc-list"( start="\d+")?>(.*?)</ol>', index, re.S)
    assert [(start, re.findall(r">([A-Z][a-z]+)</a>", body)) for start, body in lists] == [
        ("", ["First", "Second"]),
        (' start="3"', ["Third", "Fourth"]),  # shown as 3. and 4.
    ]
    assert "Part 2 · Section 3 of 4" in (out / "3-part/1-c.html").read_text(encoding="utf-8")
    assert re.search(
        r'<ol class="toc-list" start="3">\s*<li[^>]*><span class="toc-here" aria-current="page">Third', (out / "3-part/1-c.html").read_text(encoding="utf-8")
    )


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # the bytes are copied, never decoded


def test_pictures_are_copied_beside_the_page_and_listed_in_the_manifest(tmp_path: Path) -> None:
    chapter = '# Pictures\n\nA plot: ![A plot](img/plot.png)\n\nAgain, linked: [the plot](img/plot.png "Plot") and ![up](../shared/logo.svg).\n'
    ex, out = _site(
        tmp_path, {"count.py": COUNT, "part/ch.md": chapter, "part/img/plot.png": PNG, "shared/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n"}
    )
    assert _build(ex, out).exit_status == 0
    html = (out / "part/ch.html").read_text(encoding="utf-8")
    assert '<img src="img/plot.png" alt="A plot"' in html and '<img src="../shared/logo.svg" alt="up"' in html
    assert (out / "part/img/plot.png").read_bytes() == PNG
    assert (out / "shared/logo.svg").read_bytes() == (ex / "shared/logo.svg").read_bytes()
    site = json.loads((out / MANIFEST_NAME).read_text())["site"]["files"]
    assert site["part/img/plot.png"] == hashlib.sha256(PNG).hexdigest() and "shared/logo.svg" in site
    assert check([ex], output=out).problems == []
    # a changed picture makes the book stale and is copied again; one no longer shown goes
    (ex / "part/img/plot.png").write_bytes(PNG[::-1])
    assert [p.kind for p in check([ex], output=out).problems] == ["stale"]
    assert _build(ex, out).written == ["part/img/plot.png"]
    assert (out / "part/img/plot.png").read_bytes() == PNG[::-1]
    (ex / "part/ch.md").write_text("# Pictures\n\nNone left.\n", encoding="utf-8")
    _build(ex, out)
    assert not (out / "part/img/plot.png").exists() and not (out / "shared/logo.svg").exists()
    assert (ex / "part/img/plot.png").exists() and check([ex], output=out).problems == []


def test_a_missing_or_refused_picture_fails_the_chapter_naming_its_line(tmp_path: Path) -> None:
    chapter = (
        "# Pictures\n\n![gone](img/gone.png)\n\nText.\n\n![big](big.png) ![link](link.png) ![fifo](pipe.png)\n\n![out](../../x.png) ![ours](figures/a.png)\n"
    )
    ex, out = _site(tmp_path, {"ch.md": chapter, "big.png": b"\0" * (MAX_IMAGE_BYTES + 1), "figures/a.png": PNG})
    (tmp_path / "secret.png").write_bytes(PNG)
    (ex / "link.png").symlink_to(tmp_path / "secret.png")
    os.mkfifo(ex / "pipe.png")
    result = _build(ex, out)
    assert result.exit_status == 1
    [failed] = result.failed
    shown = display_path(ex)
    assert [(f.line, f.message) for f in failed.failures] == [
        (3, f"shows the picture img/gone.png, which does not exist ({shown}/img/gone.png)"),
        (7, f"shows the picture big.png, which is {MAX_IMAGE_BYTES + 1:,} bytes; tracekit reads files up to {MAX_IMAGE_BYTES:,} ({shown}/big.png)"),
        (7, f"shows the picture link.png, which is a symlink to {tmp_path / 'secret.png'}, outside {shown}: refused ({shown}/link.png)"),
        (7, f"shows the picture pipe.png, which is not a regular file (a FIFO): refused ({shown}/pipe.png)"),
        (9, "shows the picture ../../x.png, which is outside the examples folder"),
        (9, "shows the picture figures/a.png, which would be copied to figures/a.png in the output, where tracekit keeps its own files; move it"),
    ]
    assert "Text." in (out / "ch.html").read_text(encoding="utf-8")  # the page is written, saying what it can
    assert not (out / "link.png").exists() and not (out / "big.png").exists() and not (out / "pipe.png").exists()


def test_links_to_pages_go_to_their_html_and_links_to_nothing_are_warnings(tmp_path: Path) -> None:
    chapter = "# Links\n\nSee [the count](../count.py#L5) and [the other chapter](other.md).\n\n[a helper](../_helper.py), [nothing](nope.md) and\n[far](../../up.py).\n"
    ex, out = _site(tmp_path, {"count.py": COUNT, "_helper.py": "K = 1\n", "part/ch.md": chapter, "part/other.md": "# Other\n"})
    err = io.StringIO()
    result = _build(ex, out, Reporter(verbosity=0, out=io.StringIO(), err=err))
    assert result.exit_status == 0  # a warning, not a failure
    html = (out / "part/ch.html").read_text(encoding="utf-8")
    assert '<a href="../count.html#L5">the count</a>' in html and '<a href="other.html">the other chapter</a>' in html
    shown = "part/ch.md"  # as the chapter's other warnings name it
    warnings = [line for line in err.getvalue().splitlines() if "links to" in line]
    assert warnings == [
        f"tracekit: {shown}:5: links to ../_helper.py, which is no chapter or example of this book (no such file, a helper, a part header or excluded)",
        f"tracekit: {shown}:5: links to nope.md, which is no chapter or example of this book (no such file, a helper, a part header or excluded)",
        f"tracekit: {shown}:6: links to ../../up.py, which is outside the examples folder",
    ]


def test_a_site_built_into_the_examples_folder_never_lists_or_deletes_the_authors_picture(tmp_path: Path) -> None:
    ex, _ = _site(tmp_path, {"ch.md": "# Pictures\n\n![A plot](img/plot.png)\n", "img/plot.png": PNG})
    assert _build(ex, ex).exit_status == 0
    assert "img/plot.png" not in json.loads((ex / MANIFEST_NAME).read_text())["site"]["files"]
    assert '<img src="img/plot.png"' in (ex / "ch.html").read_text(encoding="utf-8")
    (ex / "ch.md").write_text("# Pictures\n\nNone.\n", encoding="utf-8")
    _build(ex, ex)
    assert (ex / "img/plot.png").read_bytes() == PNG


def test_the_title_shows_once_on_the_built_page(tmp_path: Path) -> None:
    ex, out = _site(tmp_path, {"ch.md": "---\ntitle: Why gradients?\ndescription: A short one.\n---\n\n# Why gradients?\n\nProse.\n"})
    assert _build(ex, out).exit_status == 0
    html = (out / "ch.html").read_text(encoding="utf-8")
    assert html.count("Why gradients?</h") == 1 and re.findall(r"<h1[^>]*>([^<]*)</h1>", html) == ["Why gradients?"]


def test_merge_copies_the_pictures_the_shards_never_wrote(tmp_path: Path) -> None:
    ex, _ = _site(tmp_path, {"count.py": COUNT, "1-a.py": COUNT, "ch.md": "# Pictures\n\n![A plot](img/plot.png)\n", "img/plot.png": PNG})
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\n')
    cfg = load_config(pyproject=tmp_path / "pyproject.toml")
    shards = [tmp_path / f"shard-{i}" for i in (1, 2)]
    for i, folder in enumerate(shards, 1):
        build(config=cfg, output=folder, shard=f"{i}/2", reporter=Reporter(verbosity=-1))
        assert not (folder / "img/plot.png").exists()
    site = tmp_path / "site"
    assert merge(shards, output=site, config=cfg, reporter=Reporter(verbosity=-1)).exit_status == 0
    assert (site / "img/plot.png").read_bytes() == PNG
    assert "img/plot.png" in json.loads((site / MANIFEST_NAME).read_text())["site"]["files"]
