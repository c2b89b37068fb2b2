"""Prose markup to safe HTML: Markdown (markdown-it-py) and reStructuredText (docutils), math as MathML.

Public API::

    render_markdown(text, *, probes=None, errors=None, inline=False, heading_shift=None) -> Rendered
    render_rst(text, *, heading_shift=None) -> Rendered
    render_rst_blocks(texts) -> list[Rendered]
    math_html(tex, *, display=False, warnings=None) -> Markup

A ``Rendered`` is ``Markup`` (usable wherever HTML is) that also carries what rendering found:
``headings`` (level, text, anchor), ``warnings`` (messages for the build summary) and
``from_run`` (how many placeholders were filled from the run). Nothing an author writes is
silently dropped: unknown roles and directives, docutils warnings and TeX that cannot be
converted are shown as literal text and listed in ``warnings``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ..child.placeholders import Placeholder, placeholder_spans
from .highlight import highlight_code
from .mathml import clean_mathml
from .tex import tex_mathml
from .text import MAX_DOC_CHARS, MAX_PROSE_CHARS, MAX_VALUE_CHARS, clip, inert, visible
from .urls import allowed

__all__ = [
    "Heading",
    "Rendered",
    "doc_summary_html",
    "doc_summary_text",
    "math_html",
    "render_markdown",
    "render_rst",
    "render_rst_blocks",
    "slug",
]


@dataclass(frozen=True)
class Heading:
    """A heading found in prose: its HTML level (2 = ``<h2>``), its text and its anchor id."""

    level: int
    text: str
    anchor: str


class Rendered(Markup):
    """Safe HTML, plus the headings, warnings and filled placeholders found while rendering it."""

    headings: list[Heading]
    warnings: list[str]
    from_run: int

    def __new__(
        cls, html: str = "", headings: Sequence[Heading] = (), warnings: Sequence[str] = (), from_run: int = 0
    ) -> Rendered:
        """Wrap HTML that is already safe."""
        self = super().__new__(cls, html)
        self.headings = list(headings)
        self.warnings = list(warnings)
        self.from_run = from_run
        return self


def slug(text: str, taken: set[str] | None = None) -> str:
    """An anchor id for a heading: lower-case words joined by '-', made unique within TAKEN."""
    base = "-".join(re.findall(r"[\w]+", text.lower(), re.UNICODE))[:60].strip("-") or "section"
    base = "s-" + base if base[0].isdigit() else base
    anchor, n = base, 2
    while taken is not None and anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    if taken is not None:
        taken.add(anchor)
    return anchor


# ── math ─────────────────────────────────────────────────────────────────────

_UNKNOWN_TEX = re.compile(r"<mi>\\[A-Za-z]+</mi>|<mo>\\[A-Za-z]+</mo>")


#: how much of a formula a warning quotes (the place it names says where the rest is)
MAX_QUOTED_TEX = 60


def _quoted(tex: str) -> str:
    """TEX for a warning: one line, at most MAX_QUOTED_TEX characters."""
    one = " ".join(tex.split())
    return repr(one if len(one) <= MAX_QUOTED_TEX else one[: MAX_QUOTED_TEX - 1] + "…")


def math_html(tex: str, *, display: bool = False, warnings: list[str] | None = None, where: str = "") -> Markup:
    """TeX as static MathML (render/tex.py's allowlist of commands and environments), rebuilt from
    the MathML allowlist (render/mathml.py); TeX outside the allowlist, or that cannot be
    converted, is shown as its source in ``<code class="tex">`` and warned about (WHERE: "line N of the text")."""
    source = tex.strip()
    try:
        mathml = tex_mathml(source, display=display)
        problem = _UNKNOWN_TEX.search(mathml)
        if problem is not None:
            raise ValueError(f"unknown command {problem.group(0)[4:-5][:MAX_QUOTED_TEX]}")
        mathml = clean_mathml(mathml)
    except Exception as error:  # latex2mathml raises many types (IndexError, its own exceptions)
        if warnings is not None:
            why = " ".join((str(error) or type(error).__name__).split())[:200]
            at = f" on {where}" if where else ""
            warnings.append(f"math {_quoted(source)}{at} could not be converted to MathML ({why}); shown as TeX")
        code = f'<code class="tex">{escape(visible(source))}</code>'
        return Markup(f'<pre class="tex">{code}</pre>' if display else code)
    label = escape(visible(source))
    if display:
        # focusable: a formula wider than the column scrolls, and keyboard users must reach it
        return Markup(f'<div class="math" role="math" tabindex="0" aria-label="{label}">{mathml}</div>')
    return Markup(f'<span class="math" role="math" aria-label="{label}">{mathml}</span>')


# ── placeholders ─────────────────────────────────────────────────────────────

_SENT_A, _SENT_B = "\ue000", "\ue001"
_SENTINEL = re.compile(_SENT_A + r"(\d+)" + _SENT_B)


class _Probes:
    """Placeholder substitution for one piece of prose: sentinels in, values back after rendering."""

    def __init__(self, probes: Mapping[str, str] | None, errors: Mapping[str, str] | None) -> None:
        self.probes = dict(probes or {})
        self.errors = dict(errors or {})
        self.values: list[tuple[str, str, bool]] = []  # key, text, failed

    def substitute(self, text: str, *, math: bool) -> str:
        """Replace placeholders outside math and fenced code by sentinels; `{{`/`}}` become braces."""
        text = text.replace(_SENT_A, "").replace(_SENT_B, "")
        out: list[str] = []
        pos = 0
        for span in placeholder_spans(text, markdown=True, math=math, strict=False):
            out.append(text[pos : span.start])
            out.append(self._one(text[span.start : span.end], span.placeholder))
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def _one(self, token: str, placeholder: Placeholder | None) -> str:
        if placeholder is None:
            return token[0]
        key = placeholder.source
        if key in self.probes:
            self.values.append((key, str(self.probes[key]), False))
        elif key in self.errors:
            self.values.append((key, str(self.errors[key]), True))
        else:
            return token
        return f"{_SENT_A}{len(self.values) - 1}{_SENT_B}"

    def restore(self, html: str) -> str:
        """Put the run's values where the sentinels are, marked as coming from the run."""

        def repl(m: re.Match[str]) -> str:
            key, value, failed = self.values[int(m.group(1))]
            key = visible(key)
            if failed:
                title = escape(inert(value, MAX_DOC_CHARS))
                return f'<span class="probe-error" title="placeholder failed: {title}">{{{escape(key)}}}</span>'
            return (
                f'<span class="from-run" title="from the run: '
                f'{escape(key)}">{escape(inert(value, MAX_VALUE_CHARS))}</span>'
            )

        return _SENTINEL.sub(repl, html)

    @property
    def filled(self) -> int:
        """How many placeholders were filled with a value from the run."""
        return sum(1 for _, _, failed in self.values if not failed)


# ── Markdown ─────────────────────────────────────────────────────────────────


def _cut(text: str, limit: int) -> tuple[str, str]:
    """TEXT cut to LIMIT characters (at a line end where one is near), with a visible marker as a
    paragraph of its own, and the warning saying so ("" when nothing was cut)."""
    if len(text) <= limit:
        return text, ""
    end = text.rfind("\n", max(0, limit - 1000), limit)
    kept = text[: end + 1 if end > 0 else limit]
    more = len(text) - len(kept)
    warning = f"prose is shown up to {MAX_PROSE_CHARS:,} characters per file; {more:,} more characters are left out"
    return f"{kept}\n\n… ({more:,} more characters not shown)\n", warning


def _where(env: EnvType) -> str:
    """The line of the text being rendered, for a warning ("" when not known)."""
    return f"line {env['line']} of the text" if env.get("line") else ""


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer with MathML math and anchored, level-shifted headings."""

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        """markdown-it's own loop, noting each block's first line so a warning can name it."""
        out: list[str] = []
        for i, token in enumerate(tokens):
            if token.map:
                env["line"] = token.map[0] + 1
            if token.type == "inline":
                if token.children:
                    out.append(self.renderInline(token.children, options, env))
            elif token.type in self.rules:
                out.append(self.rules[token.type](tokens, i, options, env))
            else:
                out.append(self.renderToken(tokens, i, options, env))
        return "".join(out)

    def math_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """`$…$`."""
        return str(math_html(tokens[idx].content, warnings=env["warnings"], where=_where(env)))

    def math_inline_double(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """`$$…$$` inside a paragraph."""
        return str(math_html(tokens[idx].content, display=True, warnings=env["warnings"], where=_where(env)))

    def math_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """`$$…$$` on lines of their own."""
        return str(math_html(tokens[idx].content, display=True, warnings=env["warnings"], where=_where(env))) + "\n"

    def math_block_label(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """`$$…$$ (label)`: the label is not shown."""
        return self.math_block(tokens, idx, options, env)

    def link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """``<a href=…>``, the target rewritten by the caller's ``link`` (a source file → its page)."""
        if env.get("link") is not None:
            tokens[idx].attrSet("href", env["link"](str(tokens[idx].attrGet("href") or "")))
        return self.renderToken(tokens, idx, options, env)

    def heading_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """`<hN id=…>` with N shifted so the file's sections sit under the page title."""
        token = tokens[idx]
        text = tokens[idx + 1].content if idx + 1 < len(tokens) else ""
        level = min(6, int(token.tag[1]) + env["shift"])
        plain = _SENTINEL.sub("", text)
        anchor = slug(plain, env["anchors"])
        env["headings"].append(Heading(level, plain, anchor))
        env["levels"].append(level)
        return f'<h{level} id="{anchor}">'

    def heading_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """The closing tag of a shifted heading."""
        return f"</h{env['levels'].pop()}>\n"


def _markdown_it() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}, renderer_cls=_Renderer)
    md.enable("table")
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    for rule in ("math_inline", "math_inline_double", "math_block", "math_block_label"):
        md.add_render_rule(rule, getattr(_Renderer, rule))  # the plugin's own rules print TeX
    md.validateLink = allowed  # type: ignore[method-assign]  # render/urls.py: the one URL policy
    return md


