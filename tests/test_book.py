"""Chapters and books: front matter, embedded listings, order, navigation, downloads, incremental builds."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from helpers import ROOT

from tracekit.book.chapter import ChapterError, front_matter, parse_chapter
from tracekit.book.model import Book, Page, natural_key, part_header, reading_minutes
from tracekit.book.view import markup
from tracekit.config import load_config
from tracekit.site import MANIFEST_NAME, Reporter, build, check, merge

QUIET = Reporter(verbosity=-1)


def write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def ids(html: str) -> list[str]:
    """The ids of the document: a recorded run's region in a <template> is not part of it until swapped in."""
    kept, depth, at = [], 0, 0
    for m in re.finditer(r"<template\b|</template>", html):  # templates nest (a hit's prose in a run's region)
        if m.group() == "</template>":
            depth -= 1
            at = m.end() if depth == 0 else at
        else:
            kept.append(html[at : m.start()] if depth == 0 else "")
            depth += 1
    kept.append(html[at:])
    return re.findall(r'\sid="([^"]+)"', "".join(kept))


# ── front matter and chapters ───────────────────────────────────────────────


def test_front_matter_is_key_value_lines_without_yaml() -> None:
    meta, n = front_matter("c.md", "---\ntitle: A: colon\ndescription: 'quoted'\n# a comment\n---\nbody\n")
    assert meta == {"title": "A: colon", "description": "quoted"} and n == 5
    assert front_matter("c.md", "no front matter\n") == ({}, 0)


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("---\ntitle: x\nnot a pair\n---\n", 3, "not `key: value`"),
        ("---\ntitle: x\ntitle: y\n---\n", 3, "sets 'title' twice"),
        ("---\ntitle: x\n", 1, "no closing `---`"),
    ],
)
def test_bad_front_matter_names_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ChapterError) as err:
        parse_chapter("book/c.md", text)
    assert err.value.line == line and message in err.value.message and str(err.value).startswith(f"book/c.md:{line}:")


def test_listing_fences_with_options_split_the_prose() -> None:
    ch = parse_chapter(
        "part/c.md",
        "# Title here\n\nIntro {not a placeholder}.\n\n```{listing} ../a.py\n:lines: 3-5, 9\n:hide-listing:\n:caption: *Look*\n```\n\nMiddle.\n\n"
        "````markdown\n```{listing} shown_as_text.py\n```\n````\n\n~~~{listing} sub/b.py\n~~~\n",
    )
    assert ch.title == "Title here"
    assert [(e.target, e.line, e.lines, e.hide_listing, e.caption) for e in ch.embeds] == [
        ("a.py", 5, [(3, 5), (9, 9)], True, "*Look*"),
        ("part/sub/b.py", 18, None, False, ""),
    ]
    assert "{not a placeholder}" in ch.prose and "shown_as_text.py" in ch.prose


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("text\n\n```{listing} a.py\n", 3, "never closed"),
        ("```{listing}\n```\n", 1, "needs the path"),
        ("```{listing} notes.txt\n```\n", 1, "not a path to an example"),
        ("```{listing} ../../x.py\n```\n", 1, "not a path to an example"),
    ],
)
def test_bad_listing_fences_name_the_line(body: str, line: int, message: str) -> None:
    with pytest.raises(ChapterError) as err:
        parse_chapter("c.md", body)
    assert err.value.line == line and message in err.value.message


def test_chapter_title_falls_back_to_the_file_name() -> None:
    assert parse_chapter("03-the_end.md", "Just prose.\n").title == "The end"


# ── prose ───────────────────────────────────────────────────────────────────


def test_markup_renders_tables_math_and_keeps_raw_html_as_text() -> None:
    html = markup("| a | b |\n|---|---|\n| 1 | 2 |\n\n$\\sigma(z) = \\frac{1}{1+e^{-z}}$ <script>x</script> {braces}\n\n$$x^2$$\n")
    assert "<table>" in html and "<td>2</td>" in html
    assert "<mfrac>" in html and 'display="block"' in html and "<msup>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html and "{braces}" in html


