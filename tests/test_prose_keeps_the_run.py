"""Prose placeholders are read from the run and never change it: same random numbers, same counts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from test_engine import line

from tracekit.run import trace_file

RANDOM_SCRIPT = """\
import random
import numpy as np
import torch
random.seed(1)
np.random.seed(1)
torch.manual_seed(1)
first = torch.rand(1).item()
print(f"{torch.rand(1).item():.4f} {random.random():.4f} {np.random.rand():.4f}")
print(f"{torch.randn(2).tolist()} {random.randint(0, 99)} {np.random.randint(0, 99)}")
"""


def test_placeholders_that_draw_random_numbers_leave_the_printed_numbers_python_s(tmp_path: Path) -> None:
    script = tmp_path / "r.py"
    script.write_text(RANDOM_SCRIPT)
    python = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    draws = ["torch.rand(1).item():.4f", "random.random():.4f", "np.random.rand():.4f", "np.random.default_rng().random() > 2"]
    t = trace_file(script, probes={7: draws, 8: draws}, capture=True).trace.to_dict()
    assert t["status"] == "ok"
    assert t["stdout"] == python
    # the placeholders did draw: from the same states the script's next line drew from
    printed = python.split("\n")[0].split()
    assert [line(t, 7)["records"][0]["probes"][d] for d in draws[:3]] == printed


def test_a_placeholder_calling_the_script_s_code_adds_no_hits_or_records(tmp_path: Path) -> None:
    script = tmp_path / "d.py"
    script.write_text(
        textwrap.dedent("""\
        class Squares:
            def __getitem__(self, i):
                if i < 0:
                    raise IndexError(i)
                return i * i
        ds = Squares()
        x = ds[2]
        print(x)
        """)
    )
    probes = {7: ["ds[3]!r", "x"], 8: ["ds[4]"]}
    t = trace_file(script, probes=probes, capture=True).trace.to_dict()
    assert line(t, 7)["records"][0]["probes"] == {"ds[3]!r": "9", "x": "4"}
    assert line(t, 8)["records"][0]["probes"] == {"ds[4]": "16"}
    # __getitem__ ran once for the script (ds[2]), as under python
    assert line(t, 3)["hits"] == 1 and line(t, 5)["hits"] == 1
    assert [r["hit"] for r in line(t, 5)["records"]] == [0]
    assert line(t, 5)["records"][0]["events"][0]["value"]["repr"] == "4"


def test_a_placeholder_that_raises_inside_the_script_s_code_counts_no_exception(tmp_path: Path) -> None:
    script = tmp_path / "e.py"
    script.write_text(
        textwrap.dedent("""\
        def check(i):
            if i < 0:
                raise ValueError(i)
            return i
        y = check(1)
        """)
    )
    t = trace_file(script, probes={5: ["check(-1)"]}, capture=True).trace.to_dict()
    assert line(t, 3)["exceptions"] == 0 and line(t, 3)["hits"] == 0
    assert t["placeholder_errors"] == [{"line": 5, "placeholder": "check(-1)", "error": "ValueError: -1"}]
    assert json.dumps(t).count("ValueError") == 2  # the placeholder error and the page error only
