"""A Sphinx extension: ``extensions = ["tracekit.sphinx"]`` in conf.py.

- ``.. tracekit:: path/to/example.py`` (relative to the document; MyST-Parser: a
  ```` ```{tracekit} path ```` fence) shows the example's listing from a real run, with the
  chapter fence's options ``:lines:``, ``:hide-listing:``, ``:hide-intro:``, ``:caption:``,
  ``:vary: lr=0.01,0.1`` (one ``NAME=V1,V2`` a line: several names go on the option's continuation
  lines), and ``:hide-title:`` (keep the introduction, drop the title: a page whose heading is the title).
- ``tracekit_gallery = {"examples": "../examples", "into": "auto_examples"}`` (paths relative to
  conf.py) writes a page per example and an index with a toctree before Sphinx reads the sources;
  without it, sphinx-gallery's ``sphinx_gallery_conf`` (``examples_dirs``/``gallery_dirs``) is read.
- ``tracekit_cache``: where runs are kept (default: ``tracekit`` in the doctree folder).

Runs go through tracekit's cache (``tracekit.embed``): the example and its local imports are
noted as the document's dependencies, so Sphinx reads the document again only when one of them
(or the document) changed, and even then an unchanged example is not run again. A failing example
is a warning (an error under ``-W``) naming the document's line and the example's file and line;
so is a ``:vary:`` the example cannot run, naming the option's line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .book.chapter import parse_lines
from .child.version import __version__
from .embed import ListingOptions, failure_lines, icons, render_listing, run_example, script, stylesheet, vary_option

logger = logging.getLogger(__name__)

#: where the figures and assets go in the HTML output
FIGURES = "_images/tracekit"
STATIC = "_static/tracekit"
#: stands for the path from a page to FIGURES until the page's place is known (writing)
_FIG_ROOT = "__tracekit_figures__/"
#: the first line of every page the gallery writes: such files are the gallery's to replace
_GENERATED = ".. Written by tracekit's gallery from the examples; edits here are overwritten."


class tracekit_listing(nodes.General, nodes.Element):  # noqa: N801 (docutils names nodes in lower case)
    """A rendered listing: ``html`` (figure links still relative to _FIG_ROOT) and ``figures`` (PNG paths)."""


def _cache(env: Any) -> Path:
    configured = env.config.tracekit_cache
    return Path(env.app.confdir, configured) if configured else Path(env.app.doctreedir) / "tracekit"


def display_path(path: Path) -> str:
    from .site.paths import display_path as shown

    return shown(path)


class TracekitDirective(SphinxDirective):
    """``.. tracekit:: path/to/example.py``: the example's listing from a real run."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec = {
        "lines": directives.unchanged_required,
        "hide-listing": directives.flag,
        "hide-intro": directives.flag,
        "hide-title": directives.flag,
        "caption": directives.unchanged_required,
        "vary": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        from .config import load_config

        written = self.arguments[0].strip()
        path = Path(self.env.doc2path(self.env.docname)).parent / written
        if not written.endswith(".py") or not path.is_file():
            raise self.error(f"tracekit: {written}: no such example (a .py file, relative to this document)")
        lines = None
        if "lines" in self.options:
            try:
                lines = tuple(parse_lines(self.options["lines"]))
            except ValueError as e:
                raise self.error(f"tracekit: :lines: {e}") from None
        vary: list[tuple[str, list[str], int]] = []
        if "vary" in self.options:
            from .book.chapter import ChapterError

            doc = self.env.doc2path(self.env.docname)
            try:
                vary = vary_option(str(doc), self._option_line("vary"), self.options["vary"])
            except ChapterError as e:
                logger.warning(
                    f"tracekit: {e.message}", location=(self.env.docname, e.line), type="tracekit", subtype="vary"
                )
                return [self._error_node(e.line or self.lineno, e.message)]
        options = ListingOptions(
            lines,
            "hide-listing" in self.options,
            "hide-intro" in self.options,
            "hide-title" in self.options,
            self.options.get("caption", ""),
            tuple((name, tuple(values), line) for name, values, line in vary),
        )
        run = run_example(path, cache=_cache(self.env), config=load_config(Path(self.env.app.confdir)), vary=vary)
        for inp in run.inputs:  # an edit to any of them makes Sphinx read this document again
            self.env.note_dependency(str(inp))
        for at, message in run.vary_errors:
            logger.warning(f"tracekit: {message}", location=(self.env.docname, at), type="tracekit", subtype="vary")
        if run.status in ("failed", "skipped"):
            for line in failure_lines(run, display_path(run.path)):
                logger.warning(f"tracekit: {line}", location=self.get_location(), type="tracekit", subtype="example")
        serial = self.env.new_serialno("tracekit")  # ids stay unique with several listings on a page
        html = render_listing(run, options, prefix=f"tk{serial + 1}-", fig_root=_FIG_ROOT)
        node = tracekit_listing(html=html, figures=[str(p) for _, p in sorted(run.figures.items())])
        self.set_source_info(node)
        return [node]

    def _option_line(self, name: str) -> int:
        """The document line of option NAME (the directive's own line where it cannot be told)."""
        for k, text in enumerate(self.block_text.splitlines()):
            if text.strip().startswith(f":{name}:"):
                line: int = self.lineno + k
                return line
        own: int = self.lineno
        return own

    def _error_node(self, line: int, message: str) -> nodes.Node:
        """The listing's place, saying why it cannot be shown (as a chapter's bad listing does)."""
        from .embed import Run

        run = Run(Path(self.arguments[0]), self.arguments[0].strip(), "", "failed", vary_errors=[(line, message)])
        node = tracekit_listing(html=render_listing(run, prefix="", fig_root=_FIG_ROOT), figures=[])
        self.set_source_info(node)
        return node


