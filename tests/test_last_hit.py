"""Every step of a loop: the first hits and, in the same run, the last hit of every line."""

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
from tracekit.child.lasthit import thinned_hits
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


def _traced(tmp_path: Path, code: str, probes: dict | None = None, **options: object) -> dict:
    script = tmp_path / "loop.py"
    script.write_text(textwrap.dedent(code))
    result = trace_file(script, capture=True, hits=3, probes=probes, cwd=tmp_path, **options)  # type: ignore[arg-type]
    jsonschema.validate(result.trace.to_dict(), SCHEMA)
    trace_mod.Trace.from_dict(result.trace.to_dict())  # the typed reader accepts it too
    return result.trace.to_dict()


def _line(t: dict, n: int) -> dict:
    return next(ln for ln in t["lines"] if ln["line"] == n)


def test_the_last_hit_of_lines_hit_more_than_n_times_is_recorded_exactly(tmp_path: Path) -> None:
    t = _traced(tmp_path, LOOP, probes={4: ["total", "i"]})
    assert [ln["line"] for ln in t["lines"] if any(r.get("last") for r in ln["records"])] == [3, 4, 5]
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
    t = _traced(tmp_path, "for i in range(7):\n    print('step', i)\n")
    last = _line(t, 2)["records"][-1]
    assert (last["hit"], last["last"], last["output"]) == (6, True, "step 6\n")


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


def test_the_last_hit_can_be_turned_off(tmp_path: Path) -> None:
    text = _visible(_build(tmp_path, STEPS, "--no-last-hit"))
    assert "Ran 6 times · first 3 recorded" in text
    assert "Hit 6 of 6" not in text


def test_a_loop_writing_a_file_runs_once_and_shows_its_last_hit(tmp_path: Path) -> None:
    page = _build(
        tmp_path,
        '''\
        """Appends"""
        #: One line per step.
        for i in range(300):
            with open("steps.txt", "a") as f:
                f.write(f"step {i}\\n")
        ''',
    )
    lines = (tmp_path / "examples" / "steps.txt").read_text().splitlines()
    assert len(lines) == 300 and lines[-1] == "step 299"
    text = _visible(page)
    assert "Ran 300 times · hits 1–3 and 300 of 300 recorded" in text
    assert "Hit 300 of 300" in text and "i = 299" in text


def test_a_range_loop_shows_the_exact_last_hit_values(tmp_path: Path) -> None:
    t = _traced(tmp_path, "total = 0\nfor i in range(300):\n    total += i * i\n    sq = i * i\n")
    body = _line(t, 4)
    assert body["hits"] == 300
    assert [(r["hit"], r.get("last", False)) for r in body["records"]] == [(0, False), (1, False), (2, False), (299, True)]
    last = body["records"][-1]
    assert [(e["role"], e["text"], e["value"]["repr"]) for e in last["events"] if e["role"] in ("value", "bind")] == [("bind", "sq", "89401")]
    assert [(r["hit"], r["events"][-1]["value"]["repr"]) for r in _line(t, 3)["records"]][-1] == (299, str(sum(i * i for i in range(300))))
    assert _line(t, 2)["records"][-1]["hit"] == 299  # the loop variable's last binding


def test_a_long_while_loop_shows_the_latest_thinned_hit_by_its_number(tmp_path: Path) -> None:
    assert thinned_hits(3, 70_000) == [0, 1, 2, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383, 32767, 65535]
    page = _build(
        tmp_path,
        '''\
        """Counting"""
        n = 0
        while n < 70000:
            #: Count up.
            n += 1
        ''',
    )
    text = _visible(page)
    assert "Ran 70,000 times · hits 1–3 and 65,536 of 70,000 recorded" in text
    assert "Hit 65,536 of 70,000" in text
    last = re.search(r'<section class="hit" data-hit="65535".*?</section>', page, re.S)
    assert last is not None and "n = 65536" in _visible(last.group(0))