_MD = _markdown_it()

# The same parser believing every target: only to name the links the policy refused, which the
# real parser leaves as their text, so the build can say why a link did not become one.
_MD_ANY = _markdown_it()
_MD_ANY.validateLink = lambda url: True  # type: ignore[method-assign]


def _refused_markdown_links(source: str) -> list[str]:
    """Warnings for the links and pictures in SOURCE whose target the URL policy refuses."""
    if "](" not in source and "]:" not in source and "<" not in source:
        return []
    said: list[str] = []
    for block in _MD_ANY.parse(source):
        for token in block.children or ():
            target = (
                token.attrGet("href")
                if token.type == "link_open"
                else token.attrGet("src")
                if token.type == "image"
                else None
            )
            if target is None or allowed(str(target), image=token.type == "image"):
                continue
            at = f"line {block.map[0] + 1}: " if block.map else ""
            said.append(
                f"Markdown: {at}link target {_quoted(str(target))} is not allowed (only http, https, mailto and "
                f"relative links within the site); shown as text"
            )
    return said


# The book stage renders a page's prose knowing where every source file's page is; the renderers
# below it (cards, notes, intros) need not pass that along: `links()` sets it for one page.
_LINK: ContextVar[Callable[[str], str] | None] = ContextVar("tracekit_link", default=None)