def _visit_html(self: Any, node: tracekit_listing) -> None:
    from sphinx.util.osutil import relative_uri

    builder = self.builder
    out = Path(builder.outdir) / FIGURES
    for figure in node["figures"]:  # copied when written: writing may run in several processes
        src, dest = Path(figure), out / Path(figure).name
        if src.is_file() and not dest.is_file():
            from .child.jsonio import atomic_write

            atomic_write(dest, src.read_bytes())
    if not getattr(self, "_tracekit_icons", False):  # the icon sprite, once per page
        self.body.append(str(icons()))
        self._tracekit_icons = True
    fig_root = relative_uri(builder.get_target_uri(builder.current_docname), FIGURES + "/")
    self.body.append(node["html"].replace(_FIG_ROOT, fig_root))
    raise nodes.SkipNode


def _skip(self: Any, node: tracekit_listing) -> None:
    raise nodes.SkipNode  # a listing is a web page's; other formats leave it out


def _assets(app: Sphinx, exception: Exception | None) -> None:
    """Write the listing's stylesheet and script into the HTML output's static folder."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    from .child.jsonio import atomic_write

    static = Path(app.builder.outdir) / STATIC
    for name, data in (("tracekit-embed.css", stylesheet().encode("utf-8")), ("tracekit.js", script())):
        target = static / name
        if not target.is_file() or target.read_bytes() != data:
            atomic_write(target, data)


# ─────────────────────────────────────────────────────────────────────────────
# The gallery
# ─────────────────────────────────────────────────────────────────────────────


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def gallery_folders(app: Sphinx) -> list[tuple[Path, Path]]:
    """(examples folder, gallery folder) pairs, from ``tracekit_gallery`` or ``sphinx_gallery_conf``."""
    from sphinx.errors import ConfigError

    conf = app.config.tracekit_gallery
    base = Path(app.confdir)
    if conf:
        if not isinstance(conf, dict) or not {"examples", "into"} <= set(conf):
            raise ConfigError(
                'tracekit_gallery needs "examples" and "into", e.g. {"examples": "../examples", "into": '
                '"auto_examples"}'
            )
        return [
            (base / examples, base / into)
            for examples, into in zip(_as_list(conf["examples"]), _as_list(conf["into"]), strict=False)
        ]
    sg = app.config.sphinx_gallery_conf if "sphinx_gallery_conf" in app.config else None
    if isinstance(sg, dict) and sg.get("examples_dirs") and sg.get("gallery_dirs"):
        return [
            (base / e, base / g)
            for e, g in zip(_as_list(sg["examples_dirs"]), _as_list(sg["gallery_dirs"]), strict=False)
        ]
    return []


def _heading(text: str, underline: str = "=") -> str:
    text = re.sub(r"([\\`*_|\[\]<>])", r"\\\1", " ".join(text.split()))
    return f"{text}\n{underline * max(len(text), 3)}\n"


def _put(path: Path, text: str) -> None:
    """Write TEXT to PATH unless it holds it already (a new mtime would make Sphinx read it again)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    from .child.jsonio import atomic_write

    atomic_write(path, text.encode("utf-8"))


