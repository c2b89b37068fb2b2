"""The chapter's training pages, built now, read as a reader would: what each line changed, the
backward path, and every step of the loop."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_pages import _Text

from tracekit.render import build_view
from tracekit.site import build
from tracekit.source import read_example

REPO = Path(__file__).resolve().parent.parent


class _Cells(_Text):
    """Visible text with table cells apart."""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        super().handle_starttag(tag, attrs)
        if tag in ("td", "th"):
            self.parts.append(" ")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("teach")
    result = build([REPO / "examples" / "one_step_of_learning.py", REPO / "examples" / "training_loop.py"], output=out, jobs=1)
    # each page's tests need only that page: one failing example fails its own tests, not all
    statuses = {o.path: o.status + "".join(f"; {f.message}" for f in o.failures) for o in result.outcomes}
    (out / "statuses.json").write_text(json.dumps(statuses))
    return out


def built(site: Path, page: str) -> None:
    status = json.loads((site / "statuses.json").read_text())[f"{page}.py"]
    assert status == "ok", f"{page} did not build: {status}"


def state(site: Path, page: str, code: str) -> list[str]:
    """The card's execution state as the chapter writes it (``✎ created: W.grad = None → …``)."""
    built(site, page)
    trace = json.loads((site / f"{page}.json").read_text(encoding="utf-8"))
    view = build_view(read_example(REPO / "examples" / f"{page}.py", REPO / "examples"), trace)
    for card in view.cards:
        if card.code.strip() == code:
            return [e.as_text() for h in card.hits for e in h.all]
    raise AssertionError(f"no card for {code!r} on {page}")


def card_text(site: Path, page: str, code: str) -> str:
    """Visible text of the card whose code is CODE, one block per line."""
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    for card in re.findall(r'<article class="card card-code.*?</article>', html, flags=re.S):
        parser = _Cells()
        parser.feed(card)
        text = re.sub(r"[ \t]*\n\s*", "\n", "".join(parser.parts))
        head = re.search(r'<pre class="hl code card-code">(.*?)</pre>', card, flags=re.S)
        parser = _Text()
        parser.feed(head.group(1) if head else "")
        if "".join(parser.parts).strip() == code:
            return text
    raise AssertionError(f"no card for {code!r} on {page}")


def test_backward_shows_the_gradients_it_filled_and_the_path_it_walked(site: Path) -> None:
    path = "loss → BinaryCrossEntropyBackward0 → SigmoidBackward0 → SqueezeBackward0 → AddBackward0 → MmBackward0 → PermuteBackward0 → W, b"
    assert state(site, "one_step_of_learning", "loss.backward()") == [
        f"⤺ backward path: loss = {path}",
        "✎ created: W.grad (1×3) = None → tensor([[40.7270, 11.5755, 10.1581]])",
        "✎ created: b.grad = None → tensor([0.2741])",
    ]
    text = card_text(site, "one_step_of_learning", "loss.backward()")
    assert "✎ created: W.grad (1×3)\n= None\n→\n40.727" in text
    assert "✎ created: b.grad\n= None\n→ tensor([0.2741])" in text
    assert "⤺ backward path: loss\n= " in text and path in text
    html = (site / "one_step_of_learning.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="ag".*?</svg>', html, flags=re.S)
    assert svg is not None and ">W (1, 3)</text>" in svg.group(0) and ">b (1,)</text>" in svg.group(0)
    assert ">BinaryCrossEntropyBackward0</text>" in svg.group(0)


def test_the_update_shows_w_before_and_after(site: Path) -> None:
    lines = state(site, "one_step_of_learning", "W -= lr * W.grad")
    assert lines[-1] == "✎ changed: W (1×3) = tensor([[ 0.0100, -0.0200, 0.0300]]) → tensor([[ 0.0059, -0.0212, 0.0290]]) (largest |Δ| 0.004073)"
    # the rebinding row of `-=` would repeat W's new value: the change shows it
    assert not any(line.startswith("⬆ result: W ") for line in lines)
    text = card_text(site, "one_step_of_learning", "W -= lr * W.grad")
    # table cells as torch prints them (print options, trailing zeros kept)
    assert re.search(r"✎ changed: W \(1×3\)\n=\n0\.0100 -0\.0200 0\.0300\n→\n0\.0059 -0\.0212 0\.0290\nlargest \|Δ\| 0\.004073", text)


def test_zeroing_shows_the_gradient_going_to_zeros(site: Path) -> None:
    lines = state(site, "one_step_of_learning", "W.grad.zero_()")
    assert lines[-1] == "✎ zeroed: W.grad (1×3) = tensor([[40.7270, 11.5755, 10.1581]]) → tensor([[0., 0., 0.]])"
    assert state(site, "one_step_of_learning", "b.grad.zero_()")[-1] == "✎ zeroed: b.grad = tensor([0.2741]) → tensor([0.])"


def test_the_optimizer_step_shows_the_parameters_it_moved(site: Path) -> None:
    lines = state(site, "training_loop", "optimizer.step()")
    assert lines[0] == "✎ changed: model = 4 parameters changed; largest |Δ| 0.05 in out.weight"
    assert [line.split(" = ")[0] for line in lines[1:5]] == [
        "✎ changed: model.hidden.weight (16×1)",
        "✎ changed: model.hidden.bias",
        "✎ changed: model.out.weight (1×16)",
        "✎ changed: model.out.bias",
    ]
    assert lines[4] == "✎ changed: model.out.bias = tensor([-0.1521]) → tensor([-0.1021]) (largest |Δ| 0.05)"
    text = card_text(site, "training_loop", "optimizer.step()")
    assert "✎ changed: model\n= 4 parameters changed; largest |Δ| 0.05 in out.weight" in text
    zero = state(site, "training_loop", "optimizer.zero_grad()")
    # the first step has no gradients to clear yet; the second clears the four
    assert zero[0] == "✎ changed: model = 4 gradients cleared"
    assert zero[1].startswith("✎ cleared: model.hidden.weight.grad = tensor([[-0.0530],") and zero[1].endswith(" → None")


def test_the_loop_steps_to_step_300_and_shows_what_it_changed(site: Path) -> None:
    built(site, "training_loop")
    trace = json.loads((site / "training_loop.json").read_text(encoding="utf-8"))
    step_line = next(
        ln
        for ln in trace["lines"]
        if ln["hits"] == 300 and any(e.get("change") == "summary" for r in ln["records"] for e in r["events"] if "parameters" in (e.get("summary") or ""))
    )
    assert [r["hit"] for r in step_line["records"]] == [0, 1, 2, 299]
    text = card_text(site, "training_loop", "optimizer.step()")
    assert "Ran 300 times · hits 1–3 and 300 of 300 recorded" in text
    last = text[text.index("Hit 300 of 300") :]
    assert re.match(r"Hit 300 of 300\n✎ changed: model\n= 4 parameters changed; largest \|Δ\| 0\.00\d+ in \w+\.\w+\n✎ changed: model\.hidden\.weight", last)
    lines = state(site, "training_loop", "optimizer.step()")
    assert sum(line.startswith("✎ changed: model = 4 parameters changed") for line in lines) == 4  # hits 1, 2, 3 and 300