@contextmanager
def links(mapper: Callable[[str], str]) -> Iterator[None]:
    """Within the block, Markdown links are rewritten by MAPPER (e.g. ``x.py`` → ``x.html``)."""
    token = _LINK.set(mapper)
    try:
        yield
    finally:
        _LINK.reset(token)


_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)", re.M)


def render_markdown(
    text: str,
    *,
    probes: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    inline: bool = False,
    heading_shift: int | None = None,
    anchors: set[str] | None = None,
    placeholders: bool = True,
    link: Callable[[str], str] | None = None,
    limit: int = MAX_PROSE_CHARS,
) -> Rendered:
    """CommonMark plus tables and `$`/`$$` math → safe HTML, raw HTML shown as text.

    ``{placeholders}`` found in PROBES are filled and marked ``class="from-run"`` (ERRORS: those
    that failed), except inside math and fenced code; ``{{``/``}}`` are literal braces. With
    PLACEHOLDERS false, braces are text. LINK rewrites each link's target. Headings get ids
    unique within ANCHORS; a ``#`` heading becomes ``<h{1 + heading_shift}>`` (default: the text's
    top level becomes ``<h2>``).
    Text past LIMIT characters is left out, with a visible marker and a warning.
    """
    env: dict[str, Any] = {
        "warnings": [],
        "headings": [],
        "levels": [],
        "anchors": anchors if anchors is not None else set(),
        "link": link or _LINK.get(),
    }
    source, cut = _cut(visible(text or ""), limit)
    if cut:
        env["warnings"].append(cut)
    p = _Probes(probes, errors)
    if placeholders:
        source = p.substitute(source, math=True)
    if heading_shift is None:
        levels = [len(m.group(1)) for m in _MD_HEADING.finditer(source)]
        heading_shift = 2 - min(levels) if levels else 1
    env["shift"] = heading_shift
    env["warnings"].extend(_refused_markdown_links(source))
    if inline:
        html = _MD.renderInline(" ".join(source.split("\n")).strip(), env)
    else:
        html = _MD.render(source, env)
    return Rendered(p.restore(html).strip("\n"), env["headings"], env["warnings"], p.filled)


# ── reStructuredText ─────────────────────────────────────────────────────────

_SPLIT = "tracekit-block-separator"