def test_markup_link_map_rewrites_targets() -> None:
    html = markup("[a](x.py) [b](https://e.org/y.py) [c](javascript:alert(1))", link=lambda h: h.replace(".py", ".html") if "://" not in h else h)
    assert 'href="x.html"' in html and 'href="https://e.org/y.py"' in html and 'href="javascript' not in html


# ── the book ────────────────────────────────────────────────────────────────


def test_natural_sort_puts_2_before_10() -> None:
    assert sorted(["10-y.py", "2-x.py", "1-a/3.py", "1-a/20.py"], key=natural_key) == ["1-a/3.py", "1-a/20.py", "2-x.py", "10-y.py"]


def test_reading_time_rule() -> None:
    assert reading_minutes(0, 0) == 1
    assert reading_minutes(400, 0) == 2
    assert reading_minutes(200, 40) == 3  # 1 minute of prose + 2 of code


def _book(order: tuple[str, ...] = ()) -> Book:
    pages = [
        Page("10-last.py", "Last", "10-last.html", "example"),
        Page("2-first.py", "First", "2-first.html", "example"),
        Page("basics/ch.md", "Chapter", "basics/ch.html", "chapter", embeds=["basics/a.py", "basics/b.py"]),
        Page("basics/a.py", "A", "basics/a.html", "example"),
        Page("basics/b.py", "B", "basics/b.html", "example"),
        Page("basics/z.py", "Z", "basics/z.html", "example"),
    ]
    return Book(pages, order=order, headers={"basics": ("The basics", "Start *here*.")})


def test_book_order_parts_and_embedded_examples() -> None:
    book = _book()
    assert [p.rel for p in book.sections] == ["2-first.py", "10-last.py", "basics/ch.md", "basics/z.py"]
    assert [(part.title, part.number) for part in book.parts] == [("", 1), ("The basics", 2)]
    assert [p.rel for p in book.children(book.pages["basics/ch.md"])] == ["basics/a.py", "basics/b.py"]
    nav = book.nav("basics/ch.md")
    assert (nav.section, nav.total, nav.prev.rel, nav.next.rel) == (3, 4, "10-last.py", "basics/z.py")  # its listings are read in it
    a = book.nav("basics/a.py")
    assert (a.section, a.up.rel, a.prev.rel, a.next.rel) == (3, "basics/ch.md", "basics/ch.md", "basics/b.py")
    assert book.nav("basics/b.py").next.rel == "basics/z.py"
    assert book.nav("2-first.py").prev is None and book.nav("basics/z.py").next is None


def test_order_globs_come_first() -> None:
    book = _book(order=("basics/*", "10-*"))
    assert [p.rel for p in book.sections] == ["basics/ch.md", "basics/z.py", "10-last.py", "2-first.py"]


def test_part_header_from_readme() -> None:
    assert part_header("# Basics\n\nWhere to start.\n") == ("Basics", "Where to start.")
    assert Book([Page("my_part/x.py", "X", "my_part/x.html", "example")]).parts[0].title == "My part"


# ── building a book ─────────────────────────────────────────────────────────

EXAMPLE_A = '''
"""Counting

A loop that adds up.
"""
total = 0
#: Each pass adds `i`; the total is printed. [The chapter](../1-intro.md) embeds this.
for i in range(3):
    total += i
    print(total)
#: The sum is {total}.
total
'''

EXAMPLE_B = '''
"""Doubling

Twice a number.
"""
#: Two times {n}.
n = 21
base = 2  # tracekit: hide
print(n * base)
#: This line raises on purpose.
# tracekit: raises=ZeroDivisionError
1 / 0
'''

CHAPTER = """
---
title: A tiny book
description: Two listings and some math.
---

Prose with $\\sigma(z) = \\frac{1}{1+e^{-z}}$, {braces} and a [link](part/a.py).

| x | y |
|---|---|
| 1 | 2 |

```{listing} part/a.py
```

Between the listings.

```{listing} b.py
:lines: 5-8
:hide-listing:
```
"""


