"""Every step of a loop: the first hits and, from a second seeded run, the last hit of every line."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema

from tracekit import trace as trace_mod
from tracekit.lasthit import lines_to_revisit, with_last_hits
from tracekit.run import trace_file

SCHEMA = json.loads(trace_mod.SCHEMA_PATH.read_text())

LOOP = """\
import random
total = 0
for i in range(10):
    total += i * random.randint(1, 3)
    if i % 4 == 0:
        print("at", i, total)
print("done", total)
"""


def _traced(tmp_path: Path, code: str, probes: dict | None = None) -> tuple[dict, float]:
    script = tmp_path / "loop.py"
    script.write_text(textwrap.dedent(code))
    result = trace_file(script, capture=True, hits=3, probes=probes)
    seconds = with_last_hits(result, 3, lambda line_hits: trace_file(script, capture=True, hits=3, probes=probes, last_hits=line_hits))
    jsonschema.validate(result.trace, SCHEMA)
    trace_mod.Trace.from_dict(result.trace)  # the typed reader accepts it too
    return result.trace, seconds


def _line(t: dict, n: int) -> dict:
    return next(ln for ln in t["lines"] if ln["line"] == n)


def test_the_last_hit_of_lines_hit_more_than_n_times_is_recorded_exactly(tmp_path: Path) -> None:
    t, seconds = _traced(tmp_path, LOOP, probes={4: ["total", "i"]})
    assert seconds > 0
    assert t["last_hit"] == {"recorded": True, "lines": [3, 4, 5]}
    body = _line(t, 4)
    assert body["hits"] == 10
    assert [(r["hit"], r.get("last", False)) for r in body["records"]] == [(0, False), (1, False), (2, False), (9, True)]
    # the last hit's values and placeholders are those of step 10 of the same seeded run
    last = body["records"][-1]
    assert last["probes"]["i"] == "9"
    final_total = t["stdout"].strip().split("\n")[-1].split()[-1]
    assert last["probes"]["total"] == final_total
    assert [e["value"]["repr"] for e in last["events"] if e["role"] == "bind"] == [final_total]
    # a line with fewer hits than the limit keeps its records as they were
    assert [r["hit"] for r in _line(t, 2)["records"]] == [0]
    # the print inside the `if` ran 3 times: all recorded, no second record of its last
    assert [r["hit"] for r in _line(t, 6)["records"]] == [0, 1, 2]
    assert _line(t, 6)["records"][2]["output"] == t["stdout"].split("\n")[2] + "\n"


def test_the_last_hit_s_output_is_its_own(tmp_path: Path) -> None:
    t, _s = _traced(tmp_path, "for i in range(7):\n    print('step', i)\n")
    last = _line(t, 2)["records"][-1]
    assert (last["hit"], last["last"], last["output"]) == (6, True, "step 6\n")


def test_runs_that_disagree_keep_only_the_first_hits_and_say_why(tmp_path: Path) -> None:
    counter = tmp_path / "runs.txt"
    code = f"""\
    import pathlib
    p = pathlib.Path({str(counter)!r})
    n = int(p.read_text()) if p.exists() else 0
    p.write_text(str(n + 1))
    for i in range(5 + n):
        pass
    """
    t, _s = _traced(tmp_path, code)
    assert t["last_hit"] == {"recorded": False, "reason": "the last hits are not shown: a second run disagreed (line 5 ran 5 times, then 6 times)"}
    assert [r["hit"] for r in _line(t, 6)["records"]] == [0, 1, 2]


def test_no_second_run_without_lines_hit_often_or_after_a_failure() -> None:
    ok = {"status": "ok", "lines": [{"line": 1, "hits": 3}, {"line": 2, "hits": 4}]}
    assert lines_to_revisit(ok, 3) == {2: 4}
    assert lines_to_revisit({**ok, "status": "error"}, 3) == {}
    assert lines_to_revisit(ok, 4) == {}


def _build(tmp_path: Path, source: str, *options: str) -> str:
    src = tmp_path / "examples"
    src.mkdir(exist_ok=True)
    (src / "steps.py").write_text(textwrap.dedent(source))
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "tracekit", "build", "-q", "-j", "1", "--force", *options, "-o", str(out), str(src)], check=True, cwd=tmp_path)
    return (out / "steps.html").read_text(encoding="utf-8")


def _visible(page: str) -> str:
    page = re.sub(r"<(template|script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


STEPS = '''\
"""Steps"""
total = 0
for step in range(6):
    #: After step {step + 1} the total is {total}.
    total += step
'''


def test_the_page_steps_to_the_last_hit_and_its_prose_follows(tmp_path: Path) -> None:
    page = _build(tmp_path, STEPS)
    text = _visible(page)
    assert "Ran 6 times · hits 1–3 and 6 of 6 recorded" in text
    assert "Hits 2–3 and 6" in text
    assert "Hit 6 of 6 ⬆ result : total = 15" in text
    # without JavaScript the prose shows the first hit's numbers; one template per recorded hit
    assert "After step 1 the total is 0 ." in text
    templates = dict(re.findall(r'<template class="hit-prose" data-hit="(\d+)">(.*?)</template>', page, re.S))
    assert sorted(templates, key=int) == ["0", "1", "2", "5"]
    assert "After step 6 the total is" in _visible(templates["5"]) and ">15<" in templates["5"]
    assert ">3<" in templates["2"]


def test_the_second_run_can_be_turned_off(tmp_path: Path) -> None:
    text = _visible(_build(tmp_path, STEPS, "--no-last-hit"))
    assert "Ran 6 times · first 3 recorded" in text
    assert "Hit 6 of 6" not in text


def test_a_page_says_when_the_runs_disagreed(tmp_path: Path) -> None:
    counter = tmp_path / "runs.txt"
    text = _visible(
        _build(
            tmp_path,
            f'''\
            """Steps"""
            import pathlib
            p = pathlib.Path({str(counter)!r})
            n = int(p.read_text()) if p.exists() else 0
            p.write_text(str(n + 1))
            #: Loop.
            for i in range(5 + n):
                pass
            ''',
        )
    )
    assert "Only the first hits are shown. The last hits are not shown: a second run disagreed (line 7 ran 5 times, then 6 times)." in text
    assert "Ran 5 times · first 3 recorded" in text


def test_the_build_reports_what_the_last_hit_run_cost(tmp_path: Path) -> None:
    src = tmp_path / "examples"
    src.mkdir()
    (src / "steps.py").write_text(STEPS)
    (src / "once.py").write_text('"""Once"""\nx = 1\n')
    run = subprocess.run(
        [sys.executable, "-m", "tracekit", "build", "-j", "1", "-o", str(tmp_path / "out"), str(src)], capture_output=True, text=True, check=True
    )
    steps = next(line for line in run.stdout.splitlines() if "steps.py" in line)
    once = next(line for line in run.stdout.splitlines() if "once.py" in line)
    assert re.search(r"steps\.py \d+\.\d\ds \(\d+\.\d\ds of it the last-hit run\), \d+ hits$", steps)
    assert "last-hit" not in once  # no line ran more than `hits` times: no second run


def test_a_notebook_prints_the_loop_s_output_once(tmp_path: Path) -> None:
    from tracekit.notebook import notebook
    from tracekit.source import read_example

    code = '"""Loop"""\n#: Each step prints.\nfor i in range(5):\n    print("step", i)\n'
    t, _s = _traced(tmp_path, code)
    script = tmp_path / "loop.py"
    nb = notebook(read_example(script, tmp_path), t, script.read_text())
    printed = "".join("".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert printed == "".join(f"step {i}\n" for i in range(5))
