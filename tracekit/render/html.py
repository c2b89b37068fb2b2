"""Templates, pages, page JSON and hashed assets."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..child.jsonio import atomic_write, dumps
from ..source import Example
from ..trace import Trace
from .page import TraceLike, as_trace, build_view, trace_dict
from .text import FIGURES_DIR, MAX_TEXT_CHARS, inert
from .urls import site_depth

HERE = Path(__file__).resolve().parent.parent

TEMPLATES = HERE / "templates"

ASSETS = HERE / "assets"

#: logical asset name → file in tracekit/assets/ (copied with a content hash in the name)
ASSET_FILES = {"tracekit.css": "tracekit.css", "tracekit.js": "tracekit.js"}


# ─────────────────────────────────────────────────────────────────────────────
# Templates, pages, JSON, assets
# ─────────────────────────────────────────────────────────────────────────────


@lru_cache(maxsize=1)
def jinja_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.globals["icons"] = icon_sprite
    env.filters["pid"] = _pid
    env.filters["plural"] = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"
    return env


def _pid(href: str, prefix: str) -> str:
    """A same-page link (``#L5``) to the listing whose ids start with PREFIX."""
    return "#" + prefix + href[1:] if prefix and href.startswith("#") else href


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` in the templates: plain text becomes inert, bounded text (then Jinja2
    escapes it); Markup, built here from escaped parts, passes as it is."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return inert(value, MAX_TEXT_CHARS + 64)  # + room for the marker of a text cut before


SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _icons_text() -> str:
    return (ASSETS / "icons.svg").read_text(encoding="utf-8").strip()


def icon_sprite() -> Markup:
    return Markup(_icons_text())


def asset_href(assets: Mapping[str, str], root_rel: str, suffix: str) -> str:
    for key in (f"tracekit{suffix}", suffix.lstrip(".")):
        if key in assets:
            return root_rel + assets[key]
    for key, val in sorted(assets.items()):
        if key.endswith(suffix):
            return root_rel + val
    return ""


def norm_root(root_rel: str) -> str:
    if root_rel in ("", "."):
        return ""
    return root_rel if root_rel.endswith("/") else root_rel + "/"


def render_page(
    example: Example,
    trace: TraceLike,
    *,
    assets: Mapping[str, str],
    root_rel: str,
    json_name: str,
    nav: Any = None,
) -> str:
    """The example's HTML page. ``assets`` maps logical names to paths relative to the output
    root (see :func:`write_assets`); ``root_rel`` leads from the page's folder to that root
    ("" or "../"); ``json_name`` is the page's JSON file, relative to the page."""
    root = norm_root(root_rel)
    with site_depth(root.count("../")):  # the page's relative links may not climb out of the site
        view = build_view(example, trace)
        varied = page_variants(example, trace, "", root + FIGURES_DIR + "/")
    page = (
        jinja_env()
        .get_template("page.html")
        .render(
            view=view,
            varied=varied,
            varies=varied.varies if varied else set(),
            css=asset_href(assets, root, ".css"),
            js=asset_href(assets, root, ".js"),
            index_href=root + "index.html",
            json_href=relative_href(json_name),
            fig_root=root + FIGURES_DIR + "/",
            nav=nav,
        )
    )
    return SURROGATE.sub("\ufffd", page)  # none should be left; a page must encode as UTF-8


def page_variants(
    example: Example, trace: TraceLike, prefix: str, fig_root: str, blocks: Any = None, show_listing: bool = True
) -> Any:
    """The control and the other runs' regions of a varied example (render/variants.py); None when
    nothing varies. BLOCKS(view) picks the cards a chapter shows."""
    from .variants import variant_set

    read: dict[str, Trace] = {}
    if isinstance(trace, Trace):
        if trace.variants is None:
            return None
        read = trace.runs  # each other run is read once, here or by the build that ran it
        trace = trace.to_dict()  # the runs are kept as the page JSON has them

    def region(run: Mapping[str, Any], varies: set[int], key: str) -> Markup:
        if key not in read:
            read[key] = as_trace(run)
        view = build_view(example, read[key])
        shown = blocks(view) if blocks is not None else view.blocks
        ctx = dict(view=view, p=prefix, blocks=shown, show_listing=show_listing, fig_root=fig_root, varies=varies)
        return Markup(SURROGATE.sub("\ufffd", jinja_env().get_template("_listing.html").render(**ctx)))

    return variant_set(example, trace, prefix, region)


def relative_href(path: str) -> str:
    """A relative link to PATH (a file name we were given): percent-encoded, so that spaces,
    ``#``, ``?``, ``%`` and non-ASCII names reach the file, and ``javascript:x.json`` stays a path."""
    return quote(SURROGATE.sub("\ufffd", str(path)), safe="/")


def example_dict(example: Example) -> dict[str, Any]:
    """The page JSON's ``authored``: the Example as JSON-ready data."""
    d = dataclasses.asdict(example)
    d["probes"] = {str(k): v for k, v in sorted((example.probes or {}).items())}
    return d


def page_json(example: Example, trace: TraceLike, *, build: Mapping[str, Any] | None = None) -> str:
    """The page's JSON: the trace's keys plus ``authored`` (the Example) and BUILD (the build's own
    facts, e.g. its cache key), when given — deterministic."""
    data = dict(trace_dict(trace))
    if build is not None:
        data["build"] = dict(build)
    data["authored"] = example_dict(example)
    try:
        return dumps(data)
    except ValueError:  # NaN or infinity in a hand-made trace: JSON has no such numbers
        return dumps(_finite(data))


def _finite(x: Any) -> Any:
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return str(x)
    if isinstance(x, Mapping):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _hashed_name(name: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()[:8]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def write_assets(out_dir: Path) -> dict[str, str]:
    """Copy the CSS and JS into ``out_dir/assets/`` with a content hash in their names
    (``tracekit.3f2a9c1b.css``); older hashed copies there are removed. Returns logical name
    (``tracekit.css``, ``tracekit.js``) → path relative to ``out_dir``."""
    out_dir = Path(out_dir)
    adir = out_dir / "assets"
    adir.mkdir(parents=True, exist_ok=True)
    result: dict[str, str] = {}
    for logical, fname in sorted(ASSET_FILES.items()):
        data = (ASSETS / fname).read_bytes()
        name = _hashed_name(fname, data)
        target = adir / name
        if not target.exists() or target.read_bytes() != data:
            atomic_write(target, data)
        stem, _, suffix = fname.rpartition(".")
        for old in adir.glob(f"{stem}.*.{suffix}"):
            if old.name != name and re.fullmatch(re.escape(stem) + r"\.[0-9a-f]{8}\." + re.escape(suffix), old.name):
                old.unlink()
        result[logical] = f"assets/{name}"
    return result
