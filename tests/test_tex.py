"""Math that is right or says so: every allowlisted TeX command and environment is pinned to the
exact MathML it gives, and TeX outside the allowlist is shown as TeX with a warning naming its line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tracekit.render.markup import math_html, render_markdown, render_rst
from tracekit.render.tex import COMMANDS, ENVIRONMENTS, GROUPS

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "tex_golden.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("group", sorted(GOLDEN["commands"]))
def test_each_command_group_gives_its_golden_mathml(group: str) -> None:
    tex, html = GOLDEN["commands"][group]
    assert str(math_html(tex)) == html


@pytest.mark.parametrize("environment", sorted(GOLDEN["environments"]))
def test_each_environment_gives_its_golden_mathml(environment: str) -> None:
    tex, html = GOLDEN["environments"][environment]
    warnings: list[str] = []
    assert str(math_html(tex, display=True, warnings=warnings)) == html
    assert warnings == []


def test_every_allowlisted_command_and_environment_is_pinned_by_a_golden() -> None:
    for group, commands in GROUPS.items():
        tex = GOLDEN["commands"][group][0]
        assert commands <= set(re.findall(r"\\(?:[A-Za-z]+|.)", tex)), group
    assert COMMANDS - {"\\ "} == frozenset().union(*GROUPS.values())
    assert ENVIRONMENTS <= set(GOLDEN["environments"])


def test_aligned_rows_are_a_table_of_right_and_left_cells_not_a_literal_ampersand() -> None:
    html = str(math_html(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", display=True))
    mathml = html.split("<math", 1)[1]
    assert "&amp;" not in mathml and "<mi>&</mi>" not in mathml
    row = '<mtr><mtd columnalign="right"><mrow><mi>{}</mi></mrow></mtd><mtd columnalign="left"><mrow><mi></mi><mo>=</mo><mi>{}</mi></mrow></mtd></mtr>'
    assert '<mtable displaystyle="true" columnspacing="0em" rowspacing="3pt">' + row.format("a", "b") + row.format("c", "d") + "</mtable>" in html


def test_matrix_delimiters_stretch() -> None:
    html = str(math_html(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"))
    assert '<mrow><mo fence="true" stretchy="true" symmetric="true" form="prefix">(</mo><mtable>' in html
    assert '</mtable><mo fence="true" stretchy="true" symmetric="true" form="postfix">)</mo></mrow>' in html


@pytest.mark.parametrize(
    ("tex", "why"),
    [
        (r"\tag{1} x", r"unknown command \tag"),
        (r"\begin{array}{cc} a & b \end{array}", "unknown environment array"),
        (r"\style{color:red}{x}", r"unknown command \style"),
        (r"\not= b", r"unknown command \not"),
        ("a & b", "& outside an alignment environment"),
        (r"\frac{a \\ b}{c}", r"\\ inside braces, outside an environment"),
        (r"\begin{aligned} a \end{cases}", r"\begin{aligned} ended by \end{cases}"),
        (r"\Big\uparrow", r"sized delimiter \uparrow"),
    ],
)
def test_tex_outside_the_allowlist_is_shown_as_tex_and_warned(tex: str, why: str) -> None:
    warnings: list[str] = []
    html = str(math_html(tex, warnings=warnings, where="line 4 of the text"))
    assert html == f'<code class="tex">{tex.replace("&", "&amp;")}</code>'
    assert warnings == [f"math {' '.join(tex.split())!r} on line 4 of the text could not be converted to MathML ({why}); shown as TeX"]


def test_display_tex_outside_the_allowlist_is_a_code_block() -> None:
    assert str(math_html(r"\tag{1} x", display=True)) == r'<pre class="tex"><code class="tex">\tag{1} x</code></pre>'


def test_the_build_warning_names_the_line_in_markdown_and_rst() -> None:
    out = render_markdown("Intro.\n\n$$\n\\begin{array}{c} x \\end{array}\n$$\n")
    assert out.warnings == [
        "math '\\\\begin{array}{c} x \\\\end{array}' on line 3 of the text could not be converted to MathML (unknown environment array); shown as TeX"
    ]
    assert '<pre class="tex"><code class="tex">\\begin{array}{c} x \\end{array}</code></pre>' in out
    rst = render_rst("Text.\n\n.. math::\n\n   \\tag{2} y\n")
    assert rst.warnings == [
        "reStructuredText: line 3 of the text block: math '\\\\tag{2} y' could not be converted to MathML (unknown command \\tag); shown as TeX"
    ]
