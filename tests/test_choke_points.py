"""The choke points every renderer uses: the MathML allowlist, the URL policy, prose limits."""

from __future__ import annotations

import latex2mathml.converter
import pytest

from tracekit.render.markup import math_html, render_markdown, render_rst, render_rst_blocks
from tracekit.render.mathml import clean_mathml
from tracekit.render.text import MAX_PROSE_CHARS
from tracekit.render.urls import allowed

MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">'


# ── MathML ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("tex", "shown"),
    [
        (r"\text{<script>alert(1)</script>}", "<mtext>&lt;script&gt;alert(1)&lt;/script&gt;</mtext>"),
        (r"\mbox{<img src=x onerror=alert(1)>}", "<mtext>&lt;img\xa0src=x\xa0onerror=alert(1)&gt;</mtext>"),
        (r"\textbf{<b>x</b>}", "&lt;b&gt;x&lt;/b&gt;</mtext>"),
        (r"\textrm{<i>1</i>} x", "<mtext>&lt;i&gt;1&lt;/i&gt;</mtext>"),
        (r"\text{<!-- c -->}", "<mtext>&lt;!--\xa0c\xa0--&gt;</mtext>"),
    ],
)
def test_tags_in_text_commands_are_shown_as_the_characters_written(tex: str, shown: str) -> None:
    html = str(math_html(tex))
    assert shown in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html


@pytest.mark.parametrize(
    "tex",
    [r"\style{position:fixed;background:url(http://x.test/a)}{x}", r"\class{nav}{x}", r"\href{javascript:alert(1)}{x}", r"\style{\" onload=\"alert(1)}{x}"],
)
def test_style_class_href_and_event_attributes_are_dropped(tex: str) -> None:
    assert str(math_html(tex)).startswith('<code class="tex">\\')  # outside the TeX allowlist: shown as written
    html = clean_mathml(latex2mathml.converter.convert(tex))  # had it passed, the MathML allowlist drops them
    assert MATH + "<mrow><mrow>" in html and "<mi>x</mi>" in html
    for word in ("style=", "class=", "href", "onload", "javascript", "http://x.test"):
        assert word not in html.split("<math", 1)[1], word


def test_colors_and_sizes_keep_only_checked_values() -> None:
    assert '<mstyle mathcolor="red">' in str(math_html(r"\color{red}{x}"))
    assert '<mstyle mathcolor="#ff0000">' in str(math_html(r"\color{#ff0000}{x}"))
    assert "<mstyle><mrow><mi>x</mi>" in str(math_html(r"\color{red;background:url(x)}{x}"))
    assert "<mspace></mspace>" in str(math_html(r"\hspace{99999em}"))  # no page-wide space
    assert '<mspace width="1em"></mspace>' in str(math_html(r"\hspace{1em}"))


def test_the_sanitizer_rebuilds_any_fragment_into_one_math_element() -> None:
    assert clean_mathml('<svg onload="alert(1)"><mi>x</mi>') == (
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mtext>&lt;svg onload="alert(1)"&gt;</mtext><mi>x</mi></math>'
    )
    out = clean_mathml('<math xmlns="http://evil.test" display="block" onclick="x"><mrow><mtext></mtext></math><script>alert(1)</script>')
    assert out == '<math display="block"><mrow><mtext></mtext><mtext>&lt;script&gt;alert(1)&lt;/script&gt;</mtext></mrow></math>'
    assert clean_mathml("<math><annotation-xml><foreignObject><iframe src=x></iframe>") == (
        "<math><mtext>&lt;annotation-xml&gt;&lt;foreignObject&gt;&lt;iframe src=x&gt;&lt;/iframe&gt;</mtext></math>"
    )


def test_benign_math_is_unchanged_but_for_spelling_characters_out() -> None:
    assert str(math_html(r"\frac{1}{n}")) == (
        '<span class="math" role="math" aria-label="\\frac{1}{n}">'
        + MATH
        + "<mrow><mfrac><mrow><mn>1</mn></mrow><mrow><mi>n</mi></mrow></mfrac></mrow></math></span>"
    )
    assert MATH + "<mrow><mi>ℝ</mi></mrow></math>" in str(math_html(r"\mathbb{R}"))
    assert "<mo>&lt;</mo>" in str(math_html("a < b"))


def test_every_route_to_math_goes_through_the_allowlist() -> None:
    evil = r"\text{<script>alert(1)</script>}"
    routes = [
        render_markdown(f"$$ {evil} $$"),
        render_markdown(f"# Heading ${evil}$"),
        render_markdown(f"a note ${evil}$", inline=True),
        render_rst(f":math:`{evil}`"),
        render_rst(f".. math::\n\n   {evil}\n"),
        render_rst(f"Title :math:`{evil}`\n=====================================\n\ntext\n"),
    ]
    for html in routes:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, html
        assert "<script" not in html, html


def test_a_math_warning_names_the_line_and_quotes_a_short_part() -> None:
    tex = r"\notacommand " + "x" * 500
    out = render_markdown(f"first\n\nsecond ${tex}$")
    assert out.warnings == [
        "math '\\\\notacommand " + "x" * 46 + "…' on line 3 of the text could not be converted to MathML (unknown command \\notacommand); shown as TeX"
    ]


# ── URLs ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "javascript&colon;alert(1)",
        "&#106;avascript:alert(1)",
        " \x01javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "DATA:image/svg+xml,x",
        "file:///etc/passwd",
        "/etc/passwd",
        "//evil.test/x",
        "\\\\evil.test\\x",
        "c:/Windows",
    ],
)
def test_the_url_policy_refuses(url: str) -> None:
    assert allowed(url) is False


