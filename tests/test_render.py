"""The renderer: view model from hand-made traces, Markdown subset, escaping, pages, JSON, assets."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fixtures import CASES, FIGURE_CASES, FIGURES, chapter_example, load_case
from helpers import ASSETS, page_text
from markupsafe import Markup

from tracekit.render import (
    Card,
    build_view,
    page_json,
    page_status,
    render_markdown,
    render_page,
    write_assets,
)
from tracekit.render.highlight import highlight_lines

HOSTILE = "</script><script>alert(1)</script>"


def texts(entries) -> list[str]:
    return [e.as_text() for e in entries]


def render(name: str, root_rel: str = "../") -> str:
    ex, tr = load_case(name)
    return render_page(ex, tr, assets=ASSETS, root_rel=root_rel, json_name=f"{name}.json")


@pytest.fixture(scope="module")
def fg():
    return build_view(*load_case("first_gradient"))


@pytest.fixture(scope="module")
def descent():
    return build_view(*load_case("descent"))


# ── view model: exact entries ────────────────────────────────────────────────


def test_blocks_follow_the_listing(fg):
    kinds = [(type(b).__name__, b.number if isinstance(b, Card) else b.start) for b in fg.blocks]
    # blank lines make no folds; the unexplained print on line 9 is shown, not folded
    assert kinds == [
        ("Card", 1),
        ("Card", 3),
        ("Card", 4),
        ("Card", 5),
        ("Card", 7),
        ("Card", 8),
        ("Section", 9),
        ("Card", 11),
        ("Card", 12),
        ("Card", 14),
        ("Card", 15),
        ("Card", 16),
    ]
    assert fg.title == "Your First Automatic Gradient"
    assert fg.file_name == "first_gradient.py" and fg.crumbs == ["autograd"]
    assert fg.status == "ok" and fg.banner is None


def test_import_shows_the_module_doc_not_its_path(fg):
    card = fg.card(1)
    assert texts(card.state()) == [
        "📚 torch = The torch package contains data structures for multi-dimensional tensors and defines mathematical operations over these tensors."
    ]


def test_call_line_entries_are_exact(fg):
    card = fg.card(4)
    assert texts(card.state()) == [
        "📚 torch.tensor() = Builds a tensor by copying `data`; `requires_grad=True` makes it a **leaf** that autograd tracks.",
        "⬇ arg 1 = 2.0",
        "⬇ requires_grad = True",
        "⬆ result: x = tensor(2., requires_grad=True)",
    ]
    api, result = card.state()[0], card.state()[-1]
    assert api.authored and "<strong>leaf</strong>" in api.rich and "<code>data</code>" in api.rich
    assert [t.text for t in result.tags] == ["shape ()", "float32", "cpu", "leaf", "requires_grad"]


def test_authored_api_note_replaces_the_automatic_one(fg):
    names = [e.name for e in fg.card(4).api]
    assert names == ["torch.tensor()"]  # the docstring sentence of torch.tensor is not added


def test_sub_expressions_then_the_bound_result(fg):
    card = fg.card(8)
    assert texts(card.state()) == [
        "x**2 = tensor(4., grad_fn=<PowBackward0>)",
        "3*x = tensor(6., grad_fn=<MulBackward0>)",
        "x**2 + 3*x = tensor(10., grad_fn=<AddBackward0>)",
        "⬆ result: y = tensor(11., grad_fn=<AddBackward0>)",  # the whole right side is not repeated
    ]
    assert [t.text for t in card.state()[0].tags] == ["grad_fn PowBackward0"]
    assert [t.text for t in card.state()[-1].tags] == ["shape ()", "float32", "cpu", "grad_fn AddBackward0"]


def test_print_lines_show_their_output_only(fg):
    assert texts(fg.card(5).state()) == ["output = tensor(2., requires_grad=True)"]
    assert texts(fg.card(15).state()) == ["x.grad = tensor(7.)", "output = tensor(7.)"]


def test_method_api_note_and_derived_note(fg):
    state = fg.card(12).state()
    assert texts(state) == [
        "📚 .backward() = Computes the gradient of current tensor wrt graph leaves.",
        "→ graph freed = after `.backward()` the graph is freed; calling it again needs `retain_graph=True`.",
    ]
    assert state[0].detail == "Tensor.backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None)"
    assert not state[0].authored and state[1].authored


def test_comment_rows(fg):
    card = fg.card(3)
    assert card.kind == "comment" and card.comment == "Create a tensor that TRACKS GRADIENTS"
    assert "<em>the</em>" in card.prose and "<code>requires_grad=True</code>" in card.prose
    assert fg.card(7).comment == "Forward pass: compute y = x² + 3x + 1" and fg.card(7).prose == ""
    text = page_text(render("first_gradient"))
    assert "Comment: Create a tensor that TRACKS GRADIENTS" in text
    assert "Comment: Verify: dy/dx = 2x + 3 = 2(2) + 3 = 7 ✓" in text


# ── folds ────────────────────────────────────────────────────────────────────


def test_blank_lines_never_fold(fg, descent):
    assert fg.folds == [] and fg.unexplained == 0
    assert [(f.start, f.end, f.count) for f in descent.folds] == [(1, 1, 1), (6, 6, 1), (8, 8, 1), (12, 13, 2), (15, 15, 1)]
    assert descent.unexplained == 6
    assert [f.summary for f in descent.folds][:2] == ["1 line without explanation", "1 line without explanation"]


def test_fold_count_matches_the_chapter():
    """Blank lines and the continuation lines of an explained statement are not "without explanation"."""
    view = build_view(chapter_example(), {"schema": 1, "status": "ok", "lines": []})
    assert view.unexplained == 0 and view.folds == []
    assert len(view.cards) == 23


def test_an_unexplained_statement_that_prints_is_shown_open(fg):
    (shown,) = fg.sections
    assert shown.kind == "shown" and (shown.start, shown.end) == (9, 9) and not shown.prose
    (group,) = shown.groups
    assert [ln.number for ln in group.lines] == [9]
    assert texts(group.entries) == ["output = tensor(11., grad_fn=<AddBackward0>)"]
    page = render("first_gradient")
    assert '<article class="card card-shown" id="line-9" data-first="9" data-last="9">' in page
    assert "tensor(11., grad_fn=&lt;AddBackward0&gt;)" in page.split('id="line-9"')[1].split("</article>")[0]


def test_continuation_lines_belong_to_their_statement(descent):
    card = descent.card(3)
    assert [ln.number for ln in card.code_lines] == [3, 4, 5]
    assert not any(f.start <= 4 <= f.end for f in descent.folds)


# ── prose: Markdown subset and placeholders ───────────────────────────────────


def test_placeholders_come_from_the_first_record(fg):
    card = fg.card(8)
    assert card.from_run
    assert '<strong><span class="from-run" title="from the run: y.item():g">11</span></strong>' in card.prose
    assert '<span class="from-run" title="from the run: x.item():g">2</span>' in card.prose
    assert card.prose.count('class="run-tag"') == 1
    assert fg.has_from_run
    assert not fg.card(4).from_run


def test_placeholder_in_a_loop_uses_hit_one(descent):
    assert ">42.0000</span>" in descent.card(11).prose


def test_markdown_is_commonmark_with_safe_links():
    assert render_markdown("a *b* **c** `d<e>` [f](https://x.org/?a=1&b=2)") == Markup(
        '<p>a <em>b</em> <strong>c</strong> <code>d&lt;e&gt;</code> <a href="https://x.org/?a=1&amp;b=2">f</a></p>'
    )
    assert render_markdown("one\ntwo\n\nthree") == "<p>one\ntwo</p>\n<p>three</p>"
    assert render_markdown("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert render_markdown("y = `x**2 + 3*x` and $2 \\cdot 3$").startswith('<p>y = <code>x**2 + 3*x</code> and <span class="math"')
    assert render_markdown("snake_case_name and _em_") == "<p>snake_case_name and <em>em</em></p>"
    assert render_markdown("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"
    assert render_markdown("[x](data:text/html,hi)").count("<a") == 0
    assert render_markdown("see [page](other.html#top)") == '<p>see <a href="other.html#top">page</a></p>'
    assert render_markdown("a & b <i>") == "<p>a &amp; b &lt;i&gt;</p>"
    assert render_markdown("x", inline=True) == "x"


def test_placeholder_escaping_and_literals():
    probes = {"v": HOSTILE, "n:.2f": "3.14"}
    out = render_markdown("v={v}, n={n:.2f}, keep {missing} and {{literal}}", probes=probes)
    assert "<script>" not in out
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert '<span class="from-run" title="from the run: n:.2f">3.14</span>' in out
    assert "keep {missing} and {literal}" in out


# ── hostile values ───────────────────────────────────────────────────────────


def test_hostile_values_are_text(descent):
    page = render("descent")
    assert page.count("<script") == 1  # the page's own script, nothing else
    assert "alert(1)</script>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    text = page_text(page)
    assert "output = </script><script>alert(1)</script> & <b>bold</b>" in text
    assert "Markup in a value is shown as text, never run: </script><script>alert(1)</script>" in text
    # a hostile title, path and prose are escaped too
    ex, tr = load_case("first_gradient")
    ex.title = HOSTILE
    ex.path = "a/<img src=x onerror=alert(1)>.py"
    ex.items[0].prose = HOSTILE + " {y}"
    tr["lines"][0]["records"][0]["probes"] = {"y": HOSTILE}
    page = render_page(ex, tr, assets=ASSETS, root_rel="", json_name=HOSTILE)
    assert page.count("<script") == 1 and "<img" not in page and "alert(1)</script>" not in page


# ── hits, loops, exceptions ──────────────────────────────────────────────────


def test_loop_body_hits(descent):
    card = descent.card(11)
    assert card.multi and card.hit_count == 5 and card.recorded == 3
    assert [h.index for h in card.hits] == [0, 1, 2]
    assert [h.entries[-1].as_text() for h in card.hits] == [
        "⬆ result: loss = tensor(42., grad_fn=<MeanBackward0>)",
        "⬆ result: loss = tensor(11.9467, grad_fn=<MeanBackward0>)",
        "⬆ result: loss = tensor(3.3982, grad_fn=<MeanBackward0>)",
    ]
    assert [h.probes["loss.item():.4f"] for h in card.hits] == ["42.0000", "11.9467", "3.3982"]
    assert texts(card.api) == ["📚 .mean() = See torch.mean"]


def test_loop_header_final_and_later_output(descent):
    header = descent.card(10)
    assert texts(header.final) == ["⏹ after the loop: step = 4"]
    assert [texts(h.entries)[-1] for h in header.hits] == ["⬆ step = 0", "⬆ step = 1", "⬆ step = 2"]
    printer = descent.card(16)
    assert [texts(h.tail) for h in printer.hits] == [["output = step 0: loss 42.0000"], ["output = step 1: loss 11.9467"], ["output = step 2: loss 3.3982"]]
    assert texts(printer.later) == ["later output = step 3: loss 0.9666\nstep 4: loss 0.2749"]


def test_hit_panels_in_the_page():
    page = render("descent")
    card = page.split('id="line-11"', 1)[1].split("</article>", 1)[0]
    assert 'data-hits="5"' in card and 'data-recorded="3"' in card
    assert len(re.findall(r'<section class="hit" data-hit="\d"', card)) == 3
    assert '<details class="hit-more">' in card and "Hits 2–3" in card
    assert 'class="stepper" hidden' in card  # revealed by the script; without it all hits are readable
    assert "first 3 recorded" in page_text(card)


def test_expected_error(descent):
    assert descent.status == "expected error"
    assert descent.banner.kind == "expected" and descent.banner.number == 21
    assert descent.banner.href == "#line-21"
    card = descent.card(21)
    assert card.status == "expected"
    assert texts(card.state()) == [
        "📚 torch.dot() = Computes the dot product of two 1D tensors.",
        "📚 torch.ones() = Returns a tensor filled with the scalar value 1, with the shape defined by the variable argument size.",
        "⬇ arg 1 of torch.dot(): x = tensor([1., 2., 3.])",
        "⬇ arg 1 of torch.ones() = 2",
        "⬇ arg 2 of torch.dot(): torch.ones(2) = tensor([1., 1.])",
        "⚠ expected: RuntimeError = inconsistent tensor size, expected tensor [3] and src [2] to have the "
        "same number of elements, but got 3 and 2 elements respectively",
    ]
    assert card.state()[1].rich == Markup(
        "Returns a tensor filled with the scalar value <code>1</code>, with the shape defined by the variable argument <code>size</code>."
    )
    assert [r.number for r in descent.listing if r.error] == [21]


def test_unexpected_error():
    ex, tr = load_case("broken")
    view = build_view(ex, tr)
    assert view.status == page_status(ex, tr) == "failed"
    assert view.banner.kind == "failed" and view.banner.title == "This example failed"
    assert (view.banner.error_type, view.banner.message, view.banner.number) == ("RuntimeError", "shape '[3]' is invalid for input of size 2", 4)
    assert view.card(4).status == "error"
    assert texts(view.card(4).state())[-1] == "⚠ raised: RuntimeError = shape '[3]' is invalid for input of size 2"
    assert view.card(5).status == "not-run" and view.card(5).not_run.startswith("not reached")
    text = page_text(render("broken", root_rel=""))
    assert "This example failed RuntimeError: shape '[3]' is invalid for input of size 2 on line 4" in text
    assert "not reached: the run stopped before this line" in text


def test_timeout_banner():
    ex, tr = load_case("first_gradient")
    tr = {**tr, "status": "timeout", "error": {"type": "TimeoutError", "message": "ran longer than 60.0 s", "line": 19, "reason": "timeout", "traceback": []}}
    view = build_view(ex, tr)
    assert view.status == "failed" and view.banner.title == "This example timed out"
    assert view.banner.number == 8 and view.banner.reason.startswith("The run took longer")


# ── values ───────────────────────────────────────────────────────────────────


def test_matrix_table_with_labels(descent):
    result = descent.card(3).state()[-1]
    assert result.name == "data (3×2)"
    assert result.table.rows == [["1.", "3."], ["2.", "6."], ["3.", "9."]]
    assert result.table.row_labels == ["s1", "s2", "s3"] and result.table.col_labels == ["x", "y"]
    page = render("descent")
    assert '<th scope="col">x</th><th scope="col">y</th>' in page
    assert '<tr><th scope="row">s1</th><td>1.</td><td>3.</td></tr>' in page


def test_hidden_lines_are_left_out(descent):
    assert [r.number for r in descent.listing] == list(range(1, 22))
    assert "manual_seed" not in render("descent")


def test_object_addresses_are_dropped(descent):
    fold = next(f for f in descent.folds if f.start == 12)
    assert "⬇" not in "".join(texts(fold.groups[1].entries))
    assert texts(fold.groups[1].entries)[-1] == "torch.no_grad() = <torch.autograd.grad_mode.no_grad object>"


# ── pages ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", CASES)
def test_pages_are_deterministic_and_self_contained(name):
    page = render(name)
    assert page == render(name)
    assert "/work/" not in page and "/tmp/" not in page and "0x7f" not in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)  # nothing leaves the page
    assert "@import" not in page and "<iframe" not in page
    assert '<link rel="stylesheet" href="../assets/tracekit.0123abcd.css">' in page
    assert '<script src="../assets/tracekit.4567ef01.js" defer></script>' in page
    assert f'href="{name}.json"' in page
    assert "📚" not in page.replace('<span class="vh">📚 </span>', "")  # never shown as a glyph


def test_page_text(fg):
    text = page_text(render("first_gradient"))
    for part in [
        "Your First Automatic Gradient",
        "first_gradient.py",
        "We compute y = x² + 3x + 1 at x = 2 and let autograd find dy/dx.",
        "📚 torch.tensor() = Builds a tensor by copying data",
        "⬇ arg 1 = 2.0",
        "⬆ result: x = tensor(2., requires_grad=True)",
        "Execution state",
        "The forward pass: y = 11 at x = 2",
        "Generated from a real run · device cpu · Python 3.11.7 · torch 2.13.0 · numpy 2.4.6 · seed 0 · trace JSON",
    ]:
        assert part in text, part
    page = render("first_gradient")
    for n in range(1, 17):
        assert f'id="L{n}"' in page
    assert '<span class="row row-explained" id="L4" data-href="#line-4"><a class="ln" href="#line-4">4</a>' in page
    assert 'id="L9" data-href="#f-9"' in page and 'id="f-9"' in page and "without explanation" not in page_text(page)
    assert '<article class="card card-code" id="line-8" data-first="8" data-last="8">' in page


def test_listing_is_highlighted():
    lines = highlight_lines('x = torch.tensor(2.0)  # c\ns = """a\nb"""\n')
    assert len(lines) == 4
    assert lines[0] == Markup(
        'x <span class="o">=</span> torch<span class="o">.</span><span class="na">tensor</span>(<span class="m">2.0</span>)  <span class="c"># c</span>'
    )
    assert lines[1].startswith("s ") and lines[2] == '<span class="s">b&#34;&#34;&#34;</span>' and lines[3] == ""
    assert lines[1] == 's <span class="o">=</span> <span class="s">&#34;&#34;&#34;a</span>'


def test_highlighting_a_text_again_gives_the_same_lines_though_a_caller_changed_its_list():
    first = highlight_lines("y = x + 1")
    first[0] = Markup("changed")
    first.append(Markup("extra"))
    assert highlight_lines("y = x + 1") == ['y <span class="o">=</span> x <span class="o">+</span> <span class="m">1</span>']


# ── JSON, assets ──────────────────────────────────────────────────────


def test_page_json():
    ex, tr = load_case("first_gradient")
    out = page_json(ex, tr)
    assert out == page_json(ex, tr) and out.endswith("}\n")
    data = json.loads(out)
    assert data["schema"] == 1 and data["lines"] == tr["lines"]
    assert data["authored"]["title"] == "Your First Automatic Gradient"
    assert data["authored"]["items"][2]["notes"][0]["name"] == "torch.tensor()"
    assert data["authored"]["probes"] == {"19": ["y.item():g", "x.item():g"], "29": ["x.grad.item():g"]}
    assert out == json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    assert "x² + 3x" in out  # ensure_ascii=False


def test_write_assets(tmp_path: Path):
    first = write_assets(tmp_path)
    assert set(first) == {"tracekit.css", "tracekit.js"}
    for logical, rel in first.items():
        assert re.fullmatch(r"assets/tracekit\.[0-9a-f]{8}\.(css|js)", rel)
        assert (tmp_path / rel).read_bytes() == (Path(__file__).parents[1] / "tracekit" / "assets" / logical).read_bytes()
    stale = tmp_path / "assets" / "tracekit.deadbeef.css"
    stale.write_text("old")
    assert write_assets(tmp_path) == first and not stale.exists()
    assert sorted(p.name for p in (tmp_path / "assets").iterdir()) == sorted(Path(p).name for p in first.values())


def test_assets_make_no_requests():
    root = Path(__file__).parents[1] / "tracekit" / "assets"
    css = (root / "tracekit.css").read_text()
    js = (root / "tracekit.js").read_text()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    for word in ("fetch(", "XMLHttpRequest", "http:", "https:", "import(", "sessionStorage", "indexedDB", "document.cookie"):
        assert word not in js
    # one remembered choice, the reader's "All state" toggle, read and written in the browser only
    assert js.count("localStorage") == 2 and "tracekit.allState" in js
    icons = (root / "icons.svg").read_text()
    assert "href=" not in icons and "http://www.w3.org/2000/svg" in icons


# ── shapes the real engine produces ──────────────────────────────────────────


def mini(source: str, prose: dict[int, str], lines: list[dict], **trace) -> tuple:
    """An Example whose listing is SOURCE (display = original numbers), one item per line."""
    from tracekit.source import Example, Item, ListingLine

    texts_ = source.split("\n")
    listing = [ListingLine(i, i, t) for i, t in enumerate(texts_, 1)]
    items = [
        Item(kind="comment" if t.strip().startswith("#") else "code", line=i, end_line=i, number=i, end_number=i, code=t, prose=prose.get(i, ""))
        for i, t in enumerate(texts_, 1)
        if t.strip()
    ]
    return (
        Example(path="mini.py", title="Mini", intro="", options={}, listing=listing, items=items),
        {"schema": 1, "status": "ok", "error": None, "meta": {}, "lines": lines, **trace},
    )


def rec(events, **kw):
    return {"hit": 0, "events": events, "output": "", "exception": None, "probes": {}, **kw}


def test_engine_qualnames_and_signatures():
    ex, tr = mini(
        "x = torch.tensor(2.0)\nx.backward()",
        {1: "p", 2: "p"},
        [
            {
                "line": 1,
                "hits": 1,
                "records": [
                    rec(
                        [
                            {
                                "role": "call",
                                "text": "torch.tensor",
                                "qualname": "torch._VariableFunctionsClass.tensor",
                                "doc": "Constructs a tensor.",
                                "signature": "tensor(data, *, dtype=None) -> Tensor",
                            }
                        ]
                    )
                ],
            },
            {
                "line": 2,
                "hits": 1,
                "records": [
                    rec(
                        [
                            {
                                "role": "call",
                                "text": "x.backward",
                                "qualname": "torch._tensor.Tensor.backward",
                                "doc": "Computes the gradient.",
                                "signature": None,
                            }
                        ]
                    )
                ],
            },
        ],
    )
    view = build_view(ex, tr)
    one, two = view.card(1).api[0], view.card(2).api[0]
    assert (one.name, one.detail) == ("torch.tensor()", "torch.tensor(data, *, dtype=None) -> Tensor")
    assert (two.name, two.detail) == (".backward()", "Tensor.backward")


def test_parameters_and_lines_the_trace_does_not_cover():
    src = "class Net:\n    def forward(self, x):\n        return x * 2"
    ex, tr = mini(
        src,
        {1: "A class.", 2: "A method.", 3: "Doubles."},
        [
            {"line": 2, "function": "Net.forward", "hits": 2, "records": [rec([{"role": "bind", "text": "x", "value": {"type": "int", "repr": "3"}}])]},
            {"line": 3, "function": "Net.forward", "hits": 2, "records": [rec([{"role": "return", "text": "x * 2", "value": {"type": "int", "repr": "6"}}])]},
        ],
    )
    view = build_view(ex, tr)
    assert view.card(1).not_run == "" and not view.card(1).has_state  # a class line: no claim
    assert texts(view.card(2).hits[0].entries) == ["⬇ param: x = 3"]
    assert texts(view.card(3).hits[0].entries) == ["⬆ return: x * 2 = 6"]
    assert [ln.html for ln in view.card(3).code_lines] == [highlight_lines("return x * 2")[0]]  # dedented


def test_placeholder_errors_are_marked():
    ex, tr = mini(
        "y = 1",
        {1: "y is {y:.2f} and {z}"},
        [{"line": 1, "hits": 1, "records": [rec([], probes={"y:.2f": "1.00"})]}],
        placeholder_errors=[{"line": 1, "placeholder": "z", "error": "NameError: name 'z' is not defined"}],
    )
    card = build_view(ex, tr).card(1)
    assert '<span class="from-run" title="from the run: y:.2f">1.00</span>' in card.prose
    assert ('<span class="probe-error" title="placeholder failed: NameError: name &#39;z&#39; is not defined">{z}</span>') in card.prose


def test_a_typed_trace_and_its_dict_render_alike():
    from tracekit.trace import Trace

    ex, tr = load_case("first_gradient")
    typed = Trace.from_dict(tr)
    assert texts(build_view(ex, typed).card(4).state()) == texts(build_view(ex, tr).card(4).state())
    assert page_json(ex, typed) == page_json(ex, typed.to_dict())


def test_an_unreadable_example_page():
    """What the builder renders when an example cannot be read: the file, folded, and the error."""
    ex, tr = mini(
        "x = (\n", {}, [], status="error", error={"type": "AuthoringError", "message": "bad directive", "line": 1, "reason": "authoring", "traceback": []}
    )
    ex.items = []
    view = build_view(ex, tr)
    assert view.status == "failed" and view.banner.number == 1 and view.banner.href == "#L1"
    assert view.folds[0].open and view.listing[0].error


def test_folds_with_an_exception_open_and_docs_lose_rst_rules():
    ex, tr = mini(
        "import numpy as np\ntry:\n    y.backward()\nexcept RuntimeError as e:\n    pass",
        {},
        [
            {
                "line": 1,
                "hits": 1,
                "records": [rec([{"role": "bind", "text": "np", "value": {"type": "module", "repr": "<module 'numpy'>", "doc": "NumPy ====="}}])],
            },
            {
                "line": 3,
                "hits": 1,
                "exceptions": 1,
                "records": [rec([], exception={"type": "RuntimeError", "message": "Trying to backward through the graph a second time"})],
            },
        ],
    )
    ex.items[2].raises = "RuntimeError"
    view = build_view(ex, tr)
    (fold,) = view.folds
    assert fold.count == 5 and fold.open
    assert texts(fold.groups[0].entries) == ["📚 np = NumPy"]
    assert texts(fold.groups[2].entries) == ["⚠ expected: RuntimeError = Trying to backward through the graph a second time"]
    assert fold.groups[2].entries[0].expected and not fold.groups[2].error


# ── figures and images (cases made by tests/fixtures/make_figure_cases.py from real runs) ──


def imgs(page: str) -> list[dict[str, str]]:
    """Every <img> of a page, as its attributes (entities decoded)."""
    out = []
    for tag in re.findall(r"<img\b[^>]*>", page):
        out.append({k: html.unescape(v) for k, v in re.findall(r'(\w[\w-]*)="([^"]*)"', tag)})
    return out


@pytest.fixture(scope="module")
def plots():
    return build_view(*load_case("plots"))


def test_figures_appear_on_the_hit_that_made_them(plots):
    tr = load_case("plots")[1]
    files = [f["file"] for f in tr["figures"]]
    card = plots.card(29)  # plt.show() in the loop; recorded hits 1 and 2, figure limit 3
    assert card.code.strip() == "plt.show()" and card.hit_count == 4 and card.recorded == 2
    assert [[(f.file, f.number, f.width, f.height) for f in h.figures] for h in card.hits] == [[(files[0], 1, 256, 160)], [(files[1], 2, 256, 160)]]
    assert [f.caption for f in card.hits[0].figures] == ["Figure 1: Step 0; x: sample"]
    assert [(f.file, f.later, f.caption) for f in card.figures_later] == [(files[2], True, "Figure 3: Step 2; x: sample (captured in a later hit)")]
    assert plots.figure_limit == "3 figures captured; 1 more were not" and plots.other_figures == []
    page = render("plots")
    panel = page.split('id="line-29"', 1)[1].split("</article>", 1)[0]
    first = panel.split('<section class="hit" data-hit="0"', 1)[1].split("</section>", 1)[0]
    assert (
        f'<figure class="fig"><a class="fig-a" href="../figures/{files[0]}" title="Open the full-size image">'
        f'<img src="../figures/{files[0]}" width="256" height="160" alt="Step 0; x: sample" loading="lazy" '
        'decoding="async"></a><figcaption>Figure 1: Step 0; x: sample</figcaption></figure>'
    ) in first
    second = panel.split('<section class="hit" data-hit="1"', 1)[1].split("</section>", 1)[0]
    assert f'src="../figures/{files[1]}"' in second and files[0] not in second
    after = panel.split('<details class="hit-more">', 1)[1].split("</details>", 1)[1]
    assert f'src="../figures/{files[2]}"' in after and "captured in a later hit" in after
    assert "Not every figure is shown. 3 figures captured; 1 more were not." in page_text(page)
    # pages without figures show none of it
    assert "<img" not in render("first_gradient") and "<figure" not in render("descent")


@pytest.mark.parametrize("name", FIGURE_CASES)
def test_every_image_on_a_figure_page_exists_and_has_its_recorded_size(name):
    from PIL import Image

    page = render(name, root_rel="../")  # the page is in gallery/, the figures in figures/
    found = imgs(page)
    tr = load_case(name)[1]
    shown = {f["file"] for f in tr["figures"]} | {  # figures, and the pictures of bound values
        e["value"]["image"]["file"] for ln in tr["lines"] for r in ln["records"] for e in r["events"] if e["role"] == "bind" and "image" in e.get("value", {})
    }
    assert {i["src"] for i in found} == {f"../figures/{f}" for f in shown} and len(shown) == 2 + 2 * (name == "plots")
    for attrs in found:
        assert attrs["src"].startswith("../figures/") and attrs["loading"] == "lazy" and attrs["alt"]
        path = FIGURES / attrs["src"].removeprefix("../figures/")
        with Image.open(path) as im:
            im.load()
            assert im.size == (int(attrs["width"]), int(attrs["height"]))


def test_a_value_image_is_a_small_pixelated_picture_with_shape_and_dtype():
    view = build_view(*load_case("image_grid"))
    card = next(c for c in view.cards if c.code.startswith("three = "))
    (entry,) = [e for e in card.state() if e.image is not None]
    assert entry.name == "three (8×8)" and entry.table is not None
    assert (entry.image.width, entry.image.height) == (64, 64) and entry.image.alt == "three as an image 8×8"
    assert [t.text for t in entry.tags][:2] == ["shape (8, 8)", "float64"]
    page = render("image_grid")
    assert (f'<img class="pix" src="../figures/{entry.image.file}" width="64" height="64" alt="three as an image 8×8" loading="lazy" decoding="async">') in page
    css = (Path(__file__).parents[1] / "tracekit" / "assets" / "tracekit.css").read_text()
    assert "image-rendering: pixelated" in css
    assert re.search(r"\.fig img \{[^}]*max-width: 100%;[^}]*height: auto;", css)


def test_only_the_bound_value_of_an_image_line_is_drawn(plots):
    state = plots.card(22).state()
    assert [e.name for e in state if e.image is not None] == ["board (6×6)"]
    assert [t.text for t in state[-1].tags] == ["shape (6, 6)", "uint8"]


def test_figures_on_unexplained_lines_hidden_lines_and_outside_any_line():
    ex, tr = mini(
        "plt.plot(x)\nplt.show()",
        {},
        [
            {
                "line": 2,
                "hits": 2,
                "records": [rec([], figures=["aaaaaaaaaaaaaaaa.png"]), {**rec([], figures=["bbbbbbbbbbbbbbbb.png"]), "hit": 1}],
                "figures_later": ["cccccccccccccccc.png"],
            }
        ],
        figures=[
            {"file": f, "line": 2, "hit": h, "width": 10, "height": 8, "alt": ""}
            for f, h in (("aaaaaaaaaaaaaaaa.png", 0), ("bbbbbbbbbbbbbbbb.png", 1), ("cccccccccccccccc.png", None))
        ]
        + [
            {"file": "dddddddddddddddd.png", "line": None, "hit": None, "width": 10, "height": 8, "alt": "At exit"},
            {"file": "eeeeeeeeeeeeeeee.png", "line": 99, "hit": 0, "width": 10, "height": 8, "alt": ""},
        ],
    )
    view = build_view(ex, tr)
    (group,) = [g for g in view.sections[0].groups if g.figures]
    assert [f.caption for f in group.figures] == ["Figure 1 (hit 1)", "Figure 2 (hit 2)", "Figure 3 (captured in a later hit)"]
    assert [(f.file, f.caption) for f in view.other_figures] == [("dddddddddddddddd.png", "Figure 4: At exit"), ("eeeeeeeeeeeeeeee.png", "Figure 5")]
    assert [f.file[0] for f in view.figures] == list("abcde")
    page = render_page(ex, tr, assets=ASSETS, root_rel="", json_name="mini.json")
    assert 'src="figures/aaaaaaaaaaaaaaaa.png"' in page and 'id="other-figures"' in page
    assert "Other figures Captured while no line shown on this page was running." in page_text(page)


def test_figure_files_that_are_not_plain_names_are_not_shown():
    bad = ["../../etc/passwd.png", "javascript:alert(1).png", "a b.png", ".hidden.png", "x.svg", 'q".png']
    ex, tr = mini(
        "y = 1",
        {1: "p"},
        [
            {
                "line": 1,
                "hits": 1,
                "records": [
                    rec(
                        [
                            {"role": "bind", "text": "y", "value": {"type": "PIL.Image.Image", "repr": "<img>", "image": {"file": b, "width": 4, "height": 4}}}
                            for b in bad
                        ],
                        figures=bad,
                    )
                ],
            }
        ],
        figures=[{"file": b, "line": 1, "hit": 0, "width": 4, "height": 4, "alt": ""} for b in bad],
    )
    view = build_view(ex, tr)
    assert view.figures == []
    page = render_page(ex, tr, assets=ASSETS, root_rel="", json_name="mini.json")
    assert "<img" not in page and "<figure" not in page


def test_the_figures_folder_is_the_builds():
    from tracekit.render import text
    from tracekit.site import paths

    assert text.FIGURES_DIR == paths.FIGURES_DIR


# ── decorated definitions ────────────────────────────────────────────────────


def test_a_decorated_def_shows_its_calls(plots):
    card = plots.card(17)  # "@counted\ndef curve(k, n=24)": the item starts at the decorator, the trace at the def
    assert (card.line, card.end_line) == (25, 26)
    assert card.is_def and card.multi and card.hit_count == 4 and card.recorded == 2
    assert [texts(h.entries) for h in card.hits] == [["⬇ param: k = 0", "⬇ param: n = 24"], ["⬇ param: k = 1", "⬇ param: n = 25"]]
    page = render("plots")
    block = page.split('id="line-17"', 1)[1].split("</article>", 1)[0]
    assert 'data-unit="call"' in block and "Called 4 times · first 2 recorded" in page_text(block)
    assert "call 1 of 4" in block and "Calls 2" not in block and "Call 2 of 4" in block
    # an unexplained decorated def in a fold keeps its parameters too
    (group,) = [g for f in plots.folds for g in f.groups if [ln.number for ln in g.lines] == [8, 9]]
    assert texts(group.entries) == ["⬇ param: args = (0,)", "⬇ param: kwargs = {'n': 24}"] and group.hit_count == 4


def test_decorated_defs_and_classes_with_hand_made_traces():
    from tracekit.source import Example, Item, ListingLine

    src = ["@decorate(", "    lambda f: f)", "# a comment", "def f(a):", "    return a", "@dataclass", "class C:", "    x: int = 1"]
    listing = [ListingLine(i, i, t) for i, t in enumerate(src, 1)]
    items = [
        Item(kind="code", line=1, end_line=4, number=1, end_number=4, code="\n".join(src[:4]), prose="f."),
        Item(kind="code", line=5, end_line=5, number=5, end_number=5, code=src[4]),
        Item(kind="code", line=6, end_line=7, number=6, end_number=7, code="\n".join(src[5:7]), prose="C."),
        Item(kind="code", line=8, end_line=8, number=8, end_number=8, code=src[7]),
    ]
    ex = Example(path="d.py", title="D", intro="", options={}, listing=listing, items=items)
    lines = [  # the decorator's lambda runs on line 2; the def line records the calls
        {"line": 2, "hits": 1, "records": [rec([{"role": "return", "text": "f", "value": {"type": "function", "repr": "<function f>"}}])]},
        {
            "line": 4,
            "function": "f",
            "hits": 3,
            "records": [{**rec([{"role": "bind", "text": "a", "value": {"type": "int", "repr": str(n)}}]), "hit": n} for n in range(3)],
        },
    ]
    view = build_view(ex, {"schema": 1, "status": "ok", "lines": lines})
    card = view.card(1)
    assert card.is_def and card.hit_count == 3 and [texts(h.entries) for h in card.hits] == [[f"⬇ param: a = {n}"] for n in range(3)]
    assert not view.card(6).is_def and not view.card(6).has_state and view.card(6).not_run == ""


# ── the trace model round-trips what the child writes ──────────────────────────


@pytest.mark.parametrize("name", FIGURE_CASES)
def test_trace_dataclasses_round_trip_figure_keys(name):
    from tracekit.trace import Trace

    tr = load_case(name)[1]
    assert tr["figures"] and any(r.get("figures") for ln in tr["lines"] for r in ln["records"])
    back = Trace.from_dict(tr).to_dict()
    assert back == tr
    if name == "plots":
        assert back["figure_limit"] == tr["figure_limit"] and any(ln.get("figures_later") for ln in back["lines"])


def test_trace_dataclasses_round_trip_a_real_run_without_and_with_optional_keys(tmp_path: Path):
    from tracekit.run import trace_file
    from tracekit.trace import Trace

    script = tmp_path / "s.py"
    script.write_text("x = [1, 2]\nprint(len(x))\n")
    plain = trace_file(script, capture=True, cwd=tmp_path).trace.to_dict()
    back = Trace.from_dict(plain).to_dict()
    assert back == plain
    assert not {"figures", "figure_limit", "placeholder_errors"} & set(back)
    assert all("figures_later" not in ln and all("figures" not in r for r in ln["records"]) for ln in back["lines"])
    failing = trace_file(script, capture=True, cwd=tmp_path, probes={1: ["nope + 1"]}).trace.to_dict()
    assert failing["placeholder_errors"] and Trace.from_dict(failing).to_dict() == failing


# ── inert text ───────────────────────────────────────────────────────────────


def test_inert_text_marks_controls_and_bounds_length():
    from tracekit.render import MAX_TEXT_CHARS, inert

    assert inert("a\u202eb\u2066c\u2069\x00\x1b[0m\x7f\t\n\r\nz\rq\udcff\ufeff") == (
        "a<U+202E>b<U+2066>c<U+2069><U+0000><U+001B>[0m<U+007F>\t\n\nz<U+000D>q<U+DCFF><U+FEFF>"
    )
    assert inert("👨\u200d👩\u200d👧 ünï") == "👨\u200d👩\u200d👧 ünï"  # joiners and accents stay
    long = inert("x" * (MAX_TEXT_CHARS + 12_345))
    assert long == "x" * MAX_TEXT_CHARS + "… (12,345 more characters)"
    assert inert("abc", 2) == "ab… (1 more character)"


def test_page_json_stays_valid_json_for_any_trace():
    ex, tr = mini("y = 1", {}, [{"line": 1, "hits": 1, "records": [rec([], output="\udcff\ud800 bad\n")]}], stdout="\udcff\ud800 bad\n", nan=float("nan"))
    out = page_json(ex, tr)
    out.encode("utf-8")
    data = json.loads(out)
    assert data["stdout"] == "\udcff\ud800 bad\n" and data["nan"] == "nan"  # what the trace had, as JSON can say it
    page = render_page(ex, tr, assets=ASSETS, root_rel="", json_name="mini.json")
    page.encode("utf-8")
    assert "<U+DCFF><U+D800> bad" in page_text(page)


def test_file_names_in_links_are_percent_encoded():
    ex, tr = load_case("first_gradient")
    page = render_page(ex, tr, assets=ASSETS, root_rel="", json_name="javascript:alert(1) #1 ü.json")
    assert 'href="javascript%3Aalert%281%29%20%231%20%C3%BC.json"' in page
