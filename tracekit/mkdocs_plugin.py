"""A MkDocs plugin: ``plugins: [tracekit]`` in mkdocs.yml.

A Markdown page embeds an example's listing from a real run with a chapter's fence::

    ```{listing} ../examples/first_gradient.py
    :lines: 4-12
    ```

(the path relative to the page; options ``:lines:``, ``:hide-listing:``, ``:hide-intro:``,
``:caption:``, ``:vary: lr=0.01,0.1``: a run per value, with the control that switches them).
Runs go through tracekit's cache (``tracekit.embed``), kept in tracekit's cache folder unless
the plugin's ``cache_dir`` names another (relative to mkdocs.yml): a rebuild with nothing
changed runs nothing. ``mkdocs serve`` watches the examples and the modules they import. A
failing example is a warning (an error under ``--strict``) naming the page's line and the
example's file and line; its listing shows the failure as tracekit's pages do. A ``:vary:`` the
example cannot run (a name it assigns no literal to, too many runs) is a warning naming the
option's line, and the listing's place says why.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
import secrets
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config as MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from .book.chapter import ChapterError
from .embed import ListingOptions, failure_lines, fences, icons, render_listing, run_example, script, stylesheet

log = logging.getLogger("mkdocs.plugins.tracekit")

ASSETS = "assets/tracekit"  # in the site: the stylesheet, the script and the figures
CSS, JS = f"{ASSETS}/tracekit-embed.css", f"{ASSETS}/tracekit.js"


class TracekitOptions(MkDocsConfig):
    cache_dir = c.Optional(c.Type(str))


class TracekitPlugin(BasePlugin[TracekitOptions]):
    """Renders ```` ```{listing} path ```` fences in Markdown pages."""

    def __init__(self) -> None:
        self.figures: dict[str, Path] = {}  # name → cached PNG, for the site's figures folder
        self.inputs: set[Path] = set()  # what `mkdocs serve` watches
        self.server: Any = None
        self.slots: dict[str, dict[str, str]] = {}  # page → token → listing HTML
        self.token = "tracekitslot" + secrets.token_hex(6)

    def _cache(self, config: Any) -> Path:
        base = Path(config.config_file_path or ".").resolve().parent
        if self.config.cache_dir:
            return base / self.config.cache_dir
        from .codecache import cache_dir

        return Path(cache_dir()) / "mkdocs" / hashlib.sha256(str(base).encode()).hexdigest()[:16]

    def on_config(self, config: Any) -> Any:
        from mkdocs.config.config_options import ExtraScriptValue

        config.extra_css.append(CSS)
        script_value = ExtraScriptValue(JS)
        script_value.defer = True
        config.extra_javascript.append(script_value)
        self.figures = {}
        return config

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        from .config import load_config

        src = page.file.src_uri
        try:
            found = fences(src, markdown)
        except ChapterError as e:
            raise PluginError(f"tracekit: {Path(config.docs_dir, src)}:{e.line}: {e.message}") from None
        if not found:
            return markdown
        here = Path(page.file.abs_src_path).parent
        fig_root = posixpath.relpath(f"{ASSETS}/figures", posixpath.dirname(page.file.dest_uri) or ".") + "/"
        tk_config = load_config(Path(config.config_file_path or ".").resolve().parent)
        lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        slots: dict[str, str] = {}
        for n, (first, last, embed) in reversed(list(enumerate(found, 1))):
            path = (here / embed.path).resolve()
            if not path.is_file():
                raise PluginError(
                    f"tracekit: {Path(config.docs_dir, src)}:{first}: {embed.path}: no such example (a .py file, "
                    f"relative to this page)"
                )
            options = ListingOptions.from_embed(embed)
            run = run_example(path, cache=self._cache(config), config=tk_config, vary=options.vary)
            self.inputs.update(run.inputs)
            self.figures.update(run.figures)
            if self.server is not None:
                for inp in run.inputs:
                    self.server.watch(str(inp))
            for at, message in run.vary_errors:
                log.warning(f"{Path(config.docs_dir, src)}:{at}: tracekit: {message}")
            if run.status in ("failed", "skipped"):
                for line in failure_lines(run, str(path)):
                    log.warning(f"{Path(config.docs_dir, src)}:{first}: tracekit: {line}")
            html = render_listing(run, options, prefix=f"tk{n}-", fig_root=fig_root)
            if n == 1:
                html = str(icons()) + html
            token = f"{self.token}x{n}"
            slots[token] = html
            lines[first - 1 : last] = ["", token, ""]
        self.slots[src] = slots
        return "\n".join(lines)

    def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
        slots = self.slots.pop(page.file.src_uri, {})
        if not slots:
            return html
        return re.sub(rf"(?:<p>)?({self.token}x\d+)(?:</p>)?", lambda m: slots.get(m.group(1), m.group(0)), html)

    def on_post_build(self, config: Any) -> None:
        from .child.jsonio import atomic_write

        site = Path(config.site_dir)
        files = {CSS: stylesheet().encode("utf-8"), JS: script()}
        for target, data in files.items():
            atomic_write(site / target, data)
        for name, src in sorted(self.figures.items()):
            dest = site / ASSETS / "figures" / name
            if src.is_file() and not dest.is_file():
                atomic_write(dest, src.read_bytes())

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        self.server = server
        for inp in sorted(self.inputs):
            server.watch(str(inp))
        return server
