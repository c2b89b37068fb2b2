"""`#::` block prose in authored files: one text explaining a block of statements, its placeholders
evaluated once after the block's last statement (a loop: all of it) has completed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import line, page_text, run_traced
from tracekit import build
from tracekit.source import AuthoringError, read_example

BLOCK = '''"""Blocks"""
xs = [3, 1, 2]

#:: ## Summing
#::
#:: The loop adds up {len(xs)} numbers; at the end `total` is {total}.
total = 0
for x in xs:
    total += x

#: Twice the total: {total * 2}.
double = total * 2
'''


def write(tmp_path: Path, text: str, name: str = "blocks.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_block_explains_statements_up_to_the_blank_line(tmp_path: Path) -> None:
    example = read_example(write(tmp_path, BLOCK))
    [block] = example.texts
    assert (block.line, block.end_line, block.code_first, block.code_last) == (4, 6, 7, 9)
    assert block.text == "## Summing\n\nThe loop adds up {len(xs)} numbers; at the end `total` is {total}."
    # evaluated after the loop on line 8, not after each of its hits; the statement's own prose as before
    assert block.after == 8
    assert example.probes == {-8: ["len(xs)", "total"], 12: ["total * 2"]}
    assert [(it.line, it.prose) for it in example.items if it.prose] == [(12, "Twice the total: {total * 2}.")]
    assert [ll.line for ll in example.listing][:3] == [2, 3, 7]  # `#::` lines are not in the listing


def test_block_inside_a_loop_never_leaves_its_body(tmp_path: Path) -> None:
    text = "total = 0\nfor x in [1, 2]:\n    #:: Both lines of the body.\n    y = x * 2\n    total += y\nprint(total)\n"
    [block] = read_example(write(tmp_path, text)).texts
    assert (block.code_first, block.code_last, block.after) == (4, 5, 0)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("x = 1\n#:: Nothing below.\n", 2, "'#::' block with no statement below it"),
        ("#:: Block.\n#: Prose.\nx = 1\n", 1, "'#:' prose directly below a '#::' block"),
        ("#: Prose.\n#:: Block.\nx = 1\n", 2, "'#::' block directly below '#:' prose (line 1)"),
        ("#:: Block.\nx = 1  # tracekit: hide\n", 1, "'#::' block must be directly above a shown statement"),
        ("#:: Block {1}.\nx = 1\n", 1, "placeholder {1} is a constant"),
    ],
)
def test_block_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(AuthoringError) as caught:
        read_example(write(tmp_path, text))
    assert caught.value.line == line
    assert message in str(caught.value)


def test_block_placeholders_are_evaluated_once_after_the_loop(tmp_path: Path) -> None:
    result = run_traced(tmp_path, BLOCK, probes={-8: ["len(xs)", "total"]})
    assert line(result.trace.to_dict(), 8)["block_probes"] == {"len(xs)": "3", "total": "6"}
    # the loop header's own records have no such values
    records = line(result.trace.to_dict(), 8)["records"]
    assert records and all(not r["probes"] for r in records)


def test_block_page_shows_the_values_after_the_block(tmp_path: Path) -> None:
    write(tmp_path, BLOCK)
    out = tmp_path / "out"
    build([tmp_path / "blocks.py"], output=out, jobs=1)
    page = (out / "blocks.html").read_text()
    assert '<h2 id="summing">Summing</h2>' in page
    assert "The loop adds up 3 numbers; at the end total is 6." in page_text(page)
    assert "Twice the total: 12." in page_text(page)
    data = json.loads((out / "blocks.json").read_text())
    assert [(t["code_first"], t["code_last"], t["after"]) for t in data["authored"]["texts"]] == [(7, 9, 8)]
    assert line(data, 8)["block_probes"] == {"len(xs)": "3", "total": "6"}
    assert_valid_page(data)


def assert_valid_page(data: dict) -> None:
    """DATA validates against the shipped page schema (and the trace schema it refers to)."""
    import jsonschema
    from referencing import Registry, Resource

    from tracekit.trace import PAGE_SCHEMA_PATH, SCHEMA_PATH

    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in (SCHEMA_PATH, PAGE_SCHEMA_PATH)]
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in schemas])
    assert [e.message for e in jsonschema.Draft202012Validator(schemas[1], registry=registry).iter_errors(data)] == []


def test_block_that_never_completes_fails_its_page(tmp_path: Path) -> None:
    text = "def f():\n    #:: Never run: {y}.\n    y = 1\n    return y\n"
    write(tmp_path, text)
    out = tmp_path / "out"
    build([tmp_path / "blocks.py"], output=out, jobs=1)
    trace = json.loads((out / "blocks.json").read_text())
    assert trace["status"] == "error"
    assert trace["placeholder_errors"] == [{"line": 4, "placeholder": "y", "error": "never evaluated: the block's last statement never completed"}]


def test_block_text_is_the_notebook_cell_above_its_statements(tmp_path: Path) -> None:
    write(tmp_path, BLOCK)
    out = tmp_path / "out"
    build([tmp_path / "blocks.py"], output=out, jobs=1)
    cells = json.loads((out / "downloads" / "blocks.ipynb").read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells]
    at = sources.index("## Summing\n\nThe loop adds up 3 numbers; at the end `total` is 6.")
    assert cells[at + 1]["cell_type"] == "code"
    assert sources[at + 1].startswith("total = 0\nfor x in xs:")
    assert "#::" not in "".join(sources)


def test_block_ending_in_return_is_evaluated_just_before_it(tmp_path: Path) -> None:
    text = "def double(x):\n    #:: Doubling {x} gives {y}.\n    y = x * 2\n    return y\n\n\nprint(double(21))\n"
    write(tmp_path, text)
    out = tmp_path / "out"
    build([tmp_path / "blocks.py"], output=out, jobs=1)
    data = json.loads((out / "blocks.json").read_text())
    assert data["status"] == "ok"
    assert line(data, 4)["block_probes"] == {"x": "21", "y": "42"}
    assert "Doubling 21 gives 42." in page_text((out / "blocks.html").read_text())
