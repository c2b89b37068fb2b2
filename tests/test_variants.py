"""Variants: planning the runs of an example whose literals vary (`# tracekit: vary=…`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracekit.site import build
from tracekit.source import AuthoringError, read_example
from tracekit.variants import plan_variants, substitute

ROOT = Path(__file__).resolve().parent.parent


def plan(tmp_path: Path, text: str):
    path = tmp_path / "ex.py"
    path.write_text(text, encoding="utf-8")
    return plan_variants(read_example(path, tmp_path), text)


def test_the_default_comes_first_and_the_values_keep_their_order(tmp_path: Path) -> None:
    varied, runs = plan(tmp_path, "lr = 0.1  # tracekit: vary=0.01,0.1,0.9\nprint(lr)\n")
    assert varied[0].values == ("0.01", "0.1", "0.9") and varied[0].default == 1
    assert [r.label for r in runs] == ["lr=0.1", "lr=0.01", "lr=0.9"]
    assert [r.default for r in runs] == [True, False, False]


def test_a_missing_default_is_added_in_its_place_or_last(tmp_path: Path) -> None:
    varied, _ = plan(tmp_path, "lr = 0.3  # tracekit: vary=0.01,0.1,0.9\n")
    assert varied[0].values == ("0.01", "0.1", "0.3", "0.9") and varied[0].default == 2
    varied, _ = plan(tmp_path, "name = 'b'  # tracekit: vary=\"'z','a'\"\n")
    assert varied[0].values == ("'z'", "'a'", "'b'") and varied[0].default == 2


def test_several_names_give_the_product_of_their_values(tmp_path: Path) -> None:
    text = "# tracekit: vary=1,2\na = 1\nb = 'x'  # tracekit: vary=\"'x','y','z'\"\nprint(a, b)\n"
    _, runs = plan(tmp_path, text)
    assert [r.label for r in runs] == ["a=1&b='x'", "a=1&b='y'", "a=1&b='z'", "a=2&b='x'", "a=2&b='y'", "a=2&b='z'"]


def test_more_than_sixteen_runs_is_an_authoring_error_naming_the_line(tmp_path: Path) -> None:
    text = "a = 1  # tracekit: vary=1,2,3,4\nb = 1  # tracekit: vary=1,2,3,4\nc = 1  # tracekit: vary=1,2\n"
    with pytest.raises(AuthoringError) as e:
        plan(tmp_path, text)
    assert e.value.line == 3 and "vary makes 32 runs of ex.py with the names before it; at most 16 are allowed" in str(e.value)
    plan(tmp_path, text.replace(",2\n", "\n"))  # 16 runs: allowed


@pytest.mark.parametrize(
    "text, line, message",
    [
        (
            "x = 1\ny = 2  # tracekit: vary=1,foo\n",
            2,
            "bad value for vary: '1,foo'; expected Python literals, e.g. vary=0.01,0.1,0.9 ('foo' is not a Python literal)",
        ),
        ("y = 2  # tracekit: vary=1,(\n", 1, "bad value for vary: '1,('; expected Python literals"),
        ("y = f(2)  # tracekit: vary=1,2\n", 1, "vary needs an assignment of a literal to one name"),
        ("a, b = 1, 2  # tracekit: vary=1,2\n", 1, "vary needs an assignment of a literal to one name"),
        ("print(1)  # tracekit: vary=1,2\n", 1, "vary needs an assignment of a literal to one name"),
    ],
)
def test_bad_values_and_statements_are_authoring_errors_with_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(AuthoringError) as e:
        plan(tmp_path, text)
    assert e.value.line == line and message in str(e.value)


def test_substitution_keeps_every_line_number(tmp_path: Path) -> None:
    text = "lr = 0.1  # tracekit: vary=0.5\nxs = [1,\n      2]  # tracekit: vary=[3]\nprint(lr, xs)\n"
    varied, runs = plan(tmp_path, text)
    other = [r for r in runs if r.values == (("lr", "0.5"), ("xs", "[3]"))][0]
    out = substitute(text, varied, other)
    assert out.splitlines() == ["lr = 0.5  # tracekit: vary=0.5", "xs = ([3]", ")  # tracekit: vary=[3]", "print(lr, xs)"]


def test_a_build_runs_every_variant_in_its_own_folder_and_keeps_them_in_the_page_json(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "w.py").write_text(
        '"""Writes."""\nn = 2  # tracekit: vary=1,3\nopen("out.txt", "w").write(str(n))\nprint(open("out.txt").read(), n * 10)\n', encoding="utf-8"
    )
    result = build([ex], output=tmp_path / "out", jobs=2)
    assert result.exit_status == 0
    data = json.loads((tmp_path / "out" / "w.json").read_text(encoding="utf-8"))
    runs = data["variants"]["runs"]
    assert [r["label"] for r in runs] == ["n=2", "n=1", "n=3"]
    assert data["stdout"] == "2 20\n"
    assert [r["trace"]["stdout"] for r in runs[1:]] == ["1 10\n", "3 30\n"]
    assert "meta" not in runs[1]["trace"] and "source" not in runs[1]["trace"]  # stored once, at the top
    assert len({r["key"] for r in runs}) == 3
    assert (ex / "out.txt").read_text() == "2"  # the other runs wrote in scratch copies
    html = (tmp_path / "out" / "w.html").read_text(encoding="utf-8")
    assert html.count('<template class="tk-v"') == 2 and 'data-v="n=3"' in html
    # a variant that fails fails the example, naming its values
    (ex / "w.py").write_text('"""Fails."""\nn = 2  # tracekit: vary=0\nprint(1 / n)\n', encoding="utf-8")
    result = build([ex], output=tmp_path / "out", jobs=1)
    assert result.exit_status == 1
    assert [f.message for o in result.failed for f in o.failures][0].startswith("with n=0: ZeroDivisionError")


def _run_with(script: Path, old: str, new: str) -> str:
    """The script's output run by plain python with one literal replaced."""
    text = script.read_text(encoding="utf-8").replace(old, new, 1)
    return subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, check=True, cwd=script.parent).stdout