@pytest.mark.parametrize(
    "url", ["https://pytorch.org/docs", "HTTP://x.test", "mailto:a@b.test", "#top", "?q=1", "other.py", "part/x.html#a", "../up.md", "a%20b.csv"]
)
def test_the_url_policy_allows(url: str) -> None:
    assert allowed(url) is True


def test_relative_links_may_not_climb_out_of_the_site() -> None:
    assert allowed("../x.html", depth=1) and not allowed("../../x.html", depth=1)
    assert not allowed("%2e%2e/x.html", depth=0) and not allowed("a/../../x.html", depth=0)
    assert not allowed("mailto:a@b.test", image=True)


def test_rst_links_follow_the_url_policy_and_say_so() -> None:
    out = render_rst(
        "`one <javascript:alert(1)>`_, `two <JAVA&#x09;SCRIPT:alert(2)>`_, `three`_, `ok <https://pytorch.org>`_\n\n"
        ".. _three: data:text/html,<script>alert(3)</script>\n\nvbscript:x and data:text/html,x\n"
    )
    assert 'href="' in out and out.count('href="') == 1 and 'href="https://pytorch.org"' in out
    assert "<span>one</span>" in out and "<span>three</span>" in out
    assert "javascript" not in out.lower() and "data:" not in out.split("</p>")[0]
    assert len(out.warnings) == 3 and all("is not allowed" in w for w in out.warnings)
    assert out.warnings[0].startswith("reStructuredText: line 1 of the text block: link target 'javascript:alert(1)'")


def test_markdown_links_follow_the_same_policy() -> None:
    out = render_markdown("[a](javascript&colon;alert(1)) [b](/etc/passwd) [c](//evil.test) <vbscript:x> [d](x.py)")
    assert out.count("<a ") == 1 and '<a href="x.py">d</a>' in out


# ── limits ───────────────────────────────────────────────────────────────────


def test_a_long_chapter_is_not_cut() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "word " * 20 for i in range(2000))  # ~230,000 characters
    assert len(text) > 200_000
    out = render_markdown(text)
    assert "Paragraph 1999 " in out and out.warnings == [] and "more characters" not in out


def test_prose_past_the_limit_is_cut_with_a_marker_and_a_warning() -> None:
    line = "x" * 99 + "\n"
    out = render_markdown(line * (MAX_PROSE_CHARS // 100 + 10))
    assert out.warnings == [f"prose is shown up to {MAX_PROSE_CHARS:,} characters per file; 1,000 more characters are left out"]
    assert "<p>… (1,000 more characters not shown)</p>" in out


def test_rst_blocks_share_one_limit_per_file() -> None:
    block = "abc\n\n" * 60_000  # 300,000 characters
    out = render_rst_blocks([block] * 4)
    assert [len(r.warnings) for r in out] == [0, 0, 0, 1]
    assert out[3].warnings[0] == f"prose is shown up to {MAX_PROSE_CHARS:,} characters per file; 200,000 more characters are left out"
    assert "<p>… (200,000 more characters not shown)</p>" in out[3]
    assert str(out[3]).count("<p>abc</p>") == 20_000


# ── notebooks ────────────────────────────────────────────────────────────────


def test_notebook_markdown_cells_hold_run_values_as_text_and_no_refused_links(tmp_path) -> None:
    from markdown_it import MarkdownIt

    from tracekit.book.notebook import notebook
    from tracekit.source import read_example

    source = '"""Title\n\nSee [home](javascript:alert(1)).\n"""\nv = 1\n#: The value is {v}, in code `{v}`.\nx = 1\n'
    (tmp_path / "ex.py").write_text(source)
    example = read_example(tmp_path / "ex.py", tmp_path)
    evil = "<img src=x onerror=alert(1)> *bold* [l](https://x.test)"
    trace = {"lines": [{"line": 7, "records": [{"hit": 0, "probes": {"v": evil}, "events": []}]}]}
    cells = [c for c in notebook(example, trace, source)["cells"] if c["cell_type"] == "markdown"]
    head, prose = "".join(cells[0]["source"]), "".join(cells[1]["source"])
    assert head == "# Title\n\nSee [home]\\(javascript:alert(1))."
    assert prose == (
        "The value is \\<img src=x onerror=alert(1)\\> \\*bold\\* \\[l\\](https://x.test), in code `<img src=x onerror=alert(1)> *bold* [l](https://x.test)`."
    )
    html = MarkdownIt("commonmark").render(head + "\n\n" + prose)  # as a notebook viewer reads it
    assert "<img" not in html and "<em>" not in html and "<a " not in html
    assert "The value is &lt;img src=x onerror=alert(1)&gt; *bold* [l](https://x.test)," in html


def test_a_markdown_link_the_policy_refuses_is_text_and_a_warning_naming_its_line() -> None:
    from tracekit.render.markup import render_markdown

    rendered = render_markdown("Intro.\n\nSee [the docs](javascript:alert(1)), [ok](https://example.org) and ![p](data:image/png;base64,AA).\n")
    assert "<a" in str(rendered) and 'href="https://example.org"' in str(rendered)
    assert "javascript:" not in str(rendered).split("[the docs](")[0]  # refused: left as the text the author typed
    assert rendered.warnings == [
        "Markdown: line 3: link target 'javascript:alert(1)' is not allowed (only http, https, mailto and relative links within the site); shown as text",
        "Markdown: line 3: link target 'data:image/png;base64,AA' is not allowed (only http, https, mailto and relative links within the site); shown as text",
    ]
    assert render_markdown("A plain [link](https://example.org) and a < b.\n").warnings == []