def _docutils() -> Any:
    """Register the Sphinx fallbacks once and return the docutils modules used."""
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles

    if getattr(_docutils, "ready", False):
        return nodes

    class AnyOptions(dict[str, Any]):
        """An option_spec accepting every option (layout options of Sphinx extensions are ignored)."""

        def __missing__(self, key: str) -> Any:
            return directives.unchanged

    any_options = AnyOptions(name=directives.unchanged)

    def code_role(
        name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
    ) -> Any:
        """`:class:`, `:func:` … and the default role: the target as code, titled as Sphinx titles it."""
        return [nodes.literal(rawtext, xref_title(name, _unescape(text)))], []

    def text_role(
        name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
    ) -> Any:
        """`:term:`, `:abbr:` …: the title as text (`a <target>` shows `a`, a bare target its last part)."""
        match = re.match(r"^(.*?)\s*<([^<>]*)>$", text, re.S)
        shown = match.group(1) if match and match.group(1) else text.rstrip("/").rsplit("/", 1)[-1]
        return [nodes.emphasis(rawtext, shown)], []

    def ref_role(
        name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
    ) -> Any:
        """`:ref:`, `:doc:` …: a link when the label is a section of the same file (_resolve_refs), else
        its title or the label as plain text, with a warning."""
        match = re.match(r"^(.*?)\s*<([^<>]*)>$", text, re.S)
        titled = bool(match and match.group(1))
        target = match.group(2) if match else text
        shown = (
            match.group(1) if titled and match else target if name != "doc" else target.rstrip("/").rsplit("/", 1)[-1]
        )
        node = nodes.inline(rawtext, shown)
        node["tracekit_ref"] = nodes.fully_normalize_name(target) if name in ("ref", "any") else ""
        node["tracekit_titled"] = titled
        node["tracekit_role"] = f":{name}:`{target}`"
        node["tracekit_line"] = lineno
        return [node], []

    def math_role(
        name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None, content: Any = None
    ) -> Any:
        """`:math:` as MathML."""
        warnings: list[str] = []
        html = str(math_html(_unescape(text), warnings=warnings))
        return [nodes.raw("", html, format="html")], [inliner.reporter.warning(w, line=lineno) for w in warnings]

    for name in (
        "class",
        "func",
        "meth",
        "attr",
        "mod",
        "obj",
        "data",
        "exc",
        "const",
        "envvar",
        "option",
        "file",
        "command",
        "program",
        "samp",
        "kbd",
        "code",
    ):
        roles.register_local_role(name, code_role)
        roles.register_local_role(f"py:{name}", code_role)
    _docutils.default_role = code_role  # type: ignore[attr-defined]  # `text`: Sphinx's py:obj, set per document
    for name in ("term", "abbr", "guilabel", "menuselection", "download", "eq"):
        roles.register_local_role(name, text_role)
    for name in ("ref", "doc", "numref", "any"):
        roles.register_local_role(name, ref_role)
        roles.register_local_role(f"std:{name}", ref_role)
    roles.register_local_role("math", math_role)

    class MathDirective(Directive):
        """`.. math::` as display MathML, one block per blank-line-separated equation."""

        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = {
            "label": directives.unchanged,
            "name": directives.unchanged,
            "nowrap": directives.flag,
            "class": directives.unchanged,
        }

        def run(self) -> list[Any]:
            warnings: list[str] = []
            text = "\n".join(self.arguments + list(self.content))
            parts = [part for part in re.split(r"\n\s*\n", text) if part.strip()]
            shown = [
                nodes.raw("", str(math_html(part, display=True, warnings=warnings)), format="html") for part in parts
            ]
            return shown + [self.reporter.warning(w, line=self.lineno) for w in warnings]

    class CodeBlock(Directive):
        """Sphinx's `code-block`/`sourcecode`/`highlight`: a literal block."""

        has_content = True
        optional_arguments = 1
        option_spec = {
            "linenos": directives.flag,
            "lineno-start": directives.unchanged,
            "emphasize-lines": directives.unchanged,
            "caption": directives.unchanged,
            "name": directives.unchanged,
            "class": directives.unchanged,
            "dedent": directives.unchanged,
            "force": directives.flag,
        }

        def run(self) -> list[Any]:
            text = "\n".join(self.content)
            block = nodes.literal_block(text, text)
            if self.arguments:
                block["tracekit_language"] = self.arguments[0]
            return [block]

    class Container(Directive):
        """Layout directives (`grid`, `grid-item-card`, `only`, `tabs` …): their content, as is."""

        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = any_options

        def run(self) -> list[Any]:
            node = nodes.container()
            if self.arguments and self.name.endswith("card"):
                node += nodes.paragraph("", "", nodes.strong("", self.arguments[0]))
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    class Admonition(Directive):
        """Sphinx admonitions docutils lacks (`seealso`, `versionadded` …) as a titled box."""

        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True

        def run(self) -> list[Any]:
            title = self.name.replace("version", "version ").capitalize()
            node = nodes.admonition(classes=["admonition", self.name])
            node += nodes.title("", title + (f" {self.arguments[0]}" if self.arguments else ""))
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    class SeeAlso(Directive):
        """Sphinx's `seealso`: a box titled "See also"; text on the directive's line is its content."""

        has_content = True

        def run(self) -> list[Any]:
            node = nodes.admonition(classes=["admonition", "seealso"])
            node += nodes.title("", "See also")
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    class Dropped(Container):
        """Sphinx directives with nothing to show on a page (`toctree`, `index` …): a container's arguments, kept from
        view."""

        optional_arguments = 99

        def run(self) -> list[Any]:
            return []

    class Split(Directive):
        """The separator between two text blocks parsed as one document."""

        required_arguments = 1

        def run(self) -> list[Any]:
            return [nodes.raw("", f"<!--{_SPLIT} {self.arguments[0]}-->", format="html")]

    class Figure(Directive):
        """`figure`/`image`: shown by its alt text or caption (pictures under /_static are not copied)."""

        has_content = True
        required_arguments = 1
        final_argument_whitespace = True
        option_spec = any_options

        def run(self) -> list[Any]:
            alt = self.options.get("alt")
            caption = "\n".join(self.content).strip()
            text = caption or alt or self.arguments[0]
            why = f"picture {self.arguments[0]} is not copied to the page; its caption or alt text is shown"
            return [
                nodes.paragraph("", "", nodes.emphasis("", f"[{text}]")),
                self.reporter.warning(why, line=self.lineno),
            ]

    directives.register_directive("math", MathDirective)
    for name in ("code-block", "sourcecode", "code"):
        directives.register_directive(name, CodeBlock)
    for name in (
        "grid",
        "grid-item",
        "grid-item-card",
        "card",
        "only",
        "tabs",
        "tab",
        "tab-set",
        "tab-item",
        "centered",
        "rst-class",
        "container",
        "hlist",
    ):
        directives.register_directive(name, Container)
    for name in ("versionadded", "versionchanged", "deprecated", "todo"):
        directives.register_directive(name, Admonition)
    directives.register_directive("seealso", SeeAlso)
    for name in (
        "toctree",
        "index",
        "highlight",
        "currentmodule",
        "module",
        "autosummary",
        "include",
        "raw",
        "customcarditem",
        "galleryitem",
        "minigallery",
        "literalinclude",
    ):
        directives.register_directive(name, Dropped)
    for name in ("figure", "image"):
        directives.register_directive(name, Figure)
    directives.register_directive(_SPLIT, Split)
    _docutils.ready = True  # type: ignore[attr-defined]
    return nodes