def write_gallery(examples: Path, into: Path) -> list[str]:
    """A page per example of EXAMPLES in INTO and INTO/index.rst with a toctree; returns the pages
    (relative to INTO, without suffix). Pages the gallery wrote for examples now gone are removed."""
    from sphinx.errors import ConfigError

    from .site.discover import discover
    from .site.helpers import find_helpers
    from .site.keys import Imports
    from .source import peek_docstring

    examples = examples.resolve()
    if not examples.is_dir():
        raise ConfigError(f"tracekit gallery: examples folder {examples} does not exist")
    found = discover(examples, skip=[into.resolve()])
    helpers = set(find_helpers(examples, found, Imports(examples)))
    pages: list[str] = []
    for rel in found:
        if rel in helpers:
            continue
        source = examples / rel
        page = into / Path(rel).with_suffix(".rst")
        title, _, _ = peek_docstring(source.read_text(encoding="utf-8", errors="replace"), source.stem)
        written = Path(os.path.relpath(source, page.parent)).as_posix()
        _put(page, f"{_GENERATED}\n\n{_heading(title)}\n.. tracekit:: {written}\n   :hide-title:\n")
        pages.append(Path(rel).with_suffix("").as_posix())
    readme = next((examples / n for n in ("README.rst", "README.txt") if (examples / n).is_file()), None)
    header = readme.read_text(encoding="utf-8").strip() + "\n" if readme is not None else _heading("Examples")
    toc = "".join(f"   {p}\n" for p in pages)
    _put(into / "index.rst", f"{_GENERATED}\n\n{header}\n.. toctree::\n   :maxdepth: 1\n\n{toc}")
    keep = {into / f"{p}.rst" for p in pages} | {into / "index.rst"}
    for old in into.rglob("*.rst"):
        if old not in keep:
            try:
                with open(old, encoding="utf-8") as f:
                    ours = f.readline().rstrip("\n") == _GENERATED
            except OSError:
                ours = False
            if ours:
                old.unlink()
    return pages


def _builder_inited(app: Sphinx) -> None:
    for examples, into in gallery_folders(app):
        write_gallery(examples, into)
    if getattr(app.builder, "format", "") == "html":
        app.add_css_file("tracekit/tracekit-embed.css")
        app.add_js_file("tracekit/tracekit.js", loading_method="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive, the gallery and the listing's assets."""
    app.add_config_value("tracekit_gallery", None, "env")
    app.add_config_value("tracekit_cache", None, "env")
    if "sphinx_gallery_conf" not in app.config:  # read when sphinx-gallery is not loaded too
        app.add_config_value("sphinx_gallery_conf", None, "env")
    skip = (_skip, None)
    app.add_node(tracekit_listing, html=(_visit_html, None), latex=skip, text=skip, man=skip, texinfo=skip)
    app.add_directive("tracekit", TracekitDirective)
    app.connect("builder-inited", _builder_inited)
    app.connect("build-finished", _assets)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
