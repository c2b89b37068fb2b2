"""The Sphinx extension (tracekit.sphinx) with the real sphinx-build: listings, gallery, cache, failures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import page_text
from integrations import FAILING, sphinx_build, sphinx_project, write
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
    assert "Each pass adds the double of i" in page_text(_html(tmp_path, "markdown.html"))
    assert "<h1>Doubling numbers" in _html(tmp_path, "auto_examples/doubling.html")