def _html_writer() -> Any:
    """docutils' HTML5 writer, with admonitions as ``<div>`` boxes (as Sphinx writes them) and
    literal blocks as boxed code, highlighted when their language is given."""
    from docutils import nodes
    from docutils.writers import html5_polyglot

    class Translator(html5_polyglot.HTMLTranslator):
        def visit_admonition(self, node: Any) -> None:
            self.body.append(self.starttag(node, "div", classes=["admonition"]))

        def depart_admonition(self, node: Any = None) -> None:
            self.body.append("</div>\n")

        def visit_literal_block(self, node: Any) -> None:
            self.body.append(_code_block(node.astext(), node.get("tracekit_language", "")))
            raise nodes.SkipNode

        def visit_doctest_block(self, node: Any) -> None:
            self.body.append(_code_block(node.astext(), "pycon"))
            raise nodes.SkipNode

    writer = html5_polyglot.Writer()
    writer.translator_class = Translator
    return writer


def _code_block(text: str, language: str) -> str:
    """A literal block: ``<pre class="literal-block">``, with the listing's token classes when
    Pygments knows LANGUAGE."""
    code = highlight_code(text, language) if language else None
    if code is None:
        return f'<pre class="literal-block"><code>{escape(visible(text))}</code></pre>\n'
    return f'<pre class="literal-block hl"><code class="language-{escape(language)}">{code}</code></pre>\n'


def _unescape(text: str) -> str:
    """The text of a role as the author wrote it (docutils passes backslash-escapes through as NUL)."""
    return text.replace("\x00", "\\")


_DROPPED_WARN = {"include", "raw", "literalinclude"}
_PARENS = {"func", "meth", "py:func", "py:meth"}  # Sphinx's add_function_parentheses
_EXPLICIT = re.compile(r"^(.+?)\s*<([^<]*?)>$", re.S)


def xref_title(role: str, text: str) -> str:
    """What Sphinx shows for a Python cross-reference by ROLE ("" for the default role, which
    gallery projects set to ``obj``): ``Title <target>`` → Title, ``~a.b.C`` → C, ``.a.b`` → a.b,
    ``!a.b`` → a.b; ``:func:`` and ``:meth:`` titles end with ``()``."""
    parens = role in _PARENS
    if text.startswith("!"):  # not a link: shown as written
        title = text[1:]
        return title if not parens or title.endswith("()") else title + "()"
    explicit = _EXPLICIT.match(text)
    if explicit:
        return explicit.group(1)
    title = text if not parens or text.endswith("()") else text + "()"
    title = title.lstrip(".")
    if title.startswith("~"):
        title = title[1:].rsplit(".", 1)[-1]
    return title


def render_rst(text: str, *, heading_shift: int | None = None, anchors: set[str] | None = None) -> Rendered:
    """One reStructuredText text → safe HTML (see render_rst_blocks)."""
    return render_rst_blocks([text], heading_shift=heading_shift, anchors=anchors)[0]


