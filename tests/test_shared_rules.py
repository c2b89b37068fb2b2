"""Each rule tracekit applies in several stages is written once: the callers go through that one
function, and what a user sees follows from it (the same placeholder on the page as in the run)."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, page_text

from tracekit.book import notebook
from tracekit.child import placeholders
from tracekit.render import markup
from tracekit.site.build_site import build
from tracekit.site.report import Reporter
from tracekit.source import read_example

PACKAGE = ROOT / "tracekit"


def sources() -> dict[str, str]:
    """Every module of tracekit: its path in the package → its text."""
    return {p.relative_to(PACKAGE).as_posix(): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def holding(pattern: str) -> list[str]:
    """The modules whose text matches the regular expression PATTERN."""
    return [rel for rel, text in sources().items() if re.search(pattern, text, re.M)]


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Wrap MODULE.NAME so each call is counted in the returned list."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(module, name)

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(module, name, spy)
    return calls


def build_one(tmp_path: Path, name: str, text: str) -> Path:
    """Build a site of the one example NAME holding TEXT; the output folder."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = build([src], output=out, jobs=1, reporter=Reporter(out=io.StringIO(), err=io.StringIO(), tty=False))
    assert result.exit_status == 0
    return out


# ── placeholders: one scanner ────────────────────────────────────────────────

NESTED = "d = {1: 2}\n#: The sum is {sum({1: 2}.values())}, d[1] is {d[1]} and {{braces}} stay.\nx = 1\n"


def test_a_placeholder_with_braces_inside_is_filled_on_the_page_and_in_the_notebook(tmp_path: Path) -> None:
    out = build_one(tmp_path, "nested.py", NESTED)
    assert "The sum is 2, d[1] is 2 and {braces} stay." in page_text((out / "nested.html").read_text(encoding="utf-8"))
    cells = json.loads((out / "downloads" / "nested.ipynb").read_text(encoding="utf-8"))["cells"]
    assert "The sum is 2, d[1] is 2 and {braces} stay." in ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def test_the_run_the_page_and_the_notebook_read_placeholders_with_one_scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "nested.py"
    script.write_text(NESTED, encoding="utf-8")
    run = counting(monkeypatch, placeholders, "placeholder_spans")
    example = read_example(script)
    assert run and example.probes == {3: ["sum({1: 2}.values())", "d[1]"]}
    page = counting(monkeypatch, markup, "placeholder_spans")
    assert "<span" in markup.render_markdown("{sum({1: 2}.values())}", probes={"sum({1: 2}.values())": "2"})
    assert page
    download = counting(monkeypatch, notebook, "placeholder_spans")
    assert notebook._fill("{sum({1: 2}.values())}", {"sum({1: 2}.values())": "2"}) == "2"
    assert download
    # no stage keeps a pattern of its own: a placeholder regex needs the `{{`/`}}` alternative
    assert holding(r"\\\{\\\{\|\\\}\\\}") == []


# ── titles from names: one rule ──────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "title"),
    [("GPU_basics", "GPU basics"), ("02-first_gradient", "First gradient"), ("first-gradient", "First gradient"), ("10_", "10_"), ("2d_plots", "2d plots")],
)
def test_a_title_from_a_name_drops_the_ordering_number_and_keeps_capitals(name: str, title: str) -> None:
    from tracekit.prose import title_from_name

    assert title_from_name(name) == title