def test_the_learning_rates_show_the_regimes_the_chapter_names(tmp_path: Path) -> None:
    """From the runs' own numbers: 0.01 too slow, 0.1 and 0.3 converge, 0.9 oscillates, 1.05 diverges."""
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "lr.py").write_text((ROOT / "examples" / "learning_rate_regimes.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert build([ex], output=tmp_path / "out", jobs=2).exit_status == 0
    data = json.loads((tmp_path / "out" / "lr.json").read_text(encoding="utf-8"))
    outs = {r["values"]["lr"]: (r.get("trace") or data)["stdout"] for r in data["variants"]["runs"]}
    parsed = {}
    for lr, out in outs.items():
        m = re.fullmatch(r"lr = \S+: w = (\S+) after 20 steps, loss \S+, (\d+) crossings\n", out)
        assert m, out
        parsed[lr] = (float(m.group(1)), int(m.group(2)))  # w after 20 steps, jumps over the minimum
    assert abs(parsed["0.01"][0] - 3) > 1.5 and parsed["0.01"][1] == 0  # too slow
    assert abs(parsed["0.1"][0] - 3) < 0.05 and parsed["0.1"][1] == 0  # converges
    assert abs(parsed["0.3"][0] - 3) < 1e-6 and parsed["0.3"][1] == 0
    assert abs(parsed["0.9"][0] - 3) < 0.05 and parsed["0.9"][1] == 20  # oscillates, closing in
    assert abs(parsed["1.05"][0] - 3) > 3 and parsed["1.05"][1] == 20  # diverges
    chapter = (ROOT / "examples" / "introduction_to_pytorch.md").read_text(encoding="utf-8")
    for lr, regime in (("0.01", "too slow"), ("0.1", "converge"), ("0.3", "converge"), ("0.9", "oscillates"), ("1.05", "diverges")):
        assert f"**{lr}**" in chapter and regime in chapter
    # and python, run on its own with each value, says the same
    script = ex / "lr.py"
    for lr, out in outs.items():
        assert _run_with(script, "lr = 0.1 ", f"lr = {lr} ") == out


def _chapter_build(tmp_path: Path, vary: str):
    ex = tmp_path / "ex"
    ex.mkdir(exist_ok=True)
    (ex / "step.py").write_text('"""One step."""\nlr = 0.5\nw = 3.0 - lr * 2\nprint(w)\n', encoding="utf-8")
    (ex / "ch.md").write_text(f"# Steps\n\nSome prose.\n\n```{{listing}} step.py\n{vary}\n```\n", encoding="utf-8")
    return build([ex], output=tmp_path / "out", jobs=2)


def test_a_chapter_listing_varies_an_example_and_shows_the_control(tmp_path: Path) -> None:
    result = _chapter_build(tmp_path, ":vary: lr=0.01,0.1")
    assert result.exit_status == 0
    data = json.loads((tmp_path / "out" / "step.json").read_text(encoding="utf-8"))
    runs = data["variants"]["runs"]
    assert [r["label"] for r in runs] == ["lr=0.5", "lr=0.01", "lr=0.1"]
    assert data["stdout"] == "2.0\n" and [r["trace"]["stdout"] for r in runs[1:]] == ["2.98\n", "2.8\n"]
    html = (tmp_path / "out" / "ch.html").read_text(encoding="utf-8")
    # each run's own values travel with the chapter's listing, in that run's template
    templates = dict(re.findall(r'<template class="tk-v"[^>]*data-v="([^"]*)">(.*?)</template>', html, re.S))
    assert sorted(templates) == ["lr=0.01", "lr=0.1"]
    assert "2.98" in templates["lr=0.01"] and "2.8" not in templates["lr=0.01"]
    assert "2.8" in templates["lr=0.1"] and "2.98" not in templates["lr=0.1"]


def test_a_chapter_vary_of_a_name_without_a_literal_fails_that_listing_at_its_line(tmp_path: Path) -> None:
    result = _chapter_build(tmp_path, ":vary: rate=0.01,0.1")
    assert result.exit_status == 1
    failures = [(f.line, f.message) for o in result.failed for f in o.failures]
    assert failures == [(6, ":vary: rate: step.py assigns no literal to rate at its top level (e.g. `rate = 0.1`)")]
    assert "variants" not in json.loads((tmp_path / "out" / "step.json").read_text(encoding="utf-8"))
    result = _chapter_build(tmp_path, ":vary: lr=0.01,foo")
    failures = [(f.line, f.message) for o in result.failed for f in o.failures]
    assert failures == [(6, ":vary: lr: 'foo' is not a Python literal")]


def test_changing_a_chapters_vary_values_reruns_the_example(tmp_path: Path) -> None:
    assert _chapter_build(tmp_path, ":vary: lr=0.01").exit_status == 0
    again = _chapter_build(tmp_path, ":vary: lr=0.01")
    assert [o.cached for o in again.outcomes if o.path == "step.py"] == [True]
    changed = _chapter_build(tmp_path, ":vary: lr=0.25")
    assert [o.cached for o in changed.outcomes if o.path == "step.py"] == [False]
    data = json.loads((tmp_path / "out" / "step.json").read_text(encoding="utf-8"))
    assert [r["label"] for r in data["variants"]["runs"]] == ["lr=0.5", "lr=0.25"]


def test_an_embedded_listing_reads_vary_by_the_chapter_rule() -> None:
    from tracekit.book.chapter import ChapterError
    from tracekit.embed import fences

    found = fences("page.md", "Text.\n\n```{listing} step.py\n:vary: lr=0.01,0.1\n:vary: steps=2\n```\n")
    assert [(first, last, e.vary) for first, last, e in found] == [(3, 6, [("lr", ["0.01", "0.1"], 4), ("steps", ["2"], 5)])]
    with pytest.raises(ChapterError) as e:
        fences("page.md", "Text.\n\n```{listing} step.py\n:vary: lr=0.01,foo\n```\n")
    assert str(e.value) == "page.md:4: :vary: lr: 'foo' is not a Python literal"