def render_rst_blocks(
    texts: Sequence[str],
    *,
    heading_shift: int | None = None,
    anchors: set[str] | None = None,
    limit: int = MAX_PROSE_CHARS,
) -> list[Rendered]:
    """Several RST text blocks of one file, parsed as one document so heading levels stay consistent.

    Past LIMIT characters in all, the text is left out with a visible marker and a warning.

    raw and include are disabled; Sphinx roles and directives have fallbacks; anything else
    unknown, and every docutils warning, is shown as literal text and listed in ``warnings``
    (of the first block). Section titles become ``<h2>``/``<h3>``… with anchors.
    """
    nodes = _docutils()
    from docutils.core import publish_doctree, publish_from_doctree
    from docutils.parsers.rst import roles
    from docutils.utils import Reporter

    if not texts:
        return []
    pieces: list[str] = []
    starts: list[int] = []  # the document line each block starts on
    per_block: list[list[str]] = [[] for _ in texts]
    budget = limit  # for the file: its blocks are one document
    for index, block in enumerate(texts):
        if index:
            pieces.append(f"\n\n.. {_SPLIT}:: {index}\n\n")
        starts.append("".join(pieces).count("\n") + 1)
        kept, cut = _cut(visible(block or ""), max(budget, 0))
        budget -= len(kept)
        if cut:
            per_block[index].append(cut)
        pieces.append(kept)
    source = "".join(pieces)

    def block_of(line: int) -> int:
        return max((i for i, start in enumerate(starts) if start <= line), default=0)

    warnings: list[str] = []
    dropped = [m.group(1) for m in re.finditer(r"^\s*\.\. (include|raw|literalinclude)::", source, re.M)]
    warnings += [
        f"reStructuredText: directive {name!r} is not supported; left out" for name in dropped if name in _DROPPED_WARN
    ]
    settings = {
        "raw_enabled": False,
        "file_insertion_enabled": False,
        "doctitle_xform": False,
        "sectsubtitle_xform": False,
        "report_level": Reporter.SEVERE_LEVEL + 1,
        "halt_level": Reporter.SEVERE_LEVEL + 1,
        "warning_stream": False,
        "input_encoding": "unicode",
        "syntax_highlight": "none",
        "math_output": "MathML",
        "embed_stylesheet": False,
        "_disable_config": True,
    }
    roles._roles[""] = _docutils.default_role  # type: ignore[attr-defined]  # a `.. default-role::` lasts one document
    document = publish_doctree(source, settings_overrides=settings)
    per_block[0] += warnings
    for message in list(document.findall(nodes.system_message)):
        line = message.get("line")
        text = " ".join(message.children[0].astext().split()) if message.children else "docutils warning"
        # a short underline still makes the heading (as in Sphinx): repeating its source is noise
        titled = text.startswith(("Title underline too short", "Title overline too short"))
        if message["level"] >= Reporter.WARNING_LEVEL:
            index = block_of(line) if line else 0
            where = f"line {line - starts[index] + 1} of the text block: " if line else ""
            said = "; the heading is shown" if titled else "" if "shown" in text else "; shown as text"
            per_block[index].append(f"reStructuredText: {where}{text.rstrip('.')}{said}")
        shown = [] if titled else [child for child in message.children if isinstance(child, nodes.literal_block)]
        if shown and message["level"] >= Reporter.ERROR_LEVEL:  # an unknown directive: its source, as text
            message.replace_self(shown)
        else:
            message.parent.remove(message)
    for problem in list(document.findall(nodes.problematic)):
        problem.replace_self(nodes.literal(problem.rawsource, problem.astext()))
    for at_line, target in _refuse_links(nodes, document):
        index = block_of(at_line) if at_line else 0
        at = f"line {at_line - starts[index] + 1} of the text block: " if at_line else ""
        per_block[index].append(
            f"reStructuredText: {at}link target {_quoted(target)} is not allowed (only http, https, mailto and "
            f"relative links within the site); shown as text"
        )
    _titled_admonitions(nodes, document)
    labels: dict[str, Heading] = {}
    headings = _flatten_sections(nodes, document, heading_shift, anchors if anchors is not None else set(), labels)
    for at_line, message in _resolve_refs(nodes, document, labels, source):
        index = block_of(at_line) if at_line else 0
        at = f"line {at_line - starts[index] + 1} of the text block: " if at_line else ""
        per_block[index].append(f"reStructuredText: {at}{message}")
    parts = publish_from_doctree(document, writer=_html_writer(), settings_overrides=settings)
    body = parts.decode("utf-8") if isinstance(parts, bytes) else parts
    match = re.search(r'<main>\s*(.*?)\s*</main>|<div class="document"[^>]*>\s*(.*?)\s*</div>\s*</body>', body, re.S)
    html = next((g for g in match.groups() if g is not None), "") if match else ""
    chunks = re.split(rf"<!--{_SPLIT} \d+-->", html)
    found: list[list[Heading]] = [[] for _ in chunks]
    for index, heading in headings:
        found[min(index, len(chunks) - 1)].append(heading)
    out = [
        Rendered(_tidy(chunk), found[i], per_block[i] if i < len(per_block) else []) for i, chunk in enumerate(chunks)
    ]
    return out + [Rendered("") for _ in range(len(texts) - len(out))]


_ADMONITION_TITLES = {
    "attention": "Attention", "caution": "Caution", "danger": "Danger", "error": "Error", "hint": "Hint",
    "important": "Important", "note": "Note", "tip": "Tip", "warning": "Warning",
}  # fmt: skip  # Sphinx's labels (docutils' own say "Caution!" and "!DANGER!")


