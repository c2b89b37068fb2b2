"""One example's listing in another tool's page (Sphinx, MkDocs): run through a cache, rendered
with the chapter fence's options, styled to sit inside the host's theme.

    html, run = listing(Path("examples/first.py"), ListingOptions(lines=((4, 12),)),
                        cache=Path("build/.tracekit"), prefix="tk1-", fig_root="_images/tracekit/")

The run goes through the same cache key as ``tracekit build`` (the source, the local modules it
imports, the run options, the Python, numpy and torch versions and tracekit's own files): an
unchanged example is read back from CACHE, not run again. Each example has a slot of its own in
CACHE, locked while it is checked and run, so several processes (``sphinx-build -j N``) may ask
for the same or different examples at once.

A ``:vary: lr=0.01,0.1`` option varies the example as a chapter's does: its values join the
example's own vary plan (``tracekit.variants``, the build's planning and runs), every run is kept
in the slot of that example and those values, and the listing gets the control that switches them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .book.chapter import Embed
from .child.jsonio import atomic_write, dumps
from .trace import Trace

__all__ = [
    "ListingOptions",
    "Run",
    "failure_lines",
    "fences",
    "icons",
    "listing",
    "render_listing",
    "run_example",
    "script",
    "stylesheet",
    "vary_option",
]

#: the class of the element every embedded listing sits in; the stylesheet is scoped to it
WRAPPER = "div.tk-embed"


@dataclass(frozen=True)
class ListingOptions:
    """The chapter fence's options (``:lines:``, ``:hide-listing:``, ``:hide-intro:``, ``:caption:``,
    ``:vary:``), and ``hide_title`` for a host page whose own heading is the example's title (a gallery page)."""

    lines: tuple[tuple[int, int], ...] | None = None
    hide_listing: bool = False
    hide_intro: bool = False
    hide_title: bool = False
    caption: str = ""
    vary: tuple[
        tuple[str, tuple[str, ...], int], ...
    ] = ()  # (name, literal texts, line on the host page) of each `:vary:`

    @classmethod
    def from_embed(cls, embed: Embed, hide_title: bool = False) -> ListingOptions:
        vary = tuple((name, tuple(values), line) for name, values, line in embed.vary)
        return cls(
            tuple(embed.lines) if embed.lines else None,
            embed.hide_listing,
            embed.hide_intro,
            hide_title,
            embed.caption,
            vary,
        )


def fences(path: str, text: str) -> list[tuple[int, int, Embed]]:
    """The ```` ```{listing} PATH ```` fences of a Markdown page (a chapter's syntax and options),
    as (first line, last line, embed) with 1-based lines; ``embed.target`` is the path as written
    (a host page may embed examples from anywhere). Raises ChapterError naming PATH and the line."""
    from .book.chapter import FENCE_OPEN, LISTING, ChapterError, listing_options

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found: list[tuple[int, int, Embed]] = []
    fence: str | None = None  # inside an ordinary fenced block, {listing} is text
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip()[len(fence) :].strip():
                fence = None
            i += 1
            continue
        m = FENCE_OPEN.match(line)
        lm = LISTING.match(m.group(2).strip()) if m else None
        if m and not lm:
            fence = m.group(1)
        if not m or not lm:
            i += 1
            continue
        written = (lm.group(1) or "").strip()
        if not written.endswith(".py"):
            raise ChapterError(path, i + 1, f"```{{listing}} {written}: not a path to an example (.py)")
        embed = Embed(written, written, i + 1)
        end = listing_options(path, lines, i + 1, m.group(1), embed)
        if embed.errors:  # a host page's build stops at its first bad option
            raise ChapterError(path, *embed.errors[0])
        found.append((embed.line, end + 1, embed))
        i = end + 1
    return found


