"""The Sphinx extension (tracekit.sphinx) with the real sphinx-build: listings, gallery, cache, failures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import page_text
from integrations import FAILING, STEP, sphinx_build, sphinx_project, write
from integrations import runs as count_runs

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")


def _html(project: Path, page: str) -> str:
    return (project / "_build" / "html" / page).read_text(encoding="utf-8")


def test_directive_fence_and_gallery_show_the_recorded_values(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    done = sphinx_build(project)
    assert done.returncode == 0, done.stderr
    index = page_text(_html(project, "index.html"))
    # :lines: 15 (the file's line numbers) shows the print line's card only, with what it printed, and the caption
    assert "total is 6" in index
    assert "The last line." in index and "<strong>last</strong>" in _html(project, "index.html")
    assert "Each pass adds the double of i" not in index
    # the MyST fence: every card, no listing pane
    page = _html(project, "page.html")
    assert "Each pass adds the double of" in page_text(page) and 'class="listing-pane"' not in page
    # the gallery: a page per example (the helper it imports gets none) and an index with a toctree
    gallery = project / "docs" / "auto_examples"
    assert sorted(p.name for p in gallery.iterdir()) == ["counted.rst", "index.rst"]
    assert "   counted\n" in (gallery / "index.rst").read_text()
    example_page = _html(project, "auto_examples/counted.html")
    assert "<h1>Doubling numbers" in example_page and 'class="embed-t"' not in example_page  # the title is the page's heading
    assert "A loop doubles each number." in page_text(example_page)
    # assets through Sphinx: linked from the page and copied into _static
    assert "_static/tracekit/tracekit-embed.css" in _html(project, "index.html")
    assert re.search(r'<script defer="defer" src="_static/tracekit/tracekit.js', _html(project, "index.html"))
    assert (project / "_build/html/_static/tracekit/tracekit-embed.css").read_text().startswith("/* tracekit listings")
    # three documents embed the example: it ran once
    assert count_runs(project / "examples") == 1


def test_rebuilds_run_only_what_changed(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    assert sphinx_build(project).returncode == 0
    assert count_runs(project / "examples") == 1
    again = sphinx_build(project)
    assert again.returncode == 0 and count_runs(project / "examples") == 1
    assert "0 added, 0 changed, 0 removed" in again.stdout  # Sphinx read nothing again
    # the document's prose: read again, nothing runs
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text().replace("Prose before", "New prose before"))
    prose = sphinx_build(project)
    assert prose.returncode == 0 and count_runs(project / "examples") == 1
    assert "New prose before" in _html(project, "index.html")
    # a local module the example imports is one of its inputs: the example runs again
    helper = project / "examples" / "helper.py"
    helper.write_text("def double(x):\n    return 20 * x\n")
    changed = sphinx_build(project)
    assert changed.returncode == 0 and count_runs(project / "examples") == 2
    assert "total is 60" in page_text(_html(project, "index.html"))
    assert "total is 60" in page_text(_html(project, "page.html"))


def test_parallel_builds_run_each_example_once(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    for n in range(4):  # more documents embedding the same example, read by two processes
        write(project, {f"docs/more{n}.rst": f"More {n}\n=======\n\n.. tracekit:: ../examples/counted.py\n"})
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text() + "".join(f"   more{n}\n" for n in range(4)))
    done = sphinx_build(project, "-j", "2")
    assert done.returncode == 0, done.stderr
    assert count_runs(project / "examples") == 1
    for n in range(4):
        assert "total is 6" in page_text(_html(project, f"more{n}.html"))


def test_a_failing_example_is_a_warning_naming_its_line_and_an_error_under_W(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    write(project, {"examples/failing.py": FAILING, "docs/broken.rst": "Broken\n======\n\nText.\n\n.. tracekit:: ../examples/failing.py\n"})
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text() + "   broken\n")
    done = sphinx_build(project)
    assert done.returncode == 0
    warning = "broken.rst:6: WARNING: tracekit: examples/failing.py:2: ZeroDivisionError: division by zero"
    assert warning in done.stderr
    page = page_text(_html(project, "broken.html"))
    assert "ZeroDivisionError: division by zero on line 1 (file line: failing.py:2)" in page  # the banner a tracekit page shows
    strict = sphinx_build(project, "-W", "-E")  # -E: read every document again, so the warning is given again
    assert strict.returncode != 0
    assert warning.replace("WARNING", "ERROR") in strict.stderr or warning in strict.stderr
    assert count_runs(project / "examples") == 1  # the failure was cached too


def test_a_bad_path_or_option_is_an_error_naming_the_line(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    write(project, {"docs/bad.rst": "Bad\n===\n\n.. tracekit:: ../examples/missing.py\n\n.. tracekit:: ../examples/counted.py\n   :lines: ten\n"})
    done = sphinx_build(project)
    assert "bad.rst:4: ERROR: tracekit: ../examples/missing.py: no such example" in done.stderr
    assert "bad.rst:6: ERROR: tracekit: :lines: bad line range 'ten'" in done.stderr


def test_the_gallery_reads_sphinx_gallery_configuration(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path, extra='sphinx_gallery_conf = {"examples_dirs": ["../examples"], "gallery_dirs": ["gallery"]}')
    conf = project / "docs" / "conf.py"
    conf.write_text(conf.read_text().replace("tracekit_gallery = ", "unused = "))
    write(project, {"examples/README.txt": "My gallery\n==========\n\nEvery example, run.\n"})
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text().replace("auto_examples/index", "gallery/index"))
    done = sphinx_build(project)
    assert done.returncode == 0, done.stderr
    assert not (project / "docs" / "auto_examples").exists()
    gallery = page_text(_html(project, "gallery/index.html"))
    assert "My gallery" in gallery and "Every example, run." in gallery and "Doubling numbers" in gallery
    # an example removed: the page the gallery wrote for it goes, a page of the author's stays
    write(project, {"docs/gallery/notes.rst": "Notes\n=====\n"})
    (project / "examples" / "counted.py").unlink()
    (project / "examples" / "helper.py").unlink()
    sphinx_build(project)
    assert sorted(p.name for p in (project / "docs" / "gallery").iterdir()) == ["index.rst", "notes.rst"]


def test_figures_are_copied_and_linked_from_each_page(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    project = sphinx_project(tmp_path)
    write(
        project,
        {
            "examples/plot.py": '"""A line"""\nimport matplotlib.pyplot as plt\n\nplt.plot([1, 2, 3])\nplt.title("Rising")\nplt.show()\n',
            "docs/sub/plotted.rst": "Plotted\n=======\n\n.. tracekit:: ../../examples/plot.py\n",
        },
    )
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text() + "   sub/plotted\n")
    assert sphinx_build(project).returncode == 0
    html = _html(project, "sub/plotted.html")
    srcs = re.findall(r'<img src="([^"]+\.png)"', html)
    assert srcs and all(s.startswith("../_images/tracekit/") for s in srcs)
    for src in srcs:
        assert (project / "_build/html/sub" / src).resolve().is_file()


def test_the_complete_example_in_the_docs_builds(tmp_path: Path) -> None:
    from integrations import doc_files

    files = doc_files(Path(__file__).resolve().parent.parent / "docs" / "sphinx.md")
    assert sorted(files) == ["docs/conf.py", "docs/index.rst", "docs/markdown.md", "examples/doubling.py"]
    write(tmp_path, files)
    done = sphinx_build(tmp_path)
    assert done.returncode == 0 and "WARNING" not in done.stderr, done.stderr
    index = page_text(_html(tmp_path, "index.html"))
    assert "total is 6" in index and "Each pass adds the double of" not in index
    runs = _templates(_html(tmp_path, "index.html"))  # the :vary: n=4,5 listing: each run in its own template
    assert sorted(runs) == ["n=4", "n=5"] and "total is 12" in runs["n=4"] and "total is 20" in runs["n=5"]
    assert "Each pass adds the double of i" in page_text(_html(tmp_path, "markdown.html"))
    assert "<h1>Doubling numbers" in _html(tmp_path, "auto_examples/doubling.html")


def _templates(html: str) -> dict[str, str]:
    """Each other run's listing by its label (lr=0.01), as the page's text."""
    return {label: page_text(body) for label, body in re.findall(r'<template class="tk-v"[^>]*data-v="([^"]*)">(.*?)</template>', html, re.S)}


def _varied(project: Path) -> Path:
    """PROJECT's examples with step.py, which logs every run (its variants' too) to PROJECT/steps.log."""
    write(project, {"examples/step.py": STEP.format(log=str(project / "steps.log"))})
    return project / "steps.log"


def _logged(log: Path) -> int:
    return log.read_text().count("run") if log.exists() else 0


def test_vary_runs_each_value_once_and_shows_each_run_in_its_own_template(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    log = _varied(project)
    vary = "   :vary: lr=0.01,0.1\n"
    docs = {f"docs/step{n}.rst": f"Step {n}\n======\n\n.. tracekit:: ../examples/step.py\n{vary}" for n in range(4)}
    docs["docs/fence.md"] = "# Fence\n\n```{tracekit} ../examples/step.py\n:vary: lr=0.01,0.1\n```\n"
    write(project, docs)
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text() + "".join(f"   step{n}\n" for n in range(4)) + "   fence\n")
    done = sphinx_build(project, "-j", "2")  # five documents, two processes: each run once
    assert done.returncode == 0 and "WARNING" not in done.stderr, done.stderr
    # lr = 0.5 (the example's own), 0.01 and 0.1; and the gallery's page, which shows the example unvaried, from a slot of its own
    assert _logged(log) == 4
    for page in ("step0.html", "step3.html", "fence.html"):
        html = _html(project, page)
        runs = _templates(html)
        assert sorted(runs) == ["lr=0.01", "lr=0.1"]
        assert "w is 2.98" in runs["lr=0.01"] and "w is 2.8" not in runs["lr=0.01"]
        assert "w is 2.8" in runs["lr=0.1"] and "w is 2.98" not in runs["lr=0.1"]
        shown = page_text(re.sub(r"<template.*?</template>", "", html, flags=re.S))
        assert "w is 2.0" in shown and "w is 2.98" not in shown  # the default run is the page's own
        assert 'data-default="lr=0.5"' in html and re.search(r'<input type="radio" class="vary-r" name="tk1-vary-lr"[^>]* value="0.01"', html)
    again = sphinx_build(project)
    assert again.returncode == 0 and "0 added, 0 changed, 0 removed" in again.stdout and _logged(log) == 4
    everything = sphinx_build(project, "-E")  # every document read again: the runs come from the cache
    assert everything.returncode == 0 and _logged(log) == 4
    # other values in one document: its runs (the default and lr = 0.25) are new, the others' are kept
    step0 = project / "docs" / "step0.rst"
    step0.write_text(step0.read_text().replace("lr=0.01,0.1", "lr=0.25"))
    assert sphinx_build(project).returncode == 0 and _logged(log) == 6
    assert "w is 2.5" in _templates(_html(project, "step0.html"))["lr=0.25"]


def test_a_bad_vary_is_a_warning_naming_the_document_line_and_an_error_under_W(tmp_path: Path) -> None:
    project = sphinx_project(tmp_path)
    log = _varied(project)
    write(
        project,
        {
            "docs/bad.rst": (
                "Bad\n===\n\n"
                ".. tracekit:: ../examples/step.py\n   :caption: Steps.\n   :vary: rate=0.01,0.1\n\n"
                ".. tracekit:: ../examples/step.py\n   :vary: lr=0.01,foo\n\n"
                ".. tracekit:: ../examples/step.py\n   :vary: lr=1,2,3,4,5\n      steps=2,3,4\n"
            ),
            "docs/badfence.md": "# Bad fence\n\n```{tracekit} ../examples/step.py\n:vary: lr 0.1\n```\n",
        },
    )
    index = project / "docs" / "index.rst"
    index.write_text(index.read_text() + "   bad\n   badfence\n")
    done = sphinx_build(project)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "WARNING: tracekit" in line]
    bad, fence = project / "docs" / "bad.rst", project / "docs" / "badfence.md"
    assert warnings == [
        f"{bad}:6: WARNING: tracekit: :vary: rate: step.py assigns no literal to rate at its top level (e.g. `rate = 0.1`) [tracekit.vary]",
        f"{bad}:9: WARNING: tracekit: :vary: lr: 'foo' is not a Python literal [tracekit.vary]",
        f"{bad}:13: WARNING: tracekit: vary makes 24 runs of step.py with the names before it; at most 16 are allowed [tracekit.vary]",
        f"{fence}:4: WARNING: tracekit: :vary: expects NAME=V1,V2,… (e.g. `:vary: lr=0.01,0.1`), found 'lr 0.1' [tracekit.vary]",
    ]
    page = page_text(_html(project, "bad.html"))
    assert page.count("This listing cannot be shown") == 3
    assert "line 6: :vary: rate: step.py assigns no literal to rate" in page
    assert _logged(log) == 1  # the gallery's page of the example ran it; the bad listings ran nothing
    strict = sphinx_build(project, "-W", "-E")
    assert strict.returncode != 0
    assert f"{bad}:6: ERROR: tracekit: :vary: rate:" in strict.stderr or f"{bad}:6: WARNING: tracekit: :vary: rate:" in strict.stderr


def test_a_listing_s_trace_is_read_once_whether_run_now_or_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit.embed import render_listing, run_example
    from tracekit.trace import Trace

    (tmp_path / "ex.py").write_text('"""Ex."""\nlr = 0.5  # tracekit: vary=0.5,2\nz = lr * 4\n', encoding="utf-8")
    real = Trace.from_dict.__func__  # type: ignore[attr-defined]
    read: list[str] = []

    def counted(cls: type[Trace], d: object) -> Trace:
        trace = real(cls, d)
        read.append(trace.source.path)
        return trace

    monkeypatch.setattr(Trace, "from_dict", classmethod(counted))
    run = run_example(tmp_path / "ex.py", cache=tmp_path / "cache")
    html = render_listing(run, prefix="tk1-", fig_root="_images/")
    assert run.ran and len(read) == 2  # the lr=0.5 and lr=2 runs, each read by the run itself
    read.clear()
    again = run_example(tmp_path / "ex.py", cache=tmp_path / "cache")
    assert render_listing(again, prefix="tk1-", fig_root="_images/") == html
    assert not again.ran and len(read) == 2  # the stored page and its lr=2 run, once each