def _titled_admonitions(nodes: Any, document: Any) -> None:
    """Each specific admonition (note, warning …) as a generic one titled as Sphinx titles it."""
    for node in list(document.findall(nodes.Admonition)):
        title = _ADMONITION_TITLES.get(node.tagname)
        if title is None or isinstance(node, nodes.admonition):
            continue
        box = nodes.admonition(
            node.rawsource, nodes.title("", title), *node.children, classes=[node.tagname, *node["classes"]]
        )
        box.line, box.source = node.line, node.source
        node.replace_self(box)


def _refuse_links(nodes: Any, document: Any) -> list[tuple[int | None, str]]:
    """References whose target the URL policy (render/urls.py) refuses become their text; the
    line and target of each, for the warning."""
    refused: list[tuple[int | None, str]] = []
    for node in list(document.findall(nodes.Element)):
        target = node.get("refuri") if isinstance(node, (nodes.reference, nodes.target)) else node.get("uri")
        if target is None or allowed(str(target), image="uri" in node.attributes):
            continue
        if isinstance(node, nodes.target):  # its references are refused (and named) themselves
            node.parent.remove(node)
            continue
        line, up = None, node
        while line is None and up is not None:
            line, up = up.line, up.parent
        refused.append((line, str(target)))
        node.replace_self(nodes.inline(node.rawsource, "", *node.children))
    return refused


def _resolve_refs(
    nodes: Any, document: Any, labels: Mapping[str, Heading], source: str
) -> list[tuple[int | None, str]]:
    """`:ref:` to a label of a section in the same file: a link to its heading, titled like Sphinx.
    Any other reference is its title (or label) as plain text; the line and warning of each
    (docutils gives a role its paragraph's first line: the role's own is found in SOURCE)."""
    unresolved: list[tuple[int | None, str]] = []
    lines = source.split("\n")
    after: dict[str, tuple[int, int]] = {}  # a role's text → where it was last found

    def line_of(node: Any) -> int | None:
        start: int | None = node["tracekit_line"]
        if not start:
            return None
        first = node.rawsource.split("\n", 1)[0]
        row, col = after.get(first, (start - 1, -1))
        row = max(row, start - 1)
        for at in range(row, min(len(lines), start + 500)):
            found = lines[at].find(first, col + 1 if at == row else 0)
            if found >= 0:
                after[first] = (at, found)
                return at + 1
        return start

    for node in list(document.findall(nodes.inline)):
        if "tracekit_role" not in node:
            continue
        heading = labels.get(node["tracekit_ref"]) if node["tracekit_ref"] else None
        if heading is not None:
            shown = node.astext() if node["tracekit_titled"] else heading.text
            node.replace_self(nodes.reference(node.rawsource, shown, refuri="#" + heading.anchor))
            continue
        node.replace_self(nodes.Text(node.astext()))
        unresolved.append(
            (line_of(node), f"{node['tracekit_role']} points outside this file; shown as text, not linked")
        )
    return unresolved


def _flatten_sections(
    nodes: Any, document: Any, heading_shift: int | None, anchors: set[str], labels: dict[str, Heading] | None = None
) -> list[tuple[int, Heading]]:
    """Replace each section by a heading and its body, so each block's HTML stands alone.

    LABELS gets each section's names (its title and `.. _label:` targets before it) → its heading.
    """

    def depth(node: Any) -> int:
        count = 0
        while node is not None:
            count += isinstance(node, nodes.section)
            node = node.parent
        return count

    sections = list(document.findall(nodes.section))
    if not sections:
        return []
    shift = 1 if heading_shift is None else heading_shift
    for section in sections:
        title = section.next_node(nodes.title)
        level = max(1, min(6, depth(section) + shift))
        text = title.astext() if title is not None else ""
        anchor = slug(text, anchors)
        inner = "".join(_inline_html(child) for child in title.children) if title is not None else ""
        heading = nodes.raw("", f'<h{level} id="{anchor}">{inner}</h{level}>', format="html")
        heading["tracekit_heading"] = (level, text, anchor)
        if labels is not None:
            for label in section.get("names", ()):
                labels.setdefault(label, Heading(level, text, anchor))
        if title is not None:
            title.parent.remove(title)
        section.insert(0, heading)
    # Unwrap sections innermost-first, so every body element ends up at the top level.
    for section in reversed(sections):
        section.replace_self(section.children)
    headings: list[tuple[int, Heading]] = []
    index = 0
    for node in document.findall(nodes.raw):
        text = node.astext()
        if text.startswith(f"<!--{_SPLIT} "):
            index = int(text[len(_SPLIT) + 5 :].split("-")[0])
        elif node.get("tracekit_heading"):
            headings.append((index, Heading(*node["tracekit_heading"])))
    return headings