def vary_option(path: str, line: int, value: str) -> list[tuple[str, list[str], int]]:
    """A directive's ``:vary:`` option VALUE, one ``NAME=V1,V2`` a line (the first at LINE of the
    document PATH), read by the chapter fence's rule: (name, literal texts, line) of each.
    Raises ChapterError naming PATH and the line."""
    from .book.chapter import ChapterError, listing_options

    embed = Embed("", "", line)
    lines = [f":vary: {text.strip()}" if text.strip() else "" for text in value.split("\n")]
    listing_options(path, [*lines, "```"], 0, "```", embed)
    if embed.errors:
        at, message = embed.errors[0]
        raise ChapterError(path, at + line - 1, message)
    return [(name, values, at + line - 1) for name, values, at in embed.vary]


@dataclass(eq=False)
class Run:
    """One example's run, fresh or from the cache."""

    path: Path
    rel: str  # relative to ROOT, as the trace names it
    key: str
    status: str  # ok | expected error | failed | skipped
    failures: list[tuple[int | None, str]] = field(default_factory=list)  # (line, message)
    example: Any = None  # source.Example; None when skipped
    trace: Trace | None = None
    figures: dict[str, Path] = field(default_factory=dict)  # file name → the cached PNG
    inputs: list[Path] = field(default_factory=list)  # the example and the local modules it imports
    ran: bool = False  # run now (False: read from the cache)
    message: str = ""  # skipped: why
    vary_errors: list[tuple[int, str]] = field(
        default_factory=list
    )  # (host page line, message): a `:vary:` it cannot run


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive flock on PATH for the duration (waits for another holder)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock; the file stays (removing it would race a waiter)


#: where a vary error of the host page's `:vary:` comes from (its line: the option's place in VARY)
_HOST = ""


def run_example(
    path: Path,
    *,
    cache: Path,
    root: Path | None = None,
    config: Any = None,
    vary: Sequence[tuple[str, Sequence[str], int]] = (),
) -> Run:
    """PATH's run: read from its slot in CACHE when its cache key is unchanged, else run now and
    stored there. ROOT (default: PATH's folder) is the folder it runs in, where its local imports
    are looked up; CONFIG (a ``tracekit.config.Config``, default: ``[tool.tracekit]`` found above
    ROOT) gives the run options. VARY: the host page's `:vary:` options, (name, values, line);
    their runs join the example's own variants, all kept in one slot. Raises OSError when PATH
    cannot be read."""
    from .config import load_config
    from .site.keys import Imports, environment
    from .site.plan import Plan, example_keys
    from .variants import unassigned_errors

    path = Path(path).resolve()
    root = Path(root).resolve() if root is not None else path.parent
    rel = path.relative_to(root).as_posix()
    config = config if config is not None else load_config(root)
    cache = Path(cache).resolve()
    varied = [(name, list(values)) for name, values, _ in vary]
    slot = cache / _sha(str(path).encode() + (dumps(varied).encode() if varied else b""))[:20]
    plan = Plan(
        config, root, cache, [rel], [rel], [rel], False, []
    )  # out: a variant's scratch copy leaves the cache out
    if vary:  # the option's place in VARY stands for its line: a stored error names the line the page has now
        plan.varies = {rel: {name: (values, _HOST, k) for k, (name, values) in enumerate(varied, 1)}}
    env = environment()
    keyed = example_keys(plan, env, [rel], Imports(root))[rel]
    inputs = [path] + [root / dep for dep in keyed.deps]
    errors = unassigned_errors(path, rel, vary) if vary else []
    if errors:
        return Run(path, rel, keyed.key, "failed", inputs=inputs, vary_errors=errors)
    fresh: Trace | None = None  # the trace of a run made now, read once by the run
    with _locked(slot.with_name(slot.name + ".lock")):
        stored = _load(slot, keyed.key)
        if stored is None:
            stored, fresh = _run(plan, rel, slot, keyed.key)
            ran = True
        else:
            ran = False
    run = _from_stored(stored, path, rel, keyed.key, slot, fresh)
    if "vary_error" in stored:
        k, message = stored["vary_error"]
        run.vary_errors = [(vary[k - 1][2] if 0 < k <= len(vary) else vary[0][2], str(message))]
    run.inputs, run.ran = inputs, ran
    return run


