"""Prose markup: Markdown and reStructuredText to safe HTML, math as MathML, placeholders kept out of math."""

from __future__ import annotations

import pytest

from tracekit.child.placeholders import Placeholder, literal_spans, split_markdown_prose
from tracekit.render.markup import Heading, math_html, render_markdown, render_rst, render_rst_blocks

MATHML = '<math xmlns="http://www.w3.org/1998/Math/MathML"'


def test_markdown_math_becomes_mathml_and_braces_in_it_stay_tex() -> None:
    out = render_markdown(r"The mean is $\frac{1}{n}\sum_i x_i$, here {m}.", probes={"m": "2.5", "1": "X", "n": "Y"})
    assert MATHML + ' display="inline"><mrow><mfrac><mrow><mn>1</mn></mrow><mrow><mi>n</mi></mrow></mfrac>' in out
    assert '<span class="from-run" title="from the run: m">2.5</span>' in out
    assert "X" not in out and "Y" not in out
    assert out.from_run == 1


def test_display_math_and_fenced_code_keep_braces() -> None:
    out = render_markdown("$$\n\\hat{y} = {w}x\n$$\n\n```\nd = {w}\n```\n\ncode `{w}`", probes={"w": "3"})
    assert MATHML + ' display="block">' in out
    assert "<pre><code>d = {w}\n</code></pre>" in out
    assert '<code><span class="from-run" title="from the run: w">3</span></code>' in out


def test_tables_headings_and_raw_html_off() -> None:
    out = render_markdown("# Data\n\n## Columns\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<b>bold</b>")
    assert '<h2 id="data">Data</h2>' in out and '<h3 id="columns">Columns</h3>' in out
    assert "<td>1</td>" in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out
    assert out.headings == [Heading(2, "Data", "data"), Heading(3, "Columns", "columns")]


def test_bad_tex_is_shown_as_text_and_warned() -> None:
    out = render_markdown(r"see $\notacommand x$ and $\frac{1}{$")
    assert r'<code class="tex">\notacommand x</code>' in out
    assert len(out.warnings) == 2
    assert "could not be converted to MathML" in out.warnings[0]


def test_math_html_label_is_the_tex() -> None:
    assert 'aria-label="x^2"' in math_html("x^2")


def test_literal_spans_cover_math_and_fences_only() -> None:
    text = "a $x^{2}$ b `$c$`\n```\n{x}\n```\n$$\n{y}\n$$ {z} \\$5 and $6"
    spans = [text[s:e] for s, e in literal_spans(text)]
    assert spans == ["$x^{2}$", "```\n{x}\n```\n", "$$\n{y}\n$$"]
    parts = split_markdown_prose("price $5 and {p:.2f} in $\\frac{1}{n}$")
    assert [p.source for p in parts if isinstance(p, Placeholder)] == ["p:.2f"]


def test_rst_roles_literals_math_and_notes() -> None:
    out = render_rst(
        "Use ``x.grad`` and :class:`~torch.Tensor`, see :ref:`the basics <basics>` and :doc:`intro/tensors`.\n\n"
        ".. math::\n\n   y = w x + b\n\n.. note::\n   A *note*.\n\n.. code-block:: python\n\n   x = 1\n"
    )
    assert "<code>x.grad</code>" in out and "<code>Tensor</code>" in out
    assert "see the basics and tensors." in out
    assert MATHML + ' display="block">' in out
    assert 'class="admonition note"' in out and "<em>note</em>" in out
    assert '<span class="m">1</span></code></pre>' in out
    assert ":class:" not in out and ":ref:" not in out and "``" not in out
    assert out.warnings == [
        "reStructuredText: line 1 of the text block: :ref:`basics` points outside this file; shown as text, not linked",
        "reStructuredText: line 1 of the text block: :doc:`intro/tensors` points outside this file; shown as text, not linked",
    ]


def test_rst_unknown_markup_is_text_and_warned() -> None:
    out = render_rst("A :nosuchrole:`x` here.\n\n.. nosuchdirective::\n\n   body\n")
    assert "<code>:nosuchrole:`x`</code>" in out
    assert ".. nosuchdirective::\n\n   body" in out
    assert out.warnings == [
        'reStructuredText: line 1 of the text block: Unknown interpreted text role "nosuchrole"; shown as text',
        'reStructuredText: line 3 of the text block: Unknown directive type "nosuchdirective"; shown as text',
    ]


def test_rst_raw_and_include_are_disabled() -> None:
    out = render_rst(".. raw:: html\n\n   <script>alert(1)</script>\n\n.. include:: /etc/passwd\n")
    assert "<script" not in out and "root:" not in out
    assert len(out.warnings) == 2


def test_rst_blocks_share_one_heading_hierarchy() -> None:
    first, second, third = render_rst_blocks(["Title\n=====\n\nIntro.", "Part\n----\n\nText.", "Other\n=====\n\nMore."])
    assert first.headings == [Heading(2, "Title", "title")]
    assert second == '<h3 id="part">Part</h3><p>Text.</p>'
    assert third.headings == [Heading(2, "Other", "other")]


@pytest.mark.parametrize("directive", ["grid:: 2\n   :gutter: 1", "only:: html", "seealso::"])
def test_rst_sphinx_layout_directives_show_their_content(directive: str) -> None:
    out = render_rst(f".. {directive}\n\n   Inside text.\n")
    assert "Inside text." in out
    assert out.warnings == []