@pytest.fixture
def book_dir(tmp_path: Path) -> Path:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.tracekit]\nexamples = "ex"\noutput = "out"\ntitle = "Tiny"\ndescription = "A *small* book."\n',
            "ex/1-intro.md": CHAPTER,
            "ex/part/a.py": EXAMPLE_A,
            "ex/b.py": EXAMPLE_B,
            "ex/part/README.md": "# The part\n\nIts intro.\n",
            "ex/9-alone.py": '"""Alone\n\nOn its own.\n"""\nx = 1\n',
        },
    )
    return tmp_path


def _build(d: Path, **kw):
    cfg = load_config(pyproject=d / "pyproject.toml")
    return build(config=cfg, reporter=QUIET, **kw)


def _check(d: Path):
    return check(config=load_config(pyproject=d / "pyproject.toml"))


def test_chapter_page_embeds_listings_with_unique_ids(book_dir: Path) -> None:
    result = _build(book_dir)
    assert result.exit_status == 0
    out = book_dir / "out"
    html = (out / "1-intro.html").read_text()
    dup = [k for k, n in Counter(ids(html)).items() if n > 1]
    assert dup == []
    assert 'id="x1-L3"' in html and 'id="x2-cards"' in html and 'href="#x1-line-' in html
    assert html.count('class="listing-pane"') == 1  # :hide-listing: on the second
    assert "<mfrac>" in html and "<table>" in html and "{braces}" in html
    assert '<a href="part/a.html">link</a>' in html  # a link to a source goes to its page
    assert '<a href="part/a.html">a.py</a>' in html  # the listing header links the example's page
    assert '<a href="1-intro.html">The chapter</a>' in html  # the embedded example's own prose link, from here
    # :lines: 5-8 of b.py (the file's line numbers): not line 11, which raises
    second = html.split('id="x2-listing"')[1]
    assert "Two times" in second and "This line raises on purpose" not in second
    assert "Section 1 of 2" in html and "1 min read" in html


def test_index_is_a_table_of_contents(book_dir: Path) -> None:
    _build(book_dir)
    index = (book_dir / "out" / "index.html").read_text()
    assert "<title>Tiny</title>" in index and "<em>small</em>" in index
    main = index.split('<main class="toc toc-index"')[1].split("</main>")[0]
    titles = re.findall(r'<a href="([^"]+)">([^<]+)</a>', main)
    # the chapter, its two examples under it, then the example embedded nowhere
    assert titles == [("1-intro.html", "A tiny book"), ("part/a.html", "Counting"), ("b.html", "Doubling"), ("9-alone.html", "Alone")]


HOSTILE = "</script><script>alert(1)</script>"


