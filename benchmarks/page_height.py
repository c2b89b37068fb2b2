"""How tall is a tutorial's page? Builds the project's gallery-style examples (prose from gallery
blocks, percent cells or comment sections) with tracekit and with sphinx-gallery, measures each
page's height in Chromium at 1280 px with nothing expanded, and prints the table.

Target: every tracekit page at most 1.3 times as tall as sphinx-gallery's page of the same script
(exit status 1 when one is taller). sphinx-gallery runs every file (``filename_pattern`` matches
them all) in a plain Sphinx project with its default theme.

Usage: python benchmarks/page_height.py [--target R] [--keep DIR] [EXAMPLE.py …]
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracekit.source import read_example  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WIDTH = 1280

CONF = """\
project = "page height"
extensions = ["sphinx_gallery.gen_gallery"]
sphinx_gallery_conf = {
    "examples_dirs": "src",
    "gallery_dirs": "auto",
    "filename_pattern": r".*\\.py$",
    "download_all_examples": False,
    "remove_config_comments": True,
}
"""

INDEX = """\
Page height
===========

.. toctree::

   auto/index
"""


def tutorials(paths: list[Path]) -> list[Path]:
    """The examples whose prose is not authored with ``#:`` (gallery, percent, comments)."""
    out = []
    for p in paths:
        try:
            if read_example(p, ROOT / "examples").prose_source != "authored":
                out.append(p)
        except Exception as e:  # an example tracekit cannot read is not measured
            print(f"{p}: skipped ({e})", file=sys.stderr)
    return out


def build_tracekit(files: list[Path], out: Path) -> None:
    exe = Path(sys.executable).parent / "tracekit"
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "tracekit"])]
    subprocess.run([*cmd, "build", *map(str, files), "-o", str(out), "-q"], cwd=ROOT, check=False)


def build_sphinx_gallery(files: list[Path], tmp: Path) -> Path:
    """A Sphinx project whose gallery holds FILES; returns its HTML folder."""
    proj = tmp / "sg"
    src = proj / "src"
    src.mkdir(parents=True)
    (proj / "conf.py").write_text(CONF, encoding="utf-8")
    (proj / "index.rst").write_text(INDEX, encoding="utf-8")
    (src / "README.txt").write_text("Examples\n========\n", encoding="utf-8")
    for f in files:
        text = f.read_text(encoding="utf-8")
        if ast.get_docstring(ast.parse(text)) is None:
            # sphinx-gallery refuses a script without a docstring: the copy gets a title only
            title = read_example(f, ROOT / "examples").title or f.stem
            text = f'"""\n{title}\n{"=" * len(title)}\n"""\n\n' + text
        (src / f.name).write_text(text, encoding="utf-8")
    html = proj / "_build" / "html"
    env = dict(os.environ, MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(proj), str(html)], check=False, env=env)
    return html


def heights(urls: dict[str, Path]) -> dict[str, int]:
    """Each page's document height in Chromium at WIDTH px, as it opens (nothing expanded)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": WIDTH, "height": 900})
        page = ctx.new_page()
        for key, path in urls.items():
            if not path.exists():
                continue
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            # lazy images take their size from their width and height attributes: no scrolling needed
            out[key] = int(page.evaluate("document.documentElement.scrollHeight"))
        browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("examples", nargs="*", type=Path)
    ap.add_argument("--target", type=float, default=1.3)
    ap.add_argument("--keep", type=Path, help="build into this folder and keep it")
    args = ap.parse_args()
    files = tutorials(sorted(args.examples or (ROOT / "examples").glob("*.py")))
    if not files:
        print("no gallery-style examples found", file=sys.stderr)
        return 2
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="page-height-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        build_tracekit(files, tmp / "tk")
        sg = build_sphinx_gallery(files, tmp)
        tk = heights({f.name: tmp / "tk" / f.with_suffix(".html").name for f in files})
        sgh = heights({f.name: sg / "auto" / f.with_suffix(".html").name for f in files})
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'example':<40} {'tracekit':>9} {'sphinx-gallery':>15} {'ratio':>6}")
    worst = 0.0
    for f in files:
        a, b = tk.get(f.name), sgh.get(f.name)
        if a is None or b is None:
            print(f"{f.name:<40} {a or '-':>9} {b or '-':>15} {'-':>6}  not built")
            worst = float("inf")
            continue
        ratio = a / b
        worst = max(worst, ratio)
        print(f"{f.name:<40} {a:>9} {b:>15} {ratio:>6.2f}{'' if ratio <= args.target else '  over'}")
    print(f"target: every page at most {args.target}x sphinx-gallery's; worst {worst:.2f}x")
    return 0 if worst <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
