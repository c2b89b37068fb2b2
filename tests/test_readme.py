"""The README's authoring example is a real example: it builds, and its page shows the run's values."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_builds_into_a_page_with_values_from_the_run(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Writing an example") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "first_gradient.py").write_text(code, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (tmp_path / "site" / "first_gradient.html").read_text(encoding="utf-8")
    assert "Your First Gradient" in html
    assert "AddBackward0" in html  # the {y.grad_fn.name()} placeholder, filled from the run
    assert "tensor(7.)" in html  # print(x.grad)
    assert "Forward pass" in html  # a plain comment stays