def test_the_index_lists_each_example_with_its_status_first_paragraph_and_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit import run as run_mod

    real = run_mod.trace_file

    def no_gpu(script, *args, options=None, **kw):  # the same on a machine with one
        if options is not None and options.device == "cuda":
            raise run_mod.DeviceUnavailable("device 'cuda' is not available: torch sees no CUDA device")
        return real(script, *args, options=options, **kw)

    monkeypatch.setattr(run_mod, "trace_file", no_gpu)
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.tracekit]\nexamples = "ex"\noutput = "out"\ntitle = "Examples"\n',
            "ex/autograd/first_gradient.py": '"""Your First Automatic Gradient\n\nWe compute y.\nMore.\n\nLater.\n"""\ny = 2 * 3\n',
            "ex/autograd/descent.py": '"""Descent\n\nFit `w`.\n"""\nw = 1\nraise ValueError("on purpose")  # tracekit: raises=ValueError\n',
            "ex/broken.py": f'"""{HOSTILE}"""\nraise ValueError("no")\n',
            "ex/gpu.py": '"""GPU only"""\n# tracekit: device=cuda\nx = 1\n',
            "ex/a dir/javascript:x?.py": "x = 1\n",
        },
    )
    result = build(config=load_config(pyproject=tmp_path / "pyproject.toml"), reporter=QUIET)
    statuses = {o.path: o.status for o in result.outcomes}
    assert statuses == {
        "a dir/javascript:x?.py": "ok",
        "autograd/descent.py": "expected error",
        "autograd/first_gradient.py": "ok",
        "broken.py": "failed",
        "gpu.py": "skipped",
    }
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<link rel="stylesheet" href="assets/tracekit\.[0-9a-f]{8}\.css">', index)
    assert "5 examples · 2 ok · 1 expected error · 1 failed · 1 skipped" in re.sub(r"<[^>]+>", "", index)
    main = index.split('<main class="toc toc-index"')[1].split("</main>")[0]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', main)
    assert links == [
        ("broken.html", "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),  # the title is text, not markup
        ("a%20dir/javascript%3Ax%3F.html", "Javascript:x?"),  # file names in links are percent-encoded
        ("autograd/descent.html", "Descent"),
        ("autograd/first_gradient.html", "Your First Automatic Gradient"),
    ]
    assert "<script>alert" not in index
    # skipped: listed, with no page to link
    assert re.search(r'<li class="toc-i toc-example toc-skipped"><span>[^<]+</span><span class="toc-m">1 min · skipped</span>', main)
    assert "gpu.html" not in main and not (tmp_path / "out" / "gpu.html").exists()
    assert '<h2 class="toc-pt">A dir</h2>' in main and '<h2 class="toc-pt">Autograd</h2>' in main
    # an example's first paragraph, its lines joined
    assert '<div class="toc-d"><p>We compute y. More.</p></div>' in main and "Later." not in main
    assert '<div class="toc-d"><p>Fit <code>w</code>.</p></div>' in main
    rebuilt = build(config=load_config(pyproject=tmp_path / "pyproject.toml"), reporter=QUIET)
    assert rebuilt.exit_status == result.exit_status and (tmp_path / "out" / "index.html").read_text(encoding="utf-8") == index


def test_example_pages_have_navigation_and_downloads(book_dir: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    _build(book_dir)
    out = book_dir / "out"
    page = (out / "part" / "a.html").read_text()
    assert "Section 1 of 2 · listing 1 of 2" in page
    assert '<a href="../1-intro.html">The chapter</a>' in page  # a link to a .md in an example's prose
    assert '<a href="../1-intro.html">A tiny book</a>' in page  # up to the chapter
    assert 'rel="next" href="../b.html"' in page and 'rel="prev" href="../1-intro.html"' in page
    assert 'href="../downloads/part/a.py" download' in page and 'href="../downloads/part/a.ipynb" download' in page
    assert (out / "downloads/part/a.py").read_bytes() == (book_dir / "ex/part/a.py").read_bytes()
    alone = (out / "9-alone.html").read_text()
    assert "Section 2 of 2" in alone and 'rel="prev" href="1-intro.html"' in alone and 'rel="next"' not in alone
    # every relative link on every page resolves to a file
    for html in out.rglob("*.html"):
        for href in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', html.read_text()):
            assert (html.parent / href).exists(), (html, href)
    nb = nbformat.read(out / "downloads/b.ipynb", as_version=4)
    nbformat.validate(nb)
    cells = nb.cells
    assert cells[0].source.startswith("# Doubling")
    assert any(c.cell_type == "markdown" and "Two times 21." in c.source for c in cells)
    raising = [c for c in cells if c.cell_type == "code" and "1 / 0" in c.source]
    assert raising[0].metadata.tags == ["raises-exception"] and raising[0].outputs[-1].ename == "ZeroDivisionError"
    printed = [c for c in cells if c.cell_type == "code" and "print(n * base)" in c.source]
    assert printed[0].outputs[0].text == "42\n"
    assert "base = 2  # tracekit: hide" in printed[0].source  # hidden on the page, needed by the code
    nb_a = nbformat.read(out / "downloads/part/a.ipynb", as_version=4)
    nbformat.validate(nb_a)
    loop = [c for c in nb_a.cells if c.cell_type == "code" and "for i" in c.source][0]
    assert loop.outputs[0].text == "0\n1\n3\n"
    last = [c for c in nb_a.cells if c.cell_type == "code" and c.source.strip() == "total"][0]
    assert last.outputs[0].data["text/plain"] == "3"
    assert any(c.cell_type == "markdown" and "The sum is 3." in c.source for c in nb_a.cells)


def test_editing_a_chapter_rerenders_without_running(book_dir: Path) -> None:
    _build(book_dir)
    assert _check(book_dir).problems == []
    ch = book_dir / "ex/1-intro.md"
    ch.write_text(ch.read_text().replace("Between the listings.", "Now the second listing."))
    problems = _check(book_dir).problems
    assert any(p.kind == "stale" and p.path.endswith("1-intro.md") for p in problems)
    result = _build(book_dir)
    assert [o.path for o in result.ran] == []
    assert result.written == ["1-intro.html", "search-index.js"]  # no other page's navigation changed; the index holds its text
    assert "Now the second listing." in (book_dir / "out/1-intro.html").read_text()
    assert _check(book_dir).problems == []


def test_editing_an_example_rerenders_its_chapter_and_runs_only_it(book_dir: Path) -> None:
    _build(book_dir)
    a = book_dir / "ex/part/a.py"
    a.write_text(a.read_text().replace("range(3)", "range(4)"))
    assert any(p.path.endswith("1-intro.md") for p in _check(book_dir).problems)
    result = _build(book_dir)
    assert [o.path for o in result.ran] == ["part/a.py"]
    assert 'The sum is <span class="from-run" title="from the run: total">6</span>' in (book_dir / "out/1-intro.html").read_text()


def test_adding_a_page_changes_navigation_without_running(book_dir: Path) -> None:
    _build(book_dir)
    write(book_dir, {"ex/0-preface.md": "# Preface\n\nHello.\n"})
    assert any(p.path.endswith("index.html") or p.path.endswith("0-preface.html") for p in _check(book_dir).problems)
    result = _build(book_dir)
    assert [o.path for o in result.ran] == []
    assert "Section 2 of 3" in (book_dir / "out/1-intro.html").read_text()
    assert 'rel="prev" href="0-preface.html"' in (book_dir / "out/1-intro.html").read_text()
    assert _check(book_dir).problems == []
    (book_dir / "ex/0-preface.md").unlink()
    _build(book_dir)
    assert not (book_dir / "out/0-preface.html").exists() and _check(book_dir).problems == []


def test_missing_embed_fails_the_chapter_naming_chapter_and_line(book_dir: Path) -> None:
    ch = book_dir / "ex/1-intro.md"
    ch.write_text(ch.read_text().replace("```{listing} b.py", "```{listing} nope.py"))
    result = _build(book_dir)
    assert result.exit_status == 1
    [failed] = result.failed
    assert failed.path == "1-intro.md" and failed.lines() == [
        f"{failed.display}:17: embeds nope.py, which is not an example here (no such file, a helper, or excluded)"
    ]
    assert "This listing cannot be shown" in (book_dir / "out/1-intro.html").read_text()
    assert any(p.kind == "failing" and p.path.endswith("1-intro.md:17") for p in _check(book_dir).problems)


def test_failing_embedded_example_fails_the_chapter_naming_both(book_dir: Path) -> None:
    b = book_dir / "ex/b.py"
    b.write_text(b.read_text().replace("# tracekit: raises=ZeroDivisionError\n", ""))
    result = _build(book_dir)
    assert result.exit_status == 1
    by_path = {o.path: o for o in result.failed}
    assert set(by_path) == {"b.py", "1-intro.md"}
    assert by_path["1-intro.md"].failures[0].message.startswith("embeds b.py, which failed: ZeroDivisionError")


def test_shards_run_examples_only_and_merge_writes_the_book(book_dir: Path) -> None:
    cfg = load_config(pyproject=book_dir / "pyproject.toml")
    folders = []
    for i in (1, 2):
        out = book_dir / f"shard-{i}"
        build(config=cfg, output=out, shard=f"{i}/2", reporter=QUIET)
        assert not (out / "1-intro.html").exists() and not (out / "index.html").exists()
        folders.append(out)
    site = book_dir / "site"
    result = merge(folders, output=site, config=cfg, reporter=QUIET)
    assert result.exit_status == 0
    assert "Section 1 of 2" in (site / "1-intro.html").read_text() and "Section 1 of 2" in (site / "part/a.html").read_text()
    assert json.loads((site / MANIFEST_NAME).read_text())["site"]["chapters"]["1-intro.md"]["status"] == "ok"


# ── the seed chapter ────────────────────────────────────────────────────────

SEED = [
    "numpy_to_pytorch",
    "pytorch_operations",
    "first_gradient",
    "graph_of_a_polynomial",
    "neuron_comparison",
    "one_step_of_learning",
    "learning_rate_regimes",
]


def test_introduction_to_pytorch_chapter_shows_the_runs_numbers(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    ex = tmp_path / "ex"
    ex.mkdir()
    for name in SEED:
        shutil.copy(ROOT / "examples" / f"{name}.py", ex)
    shutil.copy(ROOT / "examples" / "introduction_to_pytorch.md", ex)
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\n')
    result = build(config=load_config(pyproject=tmp_path / "pyproject.toml"), reporter=QUIET)
    assert result.exit_status == 0, [o.lines() for o in result.failed]
    html = (tmp_path / "out/introduction_to_pytorch.html").read_text()
    embedded = re.findall(r'<p class="embed-f">.*?<a href="([^"]+)\.html">', html)
    assert embedded == SEED
    assert [k for k, n in Counter(ids(html)).items() if n > 1] == []
    text = re.sub(r"<[^>]+>", "", html)
    assert "[[40.7270, 11.5755, 10.1581]]" in text
    for number in ("1.0081", "1.6204", "1.7839"):
        assert number in text
    assert "<mfrac>" in html and "<table>" in html


def test_readme_first_screen_shows_this_repositorys_book() -> None:
    from tracekit.site import discover
    from tracekit.source import read_example

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- book:")[1].split("<!-- /book -->")[0]
    # the README starts with the two set-up commands, and the book follows on its first screen
    assert text.index("make build") < text.index("<!-- book:")
    assert text[: text.index("<!-- book:")].count("\n") < 40
    lines = block.split("```text\n")[1].split("```")[0].rstrip("\n").split("\n")
    cfg = load_config(pyproject=ROOT / "pyproject.toml")
    pages = []
    for rel in discover(cfg.examples, exclude=cfg.exclude):
        # the title the build gives the page: a docstring's, a percent file's header or first heading
        title = read_example(cfg.examples / rel, cfg.examples).title
        pages.append(Page(rel, title, Path(rel).with_suffix(".html").as_posix(), "example"))
    for md in sorted(cfg.examples.glob("*.md")):
        ch = parse_chapter(md.name, md.read_text(encoding="utf-8"))
        pages.append(Page(md.name, ch.title, md.stem + ".html", "chapter", embeds=[e.target for e in ch.embeds]))
    book = Book(pages, order=cfg.order)
    expected = [cfg.title]
    for n, p in enumerate(book.sections, 1):
        kids = book.children(p) if p.kind == "chapter" else []
        expected.append(f"  {n}. {p.title}" + (f"  chapter, {len(kids)} listings" if p.kind == "chapter" else ""))
        expected.extend(f"       {k.title}" for k in kids)
    assert [" ".join(line.split()) for line in lines] == [" ".join(line.split()) for line in expected]


def test_the_small_book_in_the_authoring_guide_builds(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    section = text[text.index("### A complete small book") : text.index("### Chapter files")]
    files = re.findall(r"^`([\w./-]+)`:\n\n(`{3,4})\w*\n(.*?)^\2$", section, re.S | re.M)
    assert len(files) == 7
    for rel, _, body in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body, encoding="utf-8")
    result = build(config=load_config(pyproject=tmp_path / "pyproject.toml"), reporter=QUIET)
    assert result.exit_status == 0, [o.lines() for o in result.failed]
    index = (tmp_path / "site" / "index.html").read_text()
    main = index.split('<main class="toc toc-index"')[1].split("</main>")[0]
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', main) == ["Why gradients?", "The Slope at w = 1", "One Step Downhill", "Some Points", "The Loop"]
    assert '<h2 class="toc-pt">Training</h2>' in main and "From one step to a loop." in main
    chapter = (tmp_path / "site" / "1-why_gradients.html").read_text()
    assert "The slope is about <span" in chapter and "-4.000</span>" in chapter
    assert "One step moves w to <span" in chapter and "Section 1 of 3" in chapter
    assert "2.9654" in (tmp_path / "site" / "2-training" / "10-loop.html").read_text()


def test_shards_sharing_a_folder_get_the_book_from_index_only(book_dir: Path) -> None:
    cfg = load_config(pyproject=book_dir / "pyproject.toml")
    for i in (1, 2):
        build(config=cfg, shard=f"{i}/2", reporter=QUIET)
    assert not (book_dir / "out" / "1-intro.html").exists()
    result = build(config=cfg, index_only=True, reporter=QUIET)
    assert result.exit_status == 0 and "1-intro.md" in [o.path for o in result.outcomes]
    assert "Section 1 of 2" in (book_dir / "out" / "1-intro.html").read_text()
    assert _check(book_dir).problems == []


def test_a_skipped_embedded_example_is_noted_not_failed(book_dir: Path) -> None:
    b = book_dir / "ex/b.py"
    b.write_text("# tracekit: device=cuda:7\n" + b.read_text())
    result = _build(book_dir)
    statuses = {o.path: o.status for o in result.outcomes}
    if statuses["b.py"] != "skipped":
        pytest.skip("this machine has that device")
    assert statuses["1-intro.md"] == "ok" and result.exit_status == 0
    assert "b.py was skipped: the device it needs is not available" in (book_dir / "out/1-intro.html").read_text()


def test_a_foreign_file_in_the_way_of_the_book_stops_it_and_loses_nothing(book_dir: Path) -> None:
    from tracekit.site import BuildError

    foreign = book_dir / "out" / "downloads" / "b.py"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("mine\n")
    with pytest.raises(BuildError, match="refusing to overwrite .*downloads/b.py"):
        _build(book_dir)
    assert foreign.read_text() == "mine\n"
    manifest = json.loads((book_dir / "out" / MANIFEST_NAME).read_text())
    assert manifest["site"]["index_of"] is None and "downloads/b.py" not in manifest["files"]
    foreign.unlink()
    assert _build(book_dir).exit_status == 0 and _check(book_dir).problems == []


def test_the_contents_render_a_gallery_introduction_as_restructuredtext(tmp_path: Path) -> None:
    ex, out = tmp_path / "ex", tmp_path / "out"
    write(
        ex,
        {
            "gallery.py": '"""\nSoftmax\n=======\n\nChecked against :func:`torch.softmax` and ``sum``.\n"""\n\n# %%\n# Compute.\nx = 1\n',
            "plain.py": '"""Plain.\n\nUses `code` and *emphasis*.\n"""\nx = 1\n',
        },
    )
    build([ex], output=out, reporter=Reporter(verbosity=-1))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert ":func:" not in index and "``" not in index
    assert "<code>torch.softmax()</code>" in index and "<code>sum</code>" in index
    assert "<code>code</code>" in index and "<em>emphasis</em>" in index


def test_a_lines_range_that_selects_nothing_fails_that_listing(book_dir: Path) -> None:
    ch = book_dir / "ex/1-intro.md"
    ch.write_text(ch.read_text().replace(":lines: 5-8", ":lines: 1-4, 9-10, 40-50"))
    result = _build(book_dir)
    assert result.exit_status == 1
    [failed] = result.failed
    assert failed.path == "1-intro.md"
    assert [f.message for f in failed.failures] == [
        ":lines: 1-4 selects no line of the listing of b.py (it shows lines 6-11 of the file)",  # the docstring
        ":lines: 9-10 selects no line of the listing of b.py (it shows lines 6-11 of the file)",  # prose and a directive
        ":lines: 40-50 goes past the end of b.py, which has 11 lines",
    ]
    html = (book_dir / "out/1-intro.html").read_text()
    assert html.count("This listing cannot be shown") == 1 and "goes past the end of b.py" in html
    assert 'id="x1-L3"' in html  # the chapter's other listing is shown
    assert any(p.kind == "failing" and p.path.endswith(f"1-intro.md:{failed.failures[0].line}") for p in _check(book_dir).problems)
