"""Arguments labelled by their parameter names; tables printed as the run prints them."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracekit.child.runtime import _param_names
from tracekit.render.values import _repr_cells

EXAMPLE = '''\
"""Arguments"""
import numpy as np
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=2)
np.set_printoptions(precision=3)
#: A row of numbers.
x = torch.arange(36.0)
#: Reshaped twice.
img = x.reshape(6, 6).reshape(1, 1, 6, 6)
#: Pooled.
p = F.max_pool2d(img, 2)
#: Loss.
loss = F.binary_cross_entropy(torch.sigmoid(x[:2] / 40), torch.tensor([1.0, 0.0]))
#: Unpacked.
a, *_ = [1, 2, 3]
#: Drawn.
n = np.random.normal(0.0, 1.0, 3)
#: A matrix at two decimals.
m = torch.tensor([[1.0, 2.5], [3.25, -4.0]])
#: An array at three decimals.
arr = np.array([[1.0, 2.5], [3.12345, 4.0]])
torch.set_printoptions(sci_mode=True, precision=3)
#: In scientific notation.
s = torch.tensor([[1.0, 0.00002]])
#: Flattened.
flat = img.flatten()
'''


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("args")
    (tmp / "examples").mkdir()
    (tmp / "examples" / "args.py").write_text(EXAMPLE)
    subprocess.run([sys.executable, "-m", "tracekit", "build", "-q", "-j", "1", "-o", str(tmp / "out"), str(tmp / "examples")], check=True, cwd=tmp)
    return (tmp / "out" / "args.html").read_text(encoding="utf-8")


def entries(page: str, kind: str = "arg|result") -> list[str]:
    out = []
    for m in re.finditer(rf'<div class="st st-(?:{kind})\b.*?</div>', page, re.S):
        out.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", m.group(0))).split()))
    return out


def test_positional_arguments_are_named_by_their_parameters(page: str) -> None:
    args = entries(page, "arg")
    assert "⬇ input : img = tensor([[[[ 0., 1., 2., 3., 4., 5.]," in " ".join(args)
    assert "⬇ kernel_size = 2" in args
    assert any(a.startswith("⬇ input of torch.sigmoid() : x[:2] / 40 → torch.sigmoid() = tensor([0.00, 0.03])") for a in args)
    assert any(a.startswith("⬇ target of F.binary_cross_entropy() : torch.tensor([1.0, 0.0]) → F.binary_cross_entropy() = tensor([1., 0.])") for a in args)
    assert ["⬇ loc = 0.0", "⬇ scale = 1.0", "⬇ size = 3"] == [a for a in args if a.split()[1] in ("loc", "scale", "size")]
    assert not any(re.search(r"\barg \d", a) for a in args if "torch.arange" not in a and "36.0" not in a)


def test_star_args_and_chained_calls_get_short_labels(page: str) -> None:
    args = entries(page, "arg")
    assert args.count("⬇ *shape of .reshape(1, 1, 6, 6) → .reshape(1, 1, 6, 6) = 6") == 2
    assert "⬇ *shape of x.reshape() → x.reshape() = 6" in args


def test_a_throwaway_star_target_is_not_a_result(page: str) -> None:
    results = entries(page, "result")
    assert "⬆ result : a = 1" in results
    assert not any(r.startswith("⬆ result : _") for r in results)


def test_tables_follow_the_print_options_and_keep_trailing_zeros(page: str) -> None:
    assert "<td>1.00</td><td>2.50</td></tr><tr><td>3.25</td><td>-4.00</td>" in page
    # numpy at precision 3; each column padded with figure spaces to align on its decimal point
    assert "<td>1.\u2007\u2007\u2007</td><td>2.5</td></tr><tr><td>3.123</td><td>4.\u2007</td>" in page
    assert "<td>1.000e+00</td><td>2.000e-05</td>" in page


def test_cells_align_on_the_decimal_point() -> None:
    assert _repr_cells("[[1.  2.5 ]\n [3.  4.25]]", 2, [2, 2]) == [["1.", "2.5\u2007"], ["3.", "4.25"]]
    assert _repr_cells("tensor([[ 0.5490],\n        [-0.1262]], requires_grad=True)", 2, [1, 1]) == [["0.5490"], ["-0.1262"]]
    assert _repr_cells("tensor([[1, 2], [3, 40]])", 2, [2, 2]) == [["1", "2"], ["3", "40"]]
    assert _repr_cells("tensor([[1, 2]])", 2, [2, 2]) is None  # the repr does not match the rows


def test_parameter_names_come_from_code_or_documented_signatures() -> None:
    def f(a: int, b: int = 1, *rest: int, key: int = 0) -> None: ...

    class C:
        def __init__(self, width: int) -> None: ...

        def method(self, x: int) -> None: ...

    assert _param_names(f, None) == ["a", "b", "*rest"]
    assert _param_names(C, None) == ["width"]
    assert _param_names(C(1).method, None) == ["x"]
    assert _param_names(len, None) == ["obj"]
    assert _param_names(print, "sigmoid(input, *, out=None) -> Tensor") == ["input"]
    assert _param_names(print, "arange(start=0, end, step=1, *, out=None) -> Tensor") is None
    assert _param_names(Path(".").exists, None) == []


def api_notes(page: str) -> list[str]:
    out = []
    for m in re.finditer(r'<div class="st st-api\b.*?</div>', page, re.S):
        text = re.sub(r"<math\b.*?</math>", "[math]", m.group(0), flags=re.S)
        out.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()))
    return out


def test_api_notes_render_math_follow_pointers_and_name_the_public_function(page: str) -> None:
    notes = api_notes(page)
    arange = next(n for n in notes if n.startswith("📚 torch.arange()"))
    assert arange.startswith("📚 torch.arange() = Returns a 1-D tensor of size [math] with values from the interval [start, end)")
    assert "\\frac" not in arange and "<mfrac><mrow><mtext>end</mtext>" in page  # MathML, no raw TeX
    assert "torch.arange(start=0, end, step=1" in arange and "_VariableFunctionsClass" not in page
    # "See torch.flatten" and "Alias for torch.special.expit." are followed to what they point at
    assert "📚 .flatten() = Flattens input by reshaping it into a one-dimensional tensor. torch.Tensor.flatten(start_dim=0, end_dim=-1) -> Tensor" in notes
    assert any(n.startswith("📚 torch.sigmoid() = Computes the expit (also known as the logistic sigmoid function)") for n in notes)
    # boolean_dispatch's wrapper is shown as the public function with its documented signature
    assert any("torch.nn.functional.max_pool2d(input, kernel_size, stride=None" in n for n in notes)
    assert "<locals>" not in page


def test_math_in_summaries_reads_as_text_where_no_markup_is_possible() -> None:
    from tracekit.render.markup import doc_summary_text, tex_text

    doc = r"Returns a 1-D tensor of size :math:`\left\lceil \frac{\text{end} - \text{start}}{\text{step}} \right\rceil` with ``[start, end)``."
    assert doc_summary_text(doc) == "Returns a 1-D tensor of size ⌈ (end - start)/step ⌉ with [start, end)."
    assert tex_text(r"\sigma(x) = \frac{1}{1 + e^{-x}}") == "σ(x) = 1/(1 + e^(-x))"


def test_a_summary_after_a_note_directive_is_the_first_sentence() -> None:
    from tracekit.child.runtime import _first_sentence

    doc = "\nmean(input, *, dtype=None) -> Tensor\n\n.. note::\n    If the `input` is empty it returns ``nan``.\n\n\nReturns the mean value of all elements. Input must be floating point.\n"
    assert _first_sentence(doc) == ("mean(input, *, dtype=None) -> Tensor", "Returns the mean value of all elements.")


def test_a_generic_wrapper_is_named_by_the_function_it_wraps() -> None:
    import functools

    def seed(seed: int) -> int:
        return seed

    @functools.wraps(seed)
    def wrapper(*args: int, **kwargs: int) -> int:
        return seed(*args, **kwargs)

    class Axes:
        def imshow(self, X: object, cmap: object = None) -> None: ...

    def data_decorator(method):  # type: ignore[no-untyped-def]
        @functools.wraps(method)
        def inner(ax, *args, data=None, **kwargs):  # type: ignore[no-untyped-def]
            return method(ax, *args, **kwargs)

        return inner

    Axes.imshow = data_decorator(Axes.imshow)  # type: ignore[method-assign]

    @functools.wraps(seed)
    def own_parameters(value: int, *args: int) -> int:
        return value

    assert _param_names(wrapper, None) == ["seed"]  # torch.manual_seed once torch._dynamo is imported
    assert _param_names(Axes().imshow, None) == ["X", "cmap"]  # the bound method's self left out, as before
    assert _param_names(own_parameters, None) == ["value", "*args"]  # a wrapper that names its own
