"""The MkDocs plugin (entry point `tracekit`) with the real `mkdocs build`: fences, cache, failures, watching."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import page_text
from integrations import FAILING, STEP, mkdocs_build, mkdocs_project, write
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
    runs = _templates(_html(tmp_path, "index.html"))  # the :vary: n=4,5 listing: each run in its own template
    assert sorted(runs) == ["n=4", "n=5"] and "total is 12" in runs["n=4"] and "total is 20" in runs["n=5"]


def _templates(html: str) -> dict[str, str]:
    """Each other run's listing by its label (lr=0.01), as the page's text."""
    return {label: page_text(body) for label, body in re.findall(r'<template class="tk-v"[^>]*data-v="([^"]*)">(.*?)</template>', html, re.S)}


def _logged(log: Path) -> int:
    return log.read_text().count("run") if log.exists() else 0


def test_vary_runs_each_value_once_and_shows_each_run_in_its_own_template(tmp_path: Path) -> None:
    project = mkdocs_project(tmp_path)
    log = project / "steps.log"
    fence = "```{listing} ../examples/step.py\n:vary: lr=0.01,0.1\n```\n"
    write(project, {"examples/step.py": STEP.format(log=str(log)), "docs/step.md": f"# Step\n\n{fence}", "docs/again.md": f"# Again\n\n{fence}"})
    done = mkdocs_build(project, "--strict")
    assert done.returncode == 0, done.stderr
    assert _logged(log) == 3  # lr = 0.5 (the example's own), 0.01 and 0.1, for both pages
    for page in ("step/index.html", "again/index.html"):
        html = _html(project, page)
        runs = _templates(html)
        assert sorted(runs) == ["lr=0.01", "lr=0.1"]
        assert "w is 2.98" in runs["lr=0.01"] and "w is 2.8" not in runs["lr=0.01"]
        assert "w is 2.8" in runs["lr=0.1"] and "w is 2.98" not in runs["lr=0.1"]
        shown = page_text(re.sub(r"<template.*?</template>", "", html, flags=re.S))
        assert "w is 2.0" in shown and "w is 2.98" not in shown  # the default run is the page's own
        assert 'data-default="lr=0.5"' in html and re.search(r'<input type="radio" class="vary-r" name="tk1-vary-lr"[^>]* value="0.1"', html)
    assert mkdocs_build(project).returncode == 0 and _logged(log) == 3  # nothing changed: nothing runs
    step = project / "docs" / "step.md"
    step.write_text(step.read_text().replace("lr=0.01,0.1", "lr=0.25"))
    assert mkdocs_build(project).returncode == 0 and _logged(log) == 5  # that page's runs: the default and lr = 0.25
    assert "w is 2.5" in _templates(_html(project, "step/index.html"))["lr=0.25"]


def test_a_bad_vary_is_a_warning_or_an_error_naming_the_page_line(tmp_path: Path) -> None:
    project = mkdocs_project(tmp_path)
    log = project / "steps.log"
    page = "# Bad\n\n```{listing} ../examples/step.py\n:caption: Steps.\n:vary: rate=0.01\n```\n\n```{listing} ../examples/step.py\n:vary: lr=1,2,3,4,5\n:vary: steps=2,3,4\n```\n"
    write(project, {"examples/step.py": STEP.format(log=str(log)), "docs/bad.md": page})
    done = mkdocs_build(project)
    assert done.returncode == 0, done.stderr
    bad = project / "docs" / "bad.md"
    assert f"{bad}:5: tracekit: :vary: rate: step.py assigns no literal to rate at its top level (e.g. `rate = 0.1`)" in done.stderr
    assert f"{bad}:10: tracekit: vary makes 24 runs of step.py with the names before it; at most 16 are allowed" in done.stderr
    html = page_text(_html(project, "bad/index.html"))
    assert html.count("This listing cannot be shown") == 2 and "line 5: :vary: rate: step.py assigns no literal to rate" in html
    assert _logged(log) == 0
    assert mkdocs_build(project, "--strict").returncode != 0
    # a value that is no literal stops the build, as any bad option does
    bad.write_text("# Bad\n\n```{listing} ../examples/step.py\n:vary: lr=0.01,foo\n```\n")
    stopped = mkdocs_build(project)
    assert stopped.returncode != 0 and "bad.md:4: :vary: lr: 'foo' is not a Python literal" in stopped.stderr
