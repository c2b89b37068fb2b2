"""The committed chapter pages, read as a reader would: exact text from the run.

`tracekit check` (run by `make test` too) proves output/ is what a build writes now; these
tests prove what that build shows.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import ROOT as REPO

# TRACEKIT_TEST_OUTPUT points the tests at another build of the examples (while iterating).
OUTPUT = Path(os.environ.get("TRACEKIT_TEST_OUTPUT", REPO / "output"))
CHAPTER = ["numpy_to_pytorch", "pytorch_operations", "first_gradient", "neuron_comparison", "one_step_of_learning"]


class _Text(HTMLParser):
    """Visible text of a page, one block element per line."""

    BLOCKS = {"p", "div", "li", "tr", "br", "h1", "h2", "h3", "section", "article", "summary", "figure", "pre", "dt", "dd"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "template"):
            self.hidden += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def page_text(name: str) -> str:
    parser = _Text()
    parser.feed((OUTPUT / f"{name}.html").read_text(encoding="utf-8"))
    return re.sub(r"[ \t]*\n\s*", "\n", "".join(parser.parts))


def folded(name: str) -> int:
    html = (OUTPUT / f"{name}.html").read_text(encoding="utf-8")
    return sum(int(n) for n in re.findall(r"(\d+) lines? without explanation</span>", html))


def test_every_chapter_listing_has_a_page_and_json() -> None:
    for name in CHAPTER:
        assert (OUTPUT / f"{name}.html").is_file()
        data = json.loads((OUTPUT / f"{name}.json").read_text(encoding="utf-8"))
        assert data["status"] == "ok" and data["schema"] == 1


def test_numpy_to_pytorch_folds_no_blank_lines() -> None:
    # the chapter counted its 11 blank and continuation lines as "without explanation"; they are not
    assert folded("numpy_to_pytorch") == 0
    text = " ".join(page_text("numpy_to_pytorch").split())
    assert "Comment: NumPy: what you already know" in text
    assert "Comment: PyTorch: almost identical syntax" in text
    assert "⬆ result: x_np = [1. 2. 3.] shape (3,)float64" in text
    assert "output = [1. 2. 3.]" in text and "output = <class 'numpy.ndarray'>" in text
    assert "tensor([1., 2., 3.], dtype=torch.float64)" in text
    assert "torch.Size([4, 3])" in text


def test_pytorch_operations_shows_the_matrix_product_from_the_run() -> None:
    text = page_text("pytorch_operations")
    assert "tensor([[19., 22.],\n[43., 50.]])" in text or "tensor([[19., 22.], [43., 50.]])" in " ".join(text.split())
    assert "tensor(32.)" in text


def test_first_gradient_shows_x_grad_seven() -> None:
    text = " ".join(page_text("first_gradient").split())
    assert "output = tensor(7.)" in text


def test_one_step_of_learning_shows_gradients_and_the_true_bce_terms() -> None:
    text = " ".join(page_text("one_step_of_learning").split())
    assert "W.grad: tensor([[40.7270, 11.5755, 10.1581]])" in text
    assert "Loss: 1.0081" in text
    # the chapter typed 1.6094 and 1.7720 by hand; the run gives these
    assert "= 1.6204" in text and "= 1.7839" in text
    assert "1.6094" not in text and "1.7720" not in text
    assert "tensor([0.7595, 0.8022, 0.7027, 0.8320], grad_fn=<SigmoidBackward0>)" in text


@pytest.mark.parametrize("name", CHAPTER)
def test_pages_name_the_run_that_made_them(name: str) -> None:
    text = " ".join(page_text(name).split())
    data = json.loads((OUTPUT / f"{name}.json").read_text(encoding="utf-8"))
    assert data["meta"]["torch"] in text and data["meta"]["device"] in text


def test_index_lists_every_example_with_its_status() -> None:
    text = " ".join(page_text("index").split())
    examples = sorted(p.stem for p in (REPO / "examples").glob("*.py") if not p.name.startswith("_"))
    assert len(examples) >= 9
    for name in examples:
        assert (OUTPUT / f"{name}.html").is_file(), name
    assert "backward_twice" in (OUTPUT / "index.html").read_text(encoding="utf-8")
    assert f"{len(examples)} examples · {len(examples) - 1} ok · 1 expected error" in text


def test_every_page_json_validates_against_the_shipped_page_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource

    from tracekit.trace import PAGE_SCHEMA_PATH, SCHEMA_PATH

    trace_schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    page_schema = json.loads(PAGE_SCHEMA_PATH.read_text(encoding="utf-8"))
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (trace_schema, page_schema)])
    validator = jsonschema.Draft202012Validator(page_schema, registry=registry)
    pages = sorted(OUTPUT.rglob("*.json"))
    assert len([p for p in pages if not p.name.startswith(".")]) >= 10
    for path in pages:
        if path.name.startswith("."):
            continue  # the build's manifest
        data = json.loads(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, (path.name, errors[:3])
    # the page schema is not a blank check: a page without its authored part fails
    broken = dict(json.loads((OUTPUT / "first_gradient.json").read_text(encoding="utf-8")))
    del broken["authored"]
    assert list(validator.iter_errors(broken))