def test_rst_warnings_name_the_block_and_line_they_are_in() -> None:
    first, second = render_rst_blocks(["Fine.", "Text.\n\n.. figure:: /_static/x.png\n   :alt: a graph\n\nSee :math:`\\notatex`."])
    assert first.warnings == []
    assert (
        second.warnings[0] == "reStructuredText: line 3 of the text block: picture /_static/x.png is not copied to the page; its caption or alt text is shown"
    )
    assert "could not be converted to MathML" in second.warnings[1] and second.warnings[1].startswith("reStructuredText: line 6 of the text block")
    assert "<em>[a graph]</em>" in second


def test_a_docutils_warning_keeps_what_it_rendered_without_repeating_the_source() -> None:
    out = render_rst("Attributes of a Tensor\n~~~~~~~~~~~~~~~~~\n\nText.")
    assert out == '<h2 id="attributes-of-a-tensor">Attributes of a Tensor</h2><p>Text.</p>'
    assert out.warnings == ["reStructuredText: line 2 of the text block: Title underline too short; the heading is shown"]


# ── reStructuredText as Sphinx shows it ──────────────────────────────────────


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("note", "Note"),
        ("warning", "Warning"),
        ("tip", "Tip"),
        ("important", "Important"),
        ("caution", "Caution"),
        ("danger", "Danger"),
        ("hint", "Hint"),
        ("attention", "Attention"),
        ("error", "Error"),
    ],
)
def test_an_admonition_is_a_titled_box(kind: str, title: str) -> None:
    out = render_rst(f".. {kind}::\n\n   Mind the *gap*.\n")
    assert out == f'<div class="admonition {kind}">\n<p class="admonition-title">{title}</p>\n<p>Mind the <em>gap</em>.</p>\n</div>'
    assert out.warnings == []


def test_seealso_and_the_generic_admonition_carry_their_titles() -> None:
    assert render_rst(".. seealso:: :func:`numpy.mean`\n") == (
        '<div class="admonition seealso">\n<p class="admonition-title">See also</p>\n<p><code>numpy.mean()</code></p>\n</div>'
    )
    assert render_rst(".. admonition:: Why it works\n\n   Because.\n") == (
        '<div class="admonition admonition-why-it-works">\n<p class="admonition-title">Why it works</p>\n<p>Because.</p>\n</div>'
    )


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("`~matplotlib.patheffects.TickedStroke`", "<code>TickedStroke</code>"),
        ("`.Axes.plot`", "<code>Axes.plot</code>"),  # Sphinx drops the leading dot only
        ("`numpy.ndarray`", "<code>numpy.ndarray</code>"),
        ("`the array <numpy.ndarray>`", "<code>the array</code>"),
        (":func:`torch.manual_seed`", "<code>torch.manual_seed()</code>"),
        (":func:`~torch.manual_seed`", "<code>manual_seed()</code>"),
        (":py:func:`f()`", "<code>f()</code>"),
        (":meth:`~torch.Tensor.backward`", "<code>backward()</code>"),
        (":class:`~torch.nn.Linear`", "<code>Linear</code>"),
        (":class:`Linear layer <torch.nn.Linear>`", "<code>Linear layer</code>"),
        (":mod:`torch.nn`", "<code>torch.nn</code>"),
        (":attr:`~torch.Tensor.grad`", "<code>grad</code>"),
        (":obj:`.Figure`", "<code>Figure</code>"),
        (":obj:`!numpy.pi`", "<code>numpy.pi</code>"),
    ],
)
def test_python_roles_and_the_default_role_show_what_sphinx_shows_as_unlinked_code(source: str, shown: str) -> None:
    out = render_rst(f"See {source} here.")
    assert out == f"<p>See {shown} here.</p>"
    assert out.warnings == []


def test_a_default_role_directive_lasts_one_document() -> None:
    assert render_rst(".. default-role:: emphasis\n\nSee `x`.") == "<p>See <em>x</em>.</p>"
    assert render_rst("See `x`.") == "<p>See <code>x</code>.</p>"


def test_a_reference_outside_the_file_is_plain_text_with_a_warning_naming_its_line() -> None:
    first, second = render_rst_blocks(["Intro.", "Read\n:ref:`the basics <basics>`, :ref:`sec-other` and :doc:`../intro/tensors`."])
    assert second == "<p>Read\nthe basics, sec-other and tensors.</p>"
    assert first.warnings == []
    assert second.warnings == [
        "reStructuredText: line 2 of the text block: :ref:`basics` points outside this file; shown as text, not linked",
        "reStructuredText: line 2 of the text block: :ref:`sec-other` points outside this file; shown as text, not linked",
        "reStructuredText: line 2 of the text block: :doc:`../intro/tensors` points outside this file; shown as text, not linked",
    ]


def test_a_reference_to_a_section_label_in_the_same_file_links_to_it() -> None:
    first, second = render_rst_blocks([".. _fitting:\n\nFitting a line\n--------------\n\nText.", "Back to :ref:`fitting` and :ref:`the fit <fitting>`."])
    assert (
        second
        == '<p>Back to <a class="reference external" href="#fitting-a-line">Fitting a line</a> and <a class="reference external" href="#fitting-a-line">the fit</a>.</p>'
    )
    assert second.warnings == []


def test_literal_blocks_are_boxed_code_highlighted_when_their_language_is_given() -> None:
    out = render_rst("Run::\n\n    x = 1 < 2\n\n.. code-block:: python\n\n   import torch\n\n.. code-block:: nosuchlanguage\n\n   a b\n")
    assert out == (
        "<p>Run:</p>\n"
        '<pre class="literal-block"><code>x = 1 &lt; 2</code></pre>\n'
        '<pre class="literal-block hl"><code class="language-python"><span class="k">import</span> torch</code></pre>\n'
        '<pre class="literal-block"><code>a b</code></pre>'
    )