def test_nested_loops_record_the_inner_body_s_last_hit(tmp_path: Path) -> None:
    t = _traced(tmp_path, "s = 0\nfor i in range(40):\n    for j in range(50):\n        s += i * j\n    row = i\nprint(s)\n")
    inner = _line(t, 4)
    assert inner["hits"] == 2000
    last = inner["records"][-1]
    assert (last["hit"], last.get("last")) == (1999, True)
    assert [e["value"]["repr"] for e in last["events"] if e["role"] == "value"] == ["1911"]  # i * j on the last step, 39 * 49
    assert _line(t, 3)["records"][-1]["hit"] == 1999 and _line(t, 3)["records"][-1]["events"][-1]["value"]["repr"] == "49"
    assert (_line(t, 5)["records"][-1]["hit"], _line(t, 5)["records"][-1]["events"][-1]["value"]["repr"]) == (39, "39")
    assert t["stdout"] == f"{sum(i * j for i in range(40) for j in range(50))}\n"


def test_a_list_that_grows_while_iterated_shows_the_hit_its_window_saw(tmp_path: Path) -> None:
    t = _traced(tmp_path, "xs = [1, 2, 3, 4, 5]\nfor x in xs:\n    if x < 3:\n        xs.append(x + 10)\n    y = x\nprint(xs, y)\n")
    assert t["stdout"] == "[1, 2, 3, 4, 5, 11, 12] 12\n"  # python's for sees the appended items
    body = _line(t, 5)
    assert body["hits"] == 7
    # the length known at the start (5) opened the gates on the 5th item: not the last one, and
    # the page names it for what it is
    assert [(r["hit"], r.get("last")) for r in body["records"]][-1] == (4, True)
    assert body["records"][-1]["events"][-1]["value"]["repr"] == "5"


def test_a_loop_left_by_break_closes_its_window(tmp_path: Path) -> None:
    code = "def f(n):\n    for i in range(n):\n        y = i * 2\n        if i == n - 1:\n            break\nfor k in range(1000):\n    f(3)\n"
    t = _traced(tmp_path, code)
    body = _line(t, 3)
    assert body["hits"] == 3000
    # windows open on recorded runs of the loop only (runs 1-3, 4, 8, … 512): the latest record
    # is the thinned hit 2,048, not every hit after the first window
    assert [r["hit"] for r in body["records"]] == [0, 1, 2, 2047]


def test_recording_keeps_no_reference_to_a_loop_s_items(tmp_path: Path) -> None:
    code = "import weakref\nclass A:\n    pass\nxs = [A() for _ in range(10)]\nfor a in xs:\n    b = a\nr = weakref.ref(xs[-1])\ndel xs, a, b\nprint(r() is None)\n"
    assert _traced(tmp_path, code)["stdout"] == "True\n"


def test_a_notebook_prints_the_loop_s_output_once(tmp_path: Path) -> None:
    from tracekit.book.notebook import notebook
    from tracekit.source import read_example

    code = '"""Loop"""\n#: Each step prints.\nfor i in range(5):\n    print("step", i)\n'
    t = _traced(tmp_path, code)
    script = tmp_path / "loop.py"
    nb = notebook(read_example(script, tmp_path), t, script.read_text())
    printed = "".join("".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert printed == "".join(f"step {i}\n" for i in range(5))


def test_a_program_without_builtin_iter_still_gets_its_loops_last_hit(tmp_path: Path) -> None:
    # CPython's test_iter deletes builtins' `iter` and puts back a key whose __eq__ has effects:
    # the gates and loop windows must look no builtin up while the program runs
    code = """\
        import builtins
        b = builtins.__dict__
        real = b.pop("iter")
        total = 0
        for x in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]:
            total += x
        b["iter"] = real
        print(total, iter is real)
        """
    t = _traced(tmp_path, code)
    assert (t["status"], t["stdout"]) == ("ok", "55 True\n")
    assert [(r["hit"], r.get("last", False)) for r in _line(t, 6)["records"]] == [(0, False), (1, False), (2, False), (9, True)]
