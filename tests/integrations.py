"""Small Sphinx and MkDocs projects for the integration tests, built with the real tools."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: a plain-Python example that counts its runs in runs.log beside it, with a local import
COUNTED = '''
"""Doubling numbers

A loop doubles each number.
"""
from pathlib import Path

from helper import double

with open(Path(__file__).with_name("runs.log"), "a") as log:
    log.write("run\\n")
total = 0
#: Each pass adds the double of `i`.
for i in range(3):
    total += double(i)
print("total is", total)
'''
HELPER = "def double(x):\n    return 2 * x\n"
#: an example a `:vary:` can vary (lr, steps); it counts its runs, variants' too, in LOG (an absolute path)
STEP = '''
"""One step

A step of size lr from w = 3.
"""
with open({log!r}, "a") as log:
    log.write("run\\n")
lr = 0.5
steps = 1
w = 3.0 - lr * 2 * steps
print("w is", w)
'''
FAILING = '''
"""Dividing by zero"""
ratio = 1 / 0
'''


def write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def runs(examples: Path) -> int:
    """How many times the counted example ran."""
    try:
        return (examples / "runs.log").read_text().count("run")
    except FileNotFoundError:
        return 0


def sphinx_build(project: Path, *args: str) -> subprocess.CompletedProcess:
    """`sphinx-build -b html docs _build/html` in PROJECT (ARGS before the folders)."""
    pytest.importorskip("sphinx")
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "--no-color", *args, "docs", "_build/html"]  # Sphinx colours its output when CI=true
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300)


def mkdocs_build(project: Path, *args: str) -> subprocess.CompletedProcess:
    """`mkdocs build` in PROJECT."""
    pytest.importorskip("mkdocs")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *args], cwd=project, capture_output=True, text=True, timeout=300)


def sphinx_project(folder: Path, theme: str = "alabaster", extra: str = "") -> Path:
    """A Sphinx project: an index with a directive, a MyST page with a fence, a gallery of the examples."""
    write(
        folder,
        {
            "examples/counted.py": COUNTED,
            "examples/helper.py": HELPER,
            "docs/conf.py": f"""
                project = "Demo"
                extensions = ["tracekit.sphinx", "myst_parser"]
                tracekit_gallery = {{"examples": "../examples", "into": "auto_examples"}}
                html_theme = "{theme}"
                {extra}
            """,
            "docs/index.rst": """
                Demo
                ====

                Prose before the listing.

                .. tracekit:: ../examples/counted.py
                   :lines: 15
                   :caption: The **last** line.

                .. toctree::

                   page
                   auto_examples/index
            """,
            "docs/page.md": """
                # A MyST page

                ```{tracekit} ../examples/counted.py
                :hide-listing:
                ```
            """,
        },
    )
    return folder


def mkdocs_project(folder: Path, theme: str = "mkdocs") -> Path:
    """A MkDocs project: a page with a listing fence, and one in a subfolder."""
    themes = {
        "mkdocs": "theme:\n  name: mkdocs\n  highlightjs: false\n",  # highlight.js comes from a CDN
        "material": "theme:\n  name: material\n  font: false\n  palette:\n    scheme: slate\n",  # fonts come from a CDN
    }
    write(
        folder,
        {
            "examples/counted.py": COUNTED,
            "examples/helper.py": HELPER,
            # naming plugins replaces the default list: the themes' search needs `search` named too
            "mkdocs.yml": f"site_name: Demo\n{themes[theme]}plugins:\n  - search\n  - tracekit\n",
            "docs/index.md": """
                # Demo

                Prose before the listing.

                ```{listing} ../examples/counted.py
                :lines: 15
                :caption: The **last** line.
                ```

                ~~~markdown
                ```{listing} not_an_example.py
                ```
                ~~~
            """,
            "docs/guide/loop.md": """
                # Loop

                ```{listing} ../../examples/counted.py
                ```
            """,
        },
    )
    return folder


def doc_files(doc: Path) -> dict[str, str]:
    """The files of a doc page's complete example: each fenced block right after a **`path`** line."""
    import re

    text = doc.read_text(encoding="utf-8")
    found = re.findall(r"^\*\*`([^`]+)`\*\*\n\n(`{3,})[a-z]*\n(.*?)\n\2$", text, re.M | re.S)
    return {path: body + "\n" for path, _, body in found}
