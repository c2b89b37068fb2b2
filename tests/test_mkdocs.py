"""The MkDocs plugin (entry point `tracekit`) with the real `mkdocs build`: fences, cache, failures, watching."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import page_text
from integrations import FAILING, mkdocs_build, mkdocs_project, write
from integrations import runs as count_runs

pytest.importorskip("mkdocs")


def _html(project: Path, page: str) -> str:
    return (project / "site" / page).read_text(encoding="utf-8")


def test_fences_show_the_recorded_values_and_rebuilds_run_only_what_changed(tmp_path: Path) -> None:
    project = mkdocs_project(tmp_path)
    done = mkdocs_build(project)
    assert done.returncode == 0, done.stderr
    index = _html(project, "index.html")
    assert "total is 6" in page_text(index) and "The <strong>last</strong> line." in index
    assert "Each pass adds the double of" not in page_text(index)  # :lines: 15: the print line only
    assert "not_an_example.py" in index  # a fence inside another fence is text
    loop = _html(project, "guide/loop/index.html")
    assert "Each pass adds the double of" in page_text(loop) and 'class="listing-pane"' in loop
    assert 'href="../../assets/tracekit/tracekit-embed.css"' in loop and "../../assets/tracekit/tracekit.js" in loop
    assert (project / "site/assets/tracekit/tracekit.js").is_file()
    assert count_runs(project / "examples") == 1  # two pages embed it: it ran once
    assert mkdocs_build(project).returncode == 0 and count_runs(project / "examples") == 1
    page = project / "docs" / "index.md"
    page.write_text(page.read_text().replace("Prose before", "New prose before"))
    assert mkdocs_build(project).returncode == 0 and count_runs(project / "examples") == 1
    assert "New prose before" in _html(project, "index.html")
    (project / "examples" / "helper.py").write_text("def double(x):\n    return 20 * x\n")
    assert mkdocs_build(project).returncode == 0 and count_runs(project / "examples") == 2
    assert "total is 60" in page_text(_html(project, "guide/loop/index.html"))


def test_a_failing_example_is_a_warning_naming_its_line_and_fails_strict(tmp_path: Path) -> None:
    project = mkdocs_project(tmp_path)
    write(project, {"examples/failing.py": FAILING, "docs/broken.md": "# Broken\n\nText.\n\n```{listing} ../examples/failing.py\n```\n"})
    done = mkdocs_build(project)
    assert done.returncode == 0
    assert "broken.md:5: tracekit: " in done.stderr and "examples/failing.py:2: ZeroDivisionError: division by zero" in done.stderr
    assert "ZeroDivisionError: division by zero on line 1 (file line: failing.py:2)" in page_text(_html(project, "broken/index.html"))
    strict = mkdocs_build(project, "--strict")
    assert strict.returncode != 0


def test_a_bad_fence_stops_the_build_naming_the_line(tmp_path: Path) -> None:
    project = mkdocs_project(tmp_path)
    write(project, {"docs/bad.md": "# Bad\n\n```{listing} ../examples/counted.py\n:lines: ten\n```\n"})
    done = mkdocs_build(project)
    assert done.returncode != 0
    assert "bad.md:4: :lines: bad line range 'ten'" in done.stderr


def test_serve_watches_the_examples_and_their_imports(tmp_path: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    project = mkdocs_project(tmp_path)
    config = load_config(str(project / "mkdocs.yml"))
    build(config)
    plugin = config.plugins["tracekit"]

    class Server:
        watched: list[str] = []

        def watch(self, path: str) -> None:
            self.watched.append(path)

    server = Server()
    assert plugin.on_serve(server, config=config, builder=None) is server
    assert sorted(Path(p).name for p in server.watched) == ["counted.py", "helper.py"]


def test_the_complete_example_in_the_docs_builds(tmp_path: Path) -> None:
    from integrations import doc_files

    files = doc_files(Path(__file__).resolve().parent.parent / "docs" / "mkdocs.md")
    assert sorted(files) == ["docs/index.md", "examples/doubling.py", "mkdocs.yml"]
    write(tmp_path, files)
    done = mkdocs_build(tmp_path, "--strict")
    assert done.returncode == 0, done.stderr
    index = page_text(_html(tmp_path, "index.html"))
    assert "total is 6" in index and "Only the last line, with what it printed." in index
    assert "Each pass adds the double of" not in index
