"""Chapters that say what is wrong: pictures copied beside the page, links that lead nowhere,
`:lines:` by the file's own line numbers, a bad listing option failing that listing only, a
title shown once, and numbering that runs through the whole book."""

from __future__ import annotations

import re
from pathlib import Path

from tracekit.chapter import Ref, parse_chapter
from tracekit.site import Reporter, build


def test_a_bad_listing_option_fails_that_listing_and_the_chapter_is_still_read() -> None:
    ch = parse_chapter(
        "c.md",
        "Before.\n\n```{listing} a.py\n:line: 3\n:hide-listing: yes\n```\n\nBetween.\n\n```{listing} b.py\n:lines: 5-2\n```\n\nAfter.\n\n```{listing} c.py\n:hide-intro:\n```\n",
    )
    assert [(e.target, e.errors) for e in ch.embeds] == [
        ("a.py", [(4, "unknown listing option :line: (known: :lines:, :hide-listing:, :hide-intro:, :caption:)"), (5, ":hide-listing: takes no value")]),
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
    assert failed.lines() == [f"{failed.display}:6: unknown listing option :line: (known: :lines:, :hide-listing:, :hide-intro:, :caption:)"]
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