def _load(slot: Path, key: str) -> dict[str, Any] | None:
    """The stored run in SLOT when it was made with KEY and its figures are all there."""
    try:
        data = json.loads((slot / "run.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    if any(not (slot / "figures" / name).is_file() for name in data.get("figures") or []):
        return None
    return data


def _run(plan: Any, rel: str, slot: Path, key: str) -> tuple[dict[str, Any], Trace | None]:
    """Run REL now, store its example, trace and figures in SLOT; return what was stored, and the
    page's trace when it has one."""
    import secrets
    import threading

    from .config import ConfigError
    from .site.execute import BUILD_TOKEN_VAR, execute_example
    from .site.pages import authoring_page, readable_trace, with_variants
    from .site.plan import keyed_options

    env_vars = dict(os.environ)
    env_vars[BUILD_TOKEN_VAR] = secrets.token_hex(8)
    env_vars.setdefault("PYTHONHASHSEED", "0")  # as a build runs it: the same page every time
    env_vars.setdefault("SOURCE_DATE_EPOCH", "0")
    trace: Trace | None = None
    try:
        ran = execute_example(plan, rel, env_vars, threading.Event(), set(), threading.Lock())
    except ConfigError as e:
        ran = None
        stored: dict[str, Any] = {"key": key, "skipped": str(e)}
    if ran is not None and ran.kind == "skipped":
        stored = {"key": key, "skipped": ran.message}
    elif ran is not None and ran.kind == "authoring" and getattr(ran.error, "path", None) == _HOST:
        stored = {"key": key, "vary_error": [ran.error.line, ran.error.message]}  # e.g. more runs than allowed
    elif ran is not None:
        from .render import page_json

        more: list[Any] = []
        if ran.kind == "authoring":
            example, trace = authoring_page(rel, plan.root / rel, ran.error, {}, keyed_options(plan.config))
            figures: dict[str, bytes] = {}
        else:
            example, trace = ran.example, readable_trace(rel, ran.result.trace)
            results = [r for _, r in ran.variants[1]] if ran.variants else [ran.result]
            figures = {
                n: d
                for r in results
                for n, d in (getattr(r, "figures", None) or {}).items()
                if re.fullmatch(r"[\w.-]+\.png", n)
            }
            if ran.variants:  # every run in the trace, as a built page keeps them; their failures name their values
                more = with_variants(rel, example, trace, ran.variants, key)
        for name, data in sorted(figures.items()):
            atomic_write(slot / "figures" / name, data)
        stored = {"key": key, "page": json.loads(page_json(example, trace)), "figures": sorted(figures)}
        if more:
            stored["failures"] = [[f.line, f.message] for f in more]
    atomic_write(slot / "run.json", dumps(stored).encode("utf-8"))
    return stored, trace


def _from_stored(stored: dict[str, Any], path: Path, rel: str, key: str, slot: Path, trace: Trace | None = None) -> Run:
    """The Run STORED describes; TRACE, when given, is its page's trace (else read from STORED)."""
    if "skipped" in stored:
        return Run(path, rel, key, "skipped", message=str(stored["skipped"]))
    from .site.pages import classify
    from .source import Example

    if "vary_error" in stored:
        return Run(path, rel, key, "failed")
    page = dict(stored["page"])
    example = Example.from_dict(page.pop("authored"))
    if trace is None:
        trace = Trace.from_page(page)
    status, failures = classify(example, trace)
    found = [(f.line, f.message) for f in failures] + [
        (line, str(message)) for line, message in stored.get("failures") or []
    ]
    figures = {name: slot / "figures" / name for name in stored.get("figures") or []}
    return Run(path, rel, key, "failed" if found else status, found, example, trace, figures)


def failure_lines(run: Run, shown: str) -> list[str]:
    """``FILE:LINE: message`` for each failure of RUN, FILE written as SHOWN."""
    if run.status == "skipped":
        return [f"{shown}: not run: {run.message}"]
    return [f"{shown}:{line}: {message}" if line else f"{shown}: {message}" for line, message in run.failures]


def render_listing(
    run: Run, options: ListingOptions = ListingOptions(), *, prefix: str, fig_root: str, page_href: str = ""
) -> str:
    """RUN's listing as an HTML fragment for a host page: ids start with PREFIX (unique on the
    page), figures are linked as FIG_ROOT + name, PAGE_HREF (if any) is where its file name links.
    A varied run shows the control and every other run's listing in a template of its own."""
    from .book.view import ChapterPart, in_ranges, markup, shown_ranges
    from .render.html import SURROGATE, jinja_env, page_variants
    from .render.page import build_view

    ranges = shown_ranges(run.example, list(options.lines)) if run.example is not None and options.lines else None
    if run.vary_errors:  # as a chapter shows a listing it cannot vary
        part = ChapterPart("error", message="; ".join(f"line {line}: {message}" for line, message in run.vary_errors))
    elif run.example is None or run.trace is None:
        part = ChapterPart("error", message=f"{run.rel} was not run: {run.message}")
    elif ranges == []:
        spec = ", ".join(f"{a}-{b}" if b != a else str(a) for a, b in options.lines or ())
        part = ChapterPart(
            "error", message=f"{run.rel}: :lines: {spec} selects no line of its listing (the file's line numbers)"
        )
    else:

        def chosen(view: Any) -> list[Any]:
            return [b for b in view.blocks if in_ranges(b, ranges)] if ranges else list(view.blocks)

        view = build_view(run.example, run.trace)
        blocks = chosen(view)
        part = ChapterPart(
            "listing",
            prefix=prefix,
            view=view,
            blocks=blocks,
            show_listing=not options.hide_listing,
            show_intro=not options.hide_intro,
            show_title=not options.hide_title,
            title=view.title,
            page_href=page_href,
            file_name=view.file_name,
            caption=markup(options.caption) if options.caption else Markup(""),
            varied=page_variants(
                run.example, run.trace, prefix, fig_root, blocks=chosen, show_listing=not options.hide_listing
            ),
        )
    html = jinja_env().get_template("embed.html").render(part=part, fig_root=fig_root)
    return SURROGATE.sub("\ufffd", html)


def listing(
    path: Path,
    options: ListingOptions = ListingOptions(),
    *,
    cache: Path,
    prefix: str,
    fig_root: str,
    root: Path | None = None,
    config: Any = None,
) -> tuple[str, Run]:
    """The listing of the example at PATH with OPTIONS, run through CACHE if needed: (HTML, run)."""
    run = run_example(path, cache=cache, root=root, config=config, vary=options.vary)
    return render_listing(run, options, prefix=prefix, fig_root=fig_root), run


# ─────────────────────────────────────────────────────────────────────────────
# Assets for a host page
# ─────────────────────────────────────────────────────────────────────────────

_DARK_HOSTS = (
    '[data-theme="dark"]',  # furo (on <body>), pydata-sphinx-theme (on <html>)
    '[data-bs-theme="dark"]',  # MkDocs' own theme
    '[data-md-color-scheme="slate"]',  # mkdocs-material
)
_AUTO_HOSTS = ('[data-theme="auto"]',)  # furo following the system
#: elements host themes style by tag name: their styles stop at the listing
_RESET = (
    "pre, code, kbd, table, thead, tbody, tr, th, td, h2, h3, h4, p, ul, ol, li, dl, dt, dd, details, summary, "
    "button, figure, figcaption, img, a, blockquote, section, article, header, aside, fieldset, legend, label, input"
)


def _blocks(css: str) -> list[tuple[str, str]]:
    """Top-level (prelude, body) pairs of CSS (comments removed); an at-rule's body is its rules."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out: list[tuple[str, str]] = []
    i = 0
    while True:
        start = css.find("{", i)
        if start < 0:
            break
        depth, j = 1, start + 1
        while depth:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
        out.append((css[i:start].strip(), css[start + 1 : j - 1].strip()))
        i = j
    return out


def _scope_selector(sel: str) -> str:
    sel = sel.strip()
    if sel in (":root", "html", "body"):
        return WRAPPER
    if sel.startswith(".js "):  # the class tracekit.js puts on <html>
        return f".js {WRAPPER} {sel[4:]}"
    return f"{WRAPPER} {sel}"


def _scoped_rules(css: str) -> tuple[str, str, str]:
    """(light variables, dark variables, every other rule scoped to the wrapper) of tracekit.css."""
    light = dark = ""
    rules: list[str] = []
    for prelude, body in _blocks(css):
        if prelude == ":root":
            light = body
        elif prelude.startswith("@media") and "prefers-color-scheme" in prelude:
            dark = "".join(b for p, b in _blocks(body) if p == ":root")
        elif prelude.startswith("@media") and "width" in prelude:  # the host's column, not the window
            inner = "\n".join(
                f"{', '.join(_scope_selector(s) for s in p.split(','))} {{ {b} }}" for p, b in _blocks(body)
            )
            rules.append(f"@container tk {prelude[len('@media') :].strip()} {{\n{inner}\n}}")
        elif prelude.startswith("@"):
            inner = "\n".join(
                f"{', '.join(_scope_selector(s) for s in p.split(','))} {{ {b} }}" for p, b in _blocks(body)
            )
            rules.append(f"{prelude} {{\n{inner}\n}}")
        else:
            rules.append(f"{', '.join(_scope_selector(s) for s in prelude.split(','))} {{ {body} }}")
    return light, dark, "\n".join(rules)


def stylesheet() -> str:
    """tracekit.css for listings inside a host's page: every rule scoped to the listing's wrapper,
    host styles of bare elements reset inside it, and the colours following the host theme's
    light/dark switch (light where the host has none)."""
    from .render.html import ASSETS

    light, dark, rules = _scoped_rules((ASSETS / "tracekit.css").read_text(encoding="utf-8"))
    dark_hosts = ", ".join(f"{h} {WRAPPER}" for h in _DARK_HOSTS)
    auto_hosts = ", ".join(f"{h} {WRAPPER}" for h in _AUTO_HOSTS)
    return "\n".join(
        [
            "/* tracekit listings inside a documentation theme (made from tracekit.css by tracekit.embed) */",
            f"{WRAPPER} {{ {light} color-scheme: light; }}",
            f"{dark_hosts} {{ {dark} color-scheme: dark; }}",
            f"@media (prefers-color-scheme: dark) {{ {auto_hosts} {{ {dark} color-scheme: dark; }} }}",
            f"{WRAPPER} :is({_RESET}) {{ all: revert; }}",
            rules,
            f"{WRAPPER} {{ container: tk / inline-size; margin: 1.5rem 0; padding: 1.25rem; "
            "border-radius: var(--radius); text-align: left; }",
            f"{WRAPPER} > .embed {{ margin: 0; padding: 0; border: 0; }}",
            f"@container tk (min-width: 1000px) "
            f"{{ {WRAPPER} .listing-pane {{ top: 4rem; max-height: calc(100vh - 5rem); }} }}",  # below a host's header
        ]
    )


def script() -> bytes:
    """tracekit.js, as the site's pages use it."""
    from .render.html import ASSETS

    return (ASSETS / "tracekit.js").read_bytes()


def icons() -> Markup:
    """The icon sprite the listings' ``<use href="#i-…">`` point at: once on each page that has listings."""
    from .render.html import icon_sprite

    return Markup('<div class="tk-embed-icons" hidden>') + icon_sprite() + Markup("</div>")