def test_files_and_folders_of_the_same_name_get_the_same_title(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "02-first_gradient").mkdir(parents=True)
    (src / "02-first_gradient" / "02-first_gradient.py").write_text("x = 1\n", encoding="utf-8")
    (src / "02-first_gradient" / "GPU_basics.md").write_text("Some words.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert build([src], output=out, jobs=1, reporter=Reporter(out=io.StringIO(), err=io.StringIO(), tty=False)).exit_status == 0
    toc = page_text((out / "index.html").read_text(encoding="utf-8"), "|")
    titles = [t.strip() for t in toc.split("|") if t.strip()]
    assert titles.count("First gradient") == 2  # the part (the folder) and the example (the file)
    assert "GPU basics" in titles
    assert "<h1>First gradient</h1>" in (out / "02-first_gradient" / "02-first_gradient.html").read_text(encoding="utf-8")
    # no other module turns names into titles, nor shows a bare file name as one
    assert holding(r"def _?humanise|\^\\d\+\[") == ["prose.py"]
    assert holding(r"(title\W.*|or )(?<!title_from_name\()(?<!, )PurePosixPath\(\w+\)\.stem") == []


# ── reading time: one word count ─────────────────────────────────────────────


def test_an_example_and_a_chapter_count_the_same_words(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit.book import site as site_module
    from tracekit.book.model import count_words

    prose = "The loss $L = (y - t)^2$ falls: 0.5 → 0.25 — twice."
    assert (count_words(prose), len(prose.split())) == (9, 13)  # `=`, `-`, `→` and `—` are no words
    authored = {"title": "Loss", "intro": prose, "items": [{"prose": prose, "notes": [{"text": "- -"}]}], "listing": [{}, {}]}
    assert site_module._words(authored) == (1 + 9 + 9, 2)
    calls = counting(monkeypatch, site_module, "count_words")
    site_module._words(authored)
    assert len(calls) == 4  # title, intro, the item's prose, its note


# ── cells: one marker ────────────────────────────────────────────────────────


def test_the_cell_marker_is_defined_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit import source
    from tracekit.prose import cell_marker
    from tracekit.site import helpers

    # `#%%` starts a cell for the reader, so a module holding one is no helper either; a `# %%`
    # inside a string starts none, so that module is one
    assert cell_marker("#%%") is not None and helpers.has_prose(b"import os\n#%%\n# Text.\nx = 1\n")
    assert not helpers.has_prose(b'MARK = "# %%"\n')
    for module in (helpers, source):
        calls = counting(monkeypatch, module, "has_cell_marker")
        helpers.has_prose(b"x = 1\n") if module is helpers else source.peek_docstring('"""T."""\n', "t")
        assert calls, module.__name__
    assert holding(r'#\{20|# \?%%|b"# %%"|"#" \* 20') == ["prose.py"]


# ── writing files: one atomic writer ─────────────────────────────────────────


def test_every_temporary_file_is_written_by_the_one_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit.child import jsonio
    from tracekit.render import html
    from tracekit.site import journal

    out = tmp_path / "out"
    outside = tmp_path / "outside.html"
    outside.write_text("mine", encoding="utf-8")
    (out / "a").mkdir(parents=True)
    Path(jsonio.temporary_name(out / "a" / "p.html")).symlink_to(outside)  # planted where the page is staged
    staged = counting(monkeypatch, journal, "write_temporary")
    journal.Journal(out).put({"a/p.html": b"page", "b/q.json": b"{}"})
    assert len(staged) == 2
    assert (out / "a" / "p.html").read_bytes() == b"page" and outside.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == [f".tracekit-journal.{os.getpid()}", "p.html", "q.json"]
    written = counting(monkeypatch, html, "atomic_write")
    assets = html.write_assets(out)
    assert len(written) == len(assets) and not [p for p in (out / "assets").iterdir() if p.name.endswith(".tmp")]
    assert holding(r"os\.O_EXCL") == ["child/jsonio.py"]


# ── dead processes' leftovers: one sweep ─────────────────────────────────────


def test_one_sweep_removes_what_dead_processes_left_and_spares_the_living(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import subprocess
    import sys

    from tracekit import run
    from tracekit import supervisor as supervisor_module
    from tracekit.site import journal

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True).stdout.strip()
    live = str(os.getpid())
    for pid in (dead, live):
        (tmp_path / f"tracekit-{pid}").mkdir()  # a supervisor's cgroup
        (tmp_path / f".tracekit-journal.{pid}").write_text("")
        (tmp_path / f".p.html.{pid}.tmp").write_text("")
    for name in ("run-dead", "run-live"):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".lock").write_text("")
    held = os.open(tmp_path / "run-live" / ".lock", os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # another process's run, still going (flock locks belong to the open file)
    calls = [counting(monkeypatch, module, "sweep_dead") for module in (supervisor_module, journal, run)]
    try:
        assert journal.dead_journals(tmp_path) == [tmp_path / f".tracekit-journal.{dead}"]
        assert journal.leftovers(tmp_path) == [tmp_path / f".p.html.{dead}.tmp"]
        supervisor_module._sweep_cgroups(str(tmp_path))
        run._sweep_runs(str(tmp_path))
    finally:
        os.close(held)
    assert not (tmp_path / f"tracekit-{dead}").exists() and (tmp_path / f"tracekit-{live}").is_dir()
    assert not (tmp_path / "run-dead").exists() and (tmp_path / "run-live").is_dir()
    assert [len(c) for c in calls] == [1, 2, 1]
    assert holding(r"os\.kill\([^)]*, 0\)") == ["supervisor.py"]


# ── run option values: one check each ────────────────────────────────────────


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("device", "cuda:1", "cuda:1"),
        ("device", "gpu", "refused"),
        ("memory", "1.5G", 3 << 29),
        ("memory", "0.0000001K", "refused"),  # no byte at all: it would mean no limit
        ("memory", "2X", "refused"),
        ("seed", "7", 7),
        ("seed", "-1", "refused"),
        ("hits", "0", "refused"),
        ("hits", "3", 3),
        ("timeout", "2.5", 2.5),
        ("timeout", "inf", "refused"),
    ],
)
def test_a_file_option_and_the_config_take_and_refuse_the_same_values(tmp_path: Path, key: str, value: str, expected: Any) -> None:
    from tracekit.config import ConfigError, load_config
    from tracekit.source import AuthoringError

    script = tmp_path / "x.py"
    script.write_text(f"# tracekit: {key}={value}\nx = 1\n", encoding="utf-8")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[tool.tracekit]\n{key} = "{value}"\n', encoding="utf-8")
    try:
        in_file: Any = read_example(script).options[key]
    except AuthoringError:
        in_file = "refused"
    try:
        in_config: Any = getattr(load_config(pyproject=pyproject), key)
    except ConfigError:
        in_config = "refused"
    assert in_file == in_config == expected
    # the patterns a value is read with are written once, in tracekit/options.py
    assert holding(r"cpu\|cuda\|cuda:\\\\d\+\|mps|\(\[KMGT\]\?\)") == ["options.py"]