def _inline_html(node: Any) -> str:
    """Inline RST nodes of a title as HTML (text, literals, emphasis, raw math)."""
    from docutils import nodes

    if isinstance(node, nodes.Text):
        return str(escape(node.astext()))
    if isinstance(node, nodes.raw):
        return str(node.astext())
    inner = "".join(_inline_html(child) for child in node.children)
    tag = {nodes.literal: "code", nodes.emphasis: "em", nodes.strong: "strong"}.get(type(node))
    return f"<{tag}>{inner}</{tag}>" if tag else inner


def _tidy(html: str) -> str:
    """Docutils' HTML with its internal classes on literals dropped."""
    html = re.sub(r'<span class="pre">([^<]*)</span>', r"\1", html)
    html = re.sub(r'<span class="docutils literal"(?: id="[^"]*")?>([^<]*)</span>', r"<code>\1</code>", html)
    html = html.replace('<code class="docutils literal">', "<code>")
    return html.strip()


# ── docstring summaries (API notes) ──────────────────────────────────────────

_RST_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")
_RST_LITERAL = re.compile(r"``([^`]+)``|`([^`]+)`")
_RST_RULE = re.compile(r"(?:^|\s)[=\-~^*#]{3,}(?=\s|$)")
_DOC_MARKUP = re.compile(_RST_ROLE.pattern + "|" + _RST_LITERAL.pattern)


def _doc_clean(doc: str) -> str:
    """Whitespace collapsed, RST heading rules (``NumPy =====``) dropped, control characters visible."""
    return visible(" ".join(_RST_RULE.sub(" ", clip(doc or "")).split()))


def _doc_inner(m: re.Match[str]) -> str:
    inner = next((g for g in m.groups() if g), "")
    return inner.rstrip("/").rsplit("/", 1)[-1] if m.group(0).startswith(":doc:") else inner


def doc_summary_text(doc: str) -> str:
    """A docstring's first sentence with its RST roles and literals reduced to their text (math too)."""
    return _DOC_MARKUP.sub(
        lambda m: tex_text(_doc_inner(m)) if m.group(0).startswith(":math:") else _doc_inner(m), _doc_clean(doc)
    )


_TEX_SYMBOLS = {
    "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "times": "×", "cdot": "·", "cdots": "⋯", "ldots": "…",
    "dots": "…", "infty": "∞", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "in": "∈", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇", "pm": "±", "to": "→", "rightarrow": "→",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ", "lambda": "λ",
    "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "omega": "ω", "Sigma": "Σ", "Delta": "Δ",
    "quad": " ", "qquad": " ", ",": " ", ";": " ", "!": "", "left": "", "right": "", "big": "", "Big": "",
}  # fmt: skip
_TEX_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_TEX_WRAP = re.compile(r"\\(?:text|mathrm|mathbf|mathit|operatorname|textbf|mathcal|mathbb)\s*\{([^{}]*)\}")
_TEX_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+|[,;!])")


def tex_text(tex: str) -> str:
    """TeX reduced to readable text for a one-line summary: ``\\frac{a}{b}`` → ``(a)/(b)``,
    ``\\lceil`` → ``⌈``, ``\\text{end}`` → ``end``; commands it does not know lose their backslash."""
    out = tex
    for _ in range(6):  # innermost groups first, nested ones on later rounds
        before = out
        out = _TEX_WRAP.sub(r"\1", out)
        out = _TEX_FRAC.sub(lambda m: f"({m.group(1).strip()})/({m.group(2).strip()})", out)
        out = _TEX_SQRT.sub(r"√(\1)", out)
        out = re.sub(
            r"([_^])\{([^{}]*)\}",
            lambda m: m.group(1) + (m.group(2) if len(m.group(2)) == 1 else f"({m.group(2)})"),
            out,
        )
        if out == before:
            break
    out = _TEX_COMMAND.sub(lambda m: _TEX_SYMBOLS.get(m.group(1), m.group(1)), out)
    out = out.replace("{", "").replace("}", "")
    out = re.sub(r"/\(([\w.]+)\)", r"/\1", re.sub(r"\(([\w.]+)\)/", r"\1/", out))
    return " ".join(out.split())


def doc_summary_html(doc: str) -> Markup:
    """A docstring's first sentence (plain text with RST bits) → safe HTML with code spans."""
    doc = _doc_clean(doc)
    if len(doc) > MAX_DOC_CHARS:
        doc = doc[: MAX_DOC_CHARS - 1].rstrip() + "…"
    parts: list[str] = []
    pos = 0
    for m in _DOC_MARKUP.finditer(doc):
        parts.append(str(escape(doc[pos : m.start()])))
        if m.group(0).startswith(":math:"):
            warnings: list[str] = []
            html = math_html(_doc_inner(m), warnings=warnings)
            parts.append(str(html) if not warnings else f"<code>{escape(tex_text(_doc_inner(m)))}</code>")
        else:
            parts.append(f"<code>{escape(_doc_inner(m))}</code>")
        pos = m.end()
    parts.append(str(escape(doc[pos:])))
    return Markup("".join(parts))
