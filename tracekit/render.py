"""Render an example and its trace into an HTML page, a JSON page and the site index.

Data flows one way: ``Example`` + trace dict → :func:`build_view` → ``PageView`` (plain
dataclasses, every string still unescaped, rich text already rendered to ``Markup``)
→ Jinja2 templates (autoescape on). Templates hold no logic beyond loops and ifs.

Public API::

    build_view(example, trace) -> PageView
    render_page(example, trace, *, assets, root_rel, json_name) -> str
    page_json(example, trace) -> str
    render_index(entries, *, assets) -> str
    write_assets(out_dir) -> dict[str, str]
    asset_paths() -> dict[str, str]
    markdown(text, probes=None) -> Markup
    inert(text, limit=MAX_TEXT_CHARS) -> str

Everything a run or an author supplies (values, printed output, prose, file names, titles) is
shown as inert, bounded text: HTML is escaped (Jinja2 autoescape, ``markupsafe.escape`` where
Markup is built here), control characters and text-direction controls are replaced by visible
``<U+XXXX>`` markers (see :func:`inert`), and any single text is cut at ``MAX_TEXT_CHARS`` with
a visible "… (N more characters)" marker. The page JSON keeps everything the trace has.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from pygments.lexers import PythonLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, String

from ._jsonio import dumps
from .source import Example, Item, Note

__all__ = [
    "Banner",
    "Card",
    "CodeLine",
    "Entry",
    "Figure",
    "Fold",
    "FoldGroup",
    "Hit",
    "ListingRow",
    "PageView",
    "Table",
    "Tag",
    "asset_paths",
    "build_view",
    "inert",
    "markdown",
    "page_json",
    "page_status",
    "render_index",
    "render_page",
    "write_assets",
]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
ASSETS = HERE / "assets"

#: logical asset name → file in tracekit/assets/ (copied with a content hash in the name)
ASSET_FILES = {"tracekit.css": "tracekit.css", "tracekit.js": "tracekit.js"}

#: how many characters of a value's text a page shows before it cuts (the JSON keeps all)
MAX_VALUE_CHARS = 2000
MAX_DOC_CHARS = 320
#: the most characters of any single text (printed output, a message, a title, a code line) a
#: page shows; the rest is replaced by "… (N more characters)"
MAX_TEXT_CHARS = 20_000
#: single-line texts longer than this are shown in a scrolling box, wrapped
LONG_LINE_CHARS = 400
#: the folder, under the output root, where the build writes figure and image PNGs (build.FIGURES_DIR)
FIGURES_DIR = "figures"
_FIGURE_FILE = re.compile(r"^[0-9A-Za-z_-][0-9A-Za-z_.-]{0,200}\.png$")


# ─────────────────────────────────────────────────────────────────────────────
# Inert text
# ─────────────────────────────────────────────────────────────────────────────

# Characters that would be invisible, or would change how the text around them is shown, are
# replaced by a visible marker such as "<U+202E>" (escaped like any other text):
#   - C0 controls except tab and newline (a lone carriage return too; "\r\n" becomes "\n"),
#     DEL and the C1 controls;
#   - the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E,
#     U+2066–U+2069), so "Trojan source" text cannot reorder what the reader sees; a marker
#     was chosen over isolating them (<bdi>, unicode-bidi: isolate) because isolation still
#     lets the text inside run backwards, and because a marker also works in attributes and
#     in copied text;
#   - zero-width space (U+200B) and the byte-order mark (U+FEFF), invisible otherwise;
#   - lone surrogates (U+D800–U+DFFF), which no UTF-8 page can hold.
# Zero-width (non-)joiners are kept: emoji sequences and several scripts need them.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def _marker(m: re.Match) -> str:
    return f"<U+{ord(m.group(0)):04X}>"


def _visible(text: str) -> str:
    """TEXT with control and text-direction characters replaced by visible markers."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE_CHARS.sub(_marker, text)


def _clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """TEXT cut to LIMIT characters, with a visible "… (N more characters)" marker."""
    if len(text) <= limit:
        return text
    more = len(text) - limit
    return f"{text[:limit]}… ({more:,} more character{'s' if more != 1 else ''})"


def inert(text: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Any text as the page shows it: cut to LIMIT characters and with control and
    text-direction characters made visible. Still to be HTML-escaped (templates do that)."""
    return _visible(_clip(str(text), limit))


# ─────────────────────────────────────────────────────────────────────────────
# View model
# ─────────────────────────────────────────────────────────────────────────────


@dataclass
class Tag:
    """A small fact about a value: shape, dtype, device, leaf, grad_fn, len, truncated."""

    text: str
    kind: str = ""


@dataclass
class Figure:
    """A PNG shown on the page: a captured matplotlib figure, or a value drawn as an image.

    ``file`` is the PNG's name in the output's figures folder (the template puts the path to
    that folder before it); ``number`` is the figure's place among the trace's figures
    (1-based; None for an image value or a figure the trace does not list)."""

    file: str
    width: int | None = None
    height: int | None = None
    alt: str = ""
    number: int | None = None
    hit: int | None = None  # 0-based hit it was captured in (None: not a recorded hit)
    later: bool = False  # captured during a hit after the recorded ones
    line: int | None = None  # display line it was captured on, for figures shown apart from their line
    say_hit: bool = False  # the caption names the hit (where no hit panel around it does)

    @property
    def caption(self) -> str:
        label = f"Figure {self.number}" if self.number is not None else "Figure"
        alt = " ".join((self.alt or "").split())
        text = label if not alt or alt == label else f"{label}: {alt}"
        if self.later:
            text += " (captured in a later hit)"
        elif self.say_hit and self.hit is not None:
            text += f" (hit {self.hit + 1})"
        if self.line is not None:
            text += f" (line {self.line})"
        return text


@dataclass
class Table:
    """A 2-D value as a small table; labels come from the item's rows/cols directives."""

    rows: list[list[str]]
    row_labels: list[str] | None = None
    col_labels: list[str] | None = None

    @property
    def dims(self) -> str:
        return f"{len(self.rows)}×{len(self.rows[0]) if self.rows else 0}"


@dataclass
class Entry:
    """One row of an EXECUTION STATE block.

    kind: api | arg | result | value | return | yield | test | iter | derived | output
          | exception | final | later
    glyph: the chapter's glyph (📚 ⬇ ⬆ →), kept as hidden text so copied text reads like the
           chapter; the visible icon is an inline SVG chosen by ``kind``.
    label: a small word before the name ("arg 1", "result", "after the loop").
    name: what the value is (source text, a callee, a bound name).
    text: the value as it printed (repr, docstring sentence, output) — plain text.
    rich: prose rendered to HTML (docstring sentences, authored notes; ``text`` is its source);
          without it the value is shown as code.
    """

    kind: str
    name: str = ""
    text: str = ""
    label: str = ""
    glyph: str = ""
    rich: Markup | None = None
    tags: list[Tag] = field(default_factory=list)
    table: Table | None = None
    detail: str = ""
    authored: bool = False
    expected: bool = False
    multiline: bool = False
    of: str = ""  # for arguments, when a line makes several calls: the callee ("torch.dot()")
    image: Figure | None = None  # the value drawn as a small picture (``value.image``)
    wrap: bool = False  # one very long line: shown in a scrolling box, wrapped

    @property
    def icon(self) -> str:
        return ICONS.get(self.kind, "i-dot")

    def as_text(self) -> str:
        """The entry as the chapter writes it: ``⬆ result: x = tensor(2.)``."""
        head = self.glyph + " " if self.glyph else ""
        label = self.label + (f" of {self.of}" if self.of else "")
        label = f"{label}: " if label and self.name else label
        body = self.text
        if self.table is not None and not body:
            body = "[" + "; ".join(", ".join(r) for r in self.table.rows) + "]"
        return f"{head}{label}{self.name} = {body}".replace("  ", " ").strip()


ICONS = {
    "api": "i-api",
    "arg": "i-arg",
    "result": "i-result",
    "return": "i-return",
    "yield": "i-result",
    "value": "i-value",
    "test": "i-test",
    "iter": "i-iter",
    "derived": "i-derived",
    "output": "i-output",
    "later": "i-output",
    "exception": "i-error",
    "final": "i-final",
}

GLYPHS = {
    "api": "📚",
    "arg": "⬇",
    "result": "⬆",
    "return": "⬆",
    "yield": "⬆",
    "derived": "→",
    "final": "⏹",
    "exception": "⚠",
}


@dataclass
class Hit:
    """What one recorded hit of a line did: entries in evaluation order, then its output/exception."""

    index: int  # 0-based hit number
    entries: list[Entry]
    tail: list[Entry]
    probes: dict[str, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)  # figures captured during this hit

    @property
    def all(self) -> list[Entry]:
        return self.entries + self.tail

    @property
    def empty(self) -> bool:
        return not (self.entries or self.tail or self.figures)


@dataclass
class CodeLine:
    number: int
    html: Markup


@dataclass
class Card:
    """An explained item (a statement with prose/notes, or a plain comment line)."""

    kind: str  # "code" | "comment"
    number: int
    end_number: int
    line: int
    end_line: int
    anchor: str
    code: str
    code_lines: list[CodeLine]
    comment: str = ""
    prose: Markup = Markup("")
    from_run: bool = False
    api: list[Entry] = field(default_factory=list)
    derived: list[Entry] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    hit_count: int = 0
    recorded: int = 0
    final: list[Entry] = field(default_factory=list)
    later: list[Entry] = field(default_factory=list)
    exceptions: int = 0
    status: str = ""  # "" | "expected" | "error" | "not-run"
    not_run: str = ""  # why a line has no state ("did not run", "not reached")
    raises: str | None = None
    figures_later: list[Figure] = field(default_factory=list)  # captured during later hits
    is_def: bool = False  # a ``def`` line: its hits are calls

    @property
    def unit(self) -> str:
        return "call" if self.is_def else "hit"

    @property
    def multi(self) -> bool:
        return self.hit_count > 1 or len(self.hits) > 1

    @property
    def numbers(self) -> str:
        return str(self.number) if self.end_number == self.number else f"{self.number}–{self.end_number}"

    def state(self, hit: int = 0) -> list[Entry]:
        """EXECUTION STATE in display order for one recorded hit (what a single-hit card shows)."""
        h = self.hits[hit] if hit < len(self.hits) else None
        out = list(self.api)
        if h is not None:
            out += h.entries
        out += self.derived
        if h is not None:
            out += h.tail
        return out

    @property
    def has_state(self) -> bool:
        return bool(self.api or self.derived or any(not h.empty for h in self.hits) or self.final or self.later or self.figures_later)

    @property
    def figures(self) -> list[Figure]:
        """Every figure shown on this card, in page order."""
        return [f for h in self.hits for f in h.figures] + self.figures_later


@dataclass
class FoldGroup:
    """Inside a fold: one unexplained statement (or a blank/continuation line) with its state."""

    lines: list[CodeLine]
    entries: list[Entry] = field(default_factory=list)
    hit_count: int = 0
    note: str = ""
    error: bool = False
    plain: bool = False  # blank lines or continuation lines: no statement of its own
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Fold:
    """A run of listing lines without explanation, folded into one row."""

    start: int
    end: int
    count: int
    anchor: str
    groups: list[FoldGroup]
    open: bool = False

    @property
    def summary(self) -> str:
        return f"{self.count} line{'s' if self.count != 1 else ''} without explanation"


@dataclass
class ListingRow:
    number: int
    html: Markup
    href: str
    kind: str  # "explained" | "continued" | "folded"
    error: bool = False


@dataclass
class Frame:
    path: str
    line: int
    function: str
    text: str
    href: str = ""
    number: int | None = None


@dataclass
class Banner:
    kind: str  # "failed" | "expected"
    title: str
    error_type: str = ""
    message: str = ""
    number: int | None = None
    href: str = ""
    reason: str = ""
    traceback: list[Frame] = field(default_factory=list)
    stderr: str = ""


@dataclass
class PageView:
    title: str
    path: str
    file_name: str
    crumbs: list[str]
    intro: Markup
    status: str  # ok | expected error | failed
    banner: Banner | None
    blocks: list[Card | Fold]
    listing: list[ListingRow]
    meta: list[tuple[str, str]]
    run_line: str
    unexplained: int
    has_from_run: bool = False
    figure_limit: str = ""  # the trace's figure_limit: why some figures are missing
    other_figures: list[Figure] = field(default_factory=list)  # figures no shown line made

    @property
    def cards(self) -> list[Card]:
        return [b for b in self.blocks if isinstance(b, Card)]

    @property
    def folds(self) -> list[Fold]:
        return [b for b in self.blocks if isinstance(b, Fold)]

    @property
    def figures(self) -> list[Figure]:
        """Every figure and image on the page, in page order."""
        out: list[Figure] = []
        for b in self.blocks:
            groups = b.groups if isinstance(b, Fold) else []
            entries = [e for g in groups for e in g.entries]
            if isinstance(b, Card):
                entries = b.api + b.derived + [e for h in b.hits for e in h.all] + b.final + b.later
            out += [e.image for e in entries if e.image is not None]
            out += b.figures if isinstance(b, Card) else [f for g in groups for f in g.figures]
        return out + self.other_figures

    def card(self, number: int) -> Card:
        for c in self.cards:
            if c.number == number:
                return c
        raise KeyError(number)


# ─────────────────────────────────────────────────────────────────────────────
# Markdown subset: paragraphs, lists, fenced code, `code`, **bold**, *em*, _em_, [links](url)
# ─────────────────────────────────────────────────────────────────────────────

_SENT_A, _SENT_B = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}\n]+)\}")
_SENTINEL = re.compile(_SENT_A + r"(\d+)" + _SENT_B)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])", re.S)
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.S)
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])", re.S)
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|(\d+)[.)])\s+(.*)$")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:|#|\.{0,2}/|[\w\-./]+(?:[#?].*)?$)", re.I)


class _Probes:
    """Placeholder substitution bookkeeping for one piece of prose."""

    def __init__(self, probes: Mapping[str, str] | None, errors: Mapping[str, str] | None = None) -> None:
        self.probes = dict(probes or {})
        self.errors = dict(errors or {})
        self.values: list[tuple[str, str]] = []

    def substitute(self, text: str) -> str:
        text = text.replace(_SENT_A, "").replace(_SENT_B, "")

        def repl(m: re.Match) -> str:
            tok = m.group(0)
            if tok == "{{":
                return "{"
            if tok == "}}":
                return "}"
            key = m.group(1)
            if key in self.probes:
                self.values.append((key, str(self.probes[key])))
                return f"{_SENT_A}{len(self.values) - 1}{_SENT_B}"
            if key in self.errors:
                self.values.append((key, "\0" + str(self.errors[key])))
                return f"{_SENT_A}{len(self.values) - 1}{_SENT_B}"
            return tok

        return _PLACEHOLDER.sub(repl, text)

    def restore(self, html: str) -> str:
        def repl(m: re.Match) -> str:
            key, value = self.values[int(m.group(1))]
            key = _visible(key)
            if value.startswith("\0"):
                return f'<span class="probe-error" title="placeholder failed: {escape(inert(value[1:], MAX_DOC_CHARS))}">{{{escape(key)}}}</span>'
            return f'<span class="from-run" title="from the run: {escape(key)}">{escape(inert(value, MAX_VALUE_CHARS))}</span>'

        return _SENTINEL.sub(repl, html)


def _safe_href(url: str) -> str | None:
    raw = Markup(url).unescape().strip()
    if re.match(r"^[a-z][a-z0-9+.\-]*:", raw, re.I) and not re.match(r"^(https?|mailto):", raw, re.I):
        return None
    if not _SAFE_URL.match(raw):
        return None
    return str(escape(raw))


def _inline(text: str) -> str:
    """Inline Markdown → HTML string; ``text`` is raw (unescaped)."""
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_inline_plain(text[pos : m.start()]))
        out.append(f"<code>{escape(m.group(2).strip())}</code>")
        pos = m.end()
    out.append(_inline_plain(text[pos:]))
    return "".join(out)


def _inline_plain(text: str) -> str:
    s = str(escape(text))

    def link(m: re.Match) -> str:
        href = _safe_href(m.group(2))
        if href is None:
            return m.group(0)
        return f'<a href="{href}">{m.group(1)}</a>'

    s = _LINK.sub(link, s)
    s = _BOLD.sub(r"<strong>\1</strong>", s)
    s = _EM_STAR.sub(r"<em>\1</em>", s)
    s = _EM_UNDER.sub(r"<em>\1</em>", s)
    return s


def _blocks(text: str) -> list[str]:
    html: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            html.append("<p>" + _inline(" ".join(p.strip() for p in para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            flush()
            i += 1
            body: list[str] = []
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            html.append(f'<pre class="md-code"><code>{escape(chr(10).join(body))}</code></pre>')
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        m = _LIST_ITEM.match(line)
        if m and not para:
            ordered = m.group(1) is not None
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                m = _LIST_ITEM.match(lines[i])
                if m:
                    items.append(m.group(2))
                elif items:
                    items[-1] += " " + lines[i].strip()
                i += 1
            tag = "ol" if ordered else "ul"
            html.append(f"<{tag}>" + "".join(f"<li>{_inline(t)}</li>" for t in items) + f"</{tag}>")
            continue
        para.append(line)
        i += 1
    flush()
    return html


def markdown(text: str, probes: Mapping[str, str] | None = None, *, inline: bool = False) -> Markup:
    """Render the Markdown subset to safe HTML; ``{placeholders}`` found in ``probes`` are
    substituted and marked ``class="from-run"`` (``{{``/``}}`` give literal braces)."""
    return _markdown(text, probes, inline=inline)[0]


def _markdown(text: str, probes: Mapping[str, str] | None, *, inline: bool = False, errors: Mapping[str, str] | None = None) -> tuple[Markup, int]:
    p = _Probes(probes, errors)
    text = p.substitute(inert(text or ""))
    html = _inline(" ".join(text.split("\n")).strip()) if inline else "".join(_blocks(text))
    return Markup(p.restore(html)), sum(1 for _, v in p.values if not v.startswith("\0"))


_RST_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")
_RST_LITERAL = re.compile(r"``([^`]+)``|`([^`]+)`")


_RST_RULE = re.compile(r"(?:^|\s)[=\-~^*#]{3,}(?=\s|$)")


def _doc_clean(doc: str) -> str:
    """Whitespace collapsed, RST heading rules (``NumPy =====``) dropped, control characters visible."""
    return _visible(" ".join(_RST_RULE.sub(" ", _clip(doc or "")).split()))


def _doc_plain(doc: str) -> str:
    """A docstring sentence with its RST roles and literals reduced to their text."""
    doc = _doc_clean(doc)
    pattern = re.compile(_RST_ROLE.pattern + "|" + _RST_LITERAL.pattern)

    def repl(m: re.Match) -> str:
        inner = next((g for g in m.groups() if g), "")
        return inner.rstrip("/").rsplit("/", 1)[-1] if m.group(0).startswith(":doc:") else inner

    return pattern.sub(repl, doc)


def _doc_html(doc: str) -> Markup:
    """A docstring sentence (plain text with RST bits) → safe HTML with code spans."""
    doc = _doc_clean(doc)
    if len(doc) > MAX_DOC_CHARS:
        doc = doc[: MAX_DOC_CHARS - 1].rstrip() + "…"
    parts: list[str] = []
    pos = 0
    pattern = re.compile(_RST_ROLE.pattern + "|" + _RST_LITERAL.pattern)
    for m in pattern.finditer(doc):
        parts.append(str(escape(doc[pos : m.start()])))
        inner = next((g for g in m.groups() if g), "")
        if m.group(0).startswith(":doc:"):
            inner = inner.rstrip("/").rsplit("/", 1)[-1]
        parts.append(f"<code>{escape(inner)}</code>")
        pos = m.end()
    parts.append(str(escape(doc[pos:])))
    return Markup("".join(parts))


# ─────────────────────────────────────────────────────────────────────────────
# Syntax highlighting: per-line HTML from Pygments tokens
# ─────────────────────────────────────────────────────────────────────────────


def _token_class(ttype: Any, prev: str) -> str:
    if ttype in Comment:
        return "c"
    if ttype in String:
        if ttype in String.Interpol or ttype in String.Affix:
            return "si"
        if ttype in String.Doc:
            return "sd"
        return "s"
    if ttype in Number:
        return "m"
    if ttype in Keyword.Constant:
        return "kc"
    if ttype in Keyword:
        return "k"
    if ttype in Operator.Word:
        return "k"
    if ttype in Name.Builtin.Pseudo:
        return "bp"
    if ttype in Name.Builtin:
        return "nb"
    if ttype in Name.Function or ttype in Name.Function.Magic:
        return "nf"
    if ttype in Name.Class:
        return "nc"
    if ttype in Name.Decorator:
        return "nd"
    if ttype in Name.Exception:
        return "ne"
    if ttype in Name:
        if prev == ".":
            return "na"
        return ""
    if ttype in Operator:
        return "o"
    return ""


def highlight_lines(text: str) -> list[Markup]:
    """Highlight Python ``text``; one Markup per line (exactly ``len(text.split('\\n'))``)."""
    lexer = PythonLexer(stripnl=False, ensurenl=False, stripall=False)
    tokens = [(t, v) for t, v in lexer.get_tokens(text) if v]
    lines: list[list[tuple[str, str]]] = [[]]
    for i, (ttype, value) in enumerate(tokens):
        prev = tokens[i - 1][1] if i else ""
        cls = _token_class(ttype, prev)
        for j, part in enumerate(value.split("\n")):
            if j:
                lines.append([])
            if not part:
                continue
            cur = lines[-1]
            if cur and cur[-1][0] == cls:
                cur[-1] = (cls, cur[-1][1] + part)
            else:
                cur.append((cls, part))
    want = len(text.split("\n"))
    while len(lines) < want:
        lines.append([])
    return [Markup("".join(f'<span class="{c}">{escape(_visible(t))}</span>' if c else str(escape(_visible(t))) for c, t in parts)) for parts in lines[:want]]


# ─────────────────────────────────────────────────────────────────────────────
# Values
# ─────────────────────────────────────────────────────────────────────────────


def _fmt_num(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        if v == 0:
            return "0.0"
        if abs(v) < 1e-4 or abs(v) >= 1e8:
            return f"{v:.4e}"
        s = f"{v:.4f}".rstrip("0")
        return s + "0" if s.endswith(".") else s
    return str(v)


def _fmt_shape(shape: Iterable[int]) -> str:
    shape = list(shape)
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _short_dtype(dtype: str) -> str:
    return dtype.split(".", 1)[1] if dtype.startswith("torch.") else dtype


def _value_tags(v: Mapping[str, Any], brief: bool = False) -> list[Tag]:
    """Facts about a value as small tags; ``brief`` (arguments, sub-expressions) keeps only
    what is not obvious from the repr: a non-scalar shape and the autograd facts."""
    tags: list[Tag] = []
    if "shape" in v and v["shape"] is not None:
        if not brief or len(v["shape"]) > 0:
            tags.append(Tag("shape " + _fmt_shape(v["shape"]), "shape"))
    elif "len" in v and v["len"] is not None and not brief:
        tags.append(Tag(f"len {v['len']}", "len"))
    if v.get("dtype") and not brief:
        tags.append(Tag(_short_dtype(str(v["dtype"])), "dtype"))
    if v.get("device") and (not brief or str(v["device"]) != "cpu"):
        tags.append(Tag(str(v["device"]), "device"))
    if v.get("grad_fn"):
        tags.append(Tag(f"grad_fn {v['grad_fn']}", "grad"))
    elif v.get("requires_grad"):
        tags.append(Tag("leaf" if v.get("is_leaf", True) else "requires_grad", "leaf"))
        if v.get("is_leaf", True):
            tags.append(Tag("requires_grad", "grad"))
    if v.get("truncated"):
        tags.append(Tag("cut short", "warn"))
    return tags


def _value_text(v: Mapping[str, Any] | None) -> str:
    if not v:
        return ""
    if v.get("error"):
        return f"<repr failed: {v['error']}>"
    text = _ADDRESS.sub("", str(v.get("repr", "")))
    if len(text) > MAX_VALUE_CHARS:
        return _clip(text, MAX_VALUE_CHARS)
    return text + ("…" if v.get("truncated") and not text.endswith("…") else "")


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")


def _table(v: Mapping[str, Any], item: Item | None) -> Table | None:
    rows = v.get("rows")
    if not rows or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return None
    cells = [[_fmt_num(c) for c in r] for r in rows]
    ncols = max((len(r) for r in rows), default=0)
    row_labels = item.rows if item is not None and item.rows and len(item.rows) == len(rows) else None
    col_labels = item.cols if item is not None and item.cols and len(item.cols) == ncols else None
    return Table(cells, row_labels, col_labels)


def _text_entry(kind: str, name: str, text: str, **kw: Any) -> Entry:
    """An entry for printed output (or other free text): bounded, multi-line or long in a box."""
    text = _clip(text)
    return Entry(kind=kind, name=name, text=text, multiline="\n" in text or len(text) > LONG_LINE_CHARS, wrap=len(text) > LONG_LINE_CHARS, **kw)


def _figure_file(name: Any) -> str | None:
    """NAME when it is a plain PNG file name (no folders, nothing a URL could misread)."""
    return name if isinstance(name, str) and _FIGURE_FILE.match(name) else None


def _dim(x: Any) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) and 0 < x <= 100_000 else None


def _value_image(v: Mapping[str, Any], name: str) -> Figure | None:
    img = v.get("image")
    if not isinstance(img, Mapping):
        return None
    file = _figure_file(img.get("file"))
    if file is None:
        return None
    what = f"{name} as an image" if name else "the value as an image"
    if v.get("shape") is not None:
        what += " " + "×".join(str(d) for d in v["shape"])
    return Figure(file, _dim(img.get("width")), _dim(img.get("height")), alt=what)


def _value_entry(kind: str, name: str, v: Mapping[str, Any] | None, item: Item | None, *, picture: bool = True, **kw: Any) -> Entry:
    """An entry for a recorded value; PICTURE: show its ``image`` (when it has one)."""
    v = v or {}
    table = _table(v, item)
    text = _value_text(v)
    e = Entry(
        kind=kind,
        name=name,
        text=text,
        glyph=GLYPHS.get(kind, ""),
        tags=_value_tags(v, brief=kind in ("arg", "value")),
        table=table,
        multiline="\n" in text,
        **kw,
    )
    if table is not None:
        e.name = f"{name} ({table.dims})" if name else table.dims
    if v.get("error"):
        e.tags.append(Tag("repr raised", "warn"))
    e.image = _value_image(v, name) if picture else None
    if e.image is not None:  # a picture always says what it is drawn from: shape and dtype
        have = {t.kind for t in e.tags}
        extra = []
        if "shape" not in have and v.get("shape") is not None:
            extra.append(Tag("shape " + _fmt_shape(v["shape"]), "shape"))
        if "dtype" not in have and v.get("dtype"):
            extra.append(Tag(_short_dtype(str(v["dtype"])), "dtype"))
        e.tags = extra + e.tags
    return e


def _same_value(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if not a or not b:
        return False
    return a.get("type") == b.get("type") and a.get("repr") == b.get("repr")


def _is_none(v: Mapping[str, Any] | None) -> bool:
    return not v or (v.get("type") in ("NoneType", "None", "builtins.NoneType") and v.get("repr") == "None")


def _is_module(v: Mapping[str, Any] | None) -> bool:
    return bool(v) and (v.get("type") in ("module", "builtins.module", "types.ModuleType") or str(v.get("repr", "")).startswith("<module "))


def _is_builtin_call(ev: Mapping[str, Any]) -> bool:
    q = str(ev.get("qualname") or "")
    t = str(ev.get("text") or "")
    return q.startswith("builtins.") or (q == t and "." not in q and q in _BUILTINS)


_BUILTINS = {n for n in dir(builtins) if not n.startswith("_")}

_PRINT_CALLS = {"print", "builtins.print"}


# ─────────────────────────────────────────────────────────────────────────────
# Entries from events
# ─────────────────────────────────────────────────────────────────────────────


def _note_key(name: str) -> str:
    return name.split("(", 1)[0].strip()


def _covers(note_names: set[str], text: str, qualname: str) -> bool:
    """Did the author write an API note for this callee (or module)?"""
    cands = {text, qualname, text.rsplit(".", 1)[-1], qualname.rsplit(".", 1)[-1]}
    for key in note_names:
        if key in cands:
            return True
        if key.startswith(".") and (text.endswith(key) or qualname.endswith(key)):
            return True
    return False


def _class_qual(qual: str) -> str:
    """``torch._tensor.Tensor.backward`` → ``Tensor.backward`` (from the first public class on)."""
    parts = qual.split(".")
    for i, part in enumerate(parts[:-1]):
        if part[:1].isupper():
            return ".".join(parts[i:])
    return ""


def _api_name(text: str, qual: str) -> str:
    """``torch.tensor()`` for functions; ``.backward()`` for methods, as the chapter writes them."""
    cls = _class_qual(qual)
    if cls and text != qual and "." in text:
        return "." + qual.rsplit(".", 1)[-1] + "()"
    return (text or qual) + "()"


def _api_detail(text: str, qual: str, signature: str) -> str:
    cls = _class_qual(qual)
    public = bool(qual) and not any(p.startswith("_") for p in qual.split("."))
    base = cls or (qual if public else text)
    if signature:
        m = re.match(r"^[\w.]+(?=\()", signature)
        params = signature[m.end() :] if m else signature
        return base + params
    return base if base and base != text else ""


def _api_entry_from_call(ev: Mapping[str, Any]) -> Entry:
    text = " ".join(str(ev.get("text") or ev.get("qualname") or "").split())
    qual = str(ev.get("qualname") or "")
    return Entry(
        kind="api",
        name=_api_name(text, qual),
        text=_doc_plain(str(ev.get("doc") or "")),
        rich=_doc_html(str(ev.get("doc") or "")),
        glyph=GLYPHS["api"],
        detail=_api_detail(text, qual, " ".join(str(ev.get("signature") or "").split())),
    )


def _api_entry_from_module(name: str, v: Mapping[str, Any]) -> Entry:
    doc = str(v.get("doc") or "")
    return Entry(
        kind="api",
        name=name,
        text=_doc_plain(doc),
        rich=_doc_html(doc) if doc else Markup("module"),
        glyph=GLYPHS["api"],
    )


def _authored_entry(note: Note, probes: Mapping[str, str] | None) -> Entry:
    kind = "api" if note.icon == "api" else "derived"
    return Entry(
        kind=kind,
        name=note.name,
        text=note.text,
        rich=markdown(note.text, probes, inline=True),
        glyph=GLYPHS[kind],
        authored=True,
    )


def _exception_matches(raises: str | None, etype: str) -> bool:
    if not raises:
        return False
    want = raises.strip().rsplit(".", 1)[-1]
    return want in ("", "*", "Exception", "BaseException") or etype.rsplit(".", 1)[-1] == want


def _record_entries(record: Mapping[str, Any], item: Item | None) -> tuple[list[Entry], list[Entry]]:
    """Entries for one recorded hit: (entries in evaluation order, tail: output and exception)."""
    events = list(record.get("events") or [])
    calls = [e for e in events if e.get("role") == "call"]
    print_texts = {str(e.get("text")) for e in calls if e.get("qualname") in _PRINT_CALLS or e.get("text") == "print"}

    # which calls have visible arguments (to name the callee when a line has several)
    arg_calls = []
    for e in events:
        if e.get("role") == "arg" and str(e.get("call")) not in print_texts and str(e.get("call")) not in arg_calls:
            arg_calls.append(str(e.get("call")))

    def vkey(ev: Mapping[str, Any]) -> tuple[str, str, str]:
        v = ev.get("value") or {}
        return (" ".join(str(ev.get("text") or "").split()), str(v.get("type")), str(v.get("repr")))

    later_terminal = [(i, e.get("value")) for i, e in enumerate(events) if e.get("role") in ("bind", "expr", "return", "yield", "iter")]
    later_args = [(i, vkey(e)) for i, e in enumerate(events) if e.get("role") == "arg" and str(e.get("call")) not in print_texts]

    # On a line marked `image` every array-like value has a picture; where what the line binds or
    # returns has one, the sub-expressions and arguments are shown as numbers only.
    own_picture = any(e.get("role") in ("bind", "expr", "return", "yield") and isinstance((e.get("value") or {}).get("image"), Mapping) for e in events)
    entries: list[Entry] = []
    seen: set[tuple[str, str, str]] = set()
    for idx, ev in enumerate(events):
        role = ev.get("role")
        text = " ".join(str(ev.get("text") or "").split())
        v = ev.get("value")
        if role == "call":
            continue
        key = vkey(ev)
        if role in ("value", "result"):
            if role == "result" and _is_none(v):
                continue
            if any(i > idx and _same_value(v, tv) for i, tv in later_terminal):
                continue  # the bound/returned value shows it
            if any(i > idx and k == key for i, k in later_args):
                continue  # the argument row shows it
            if key in seen:
                continue
            seen.add(key)
            entries.append(_value_entry("value", text, v, item, picture=not own_picture))
        elif role == "arg":
            call = str(ev.get("call") or "")
            if call in print_texts:
                continue
            if "keyword" in ev and ev.get("keyword"):
                label, name = "", f"{ev['keyword']}"
            else:
                label = f"arg {int(ev.get('index') or 0) + 1}"
                name = "" if text == str((v or {}).get("repr")) else text
            of = f"{call}()" if len(arg_calls) > 1 and call else ""
            if key in seen and name:
                continue
            seen.add(key)
            entries.append(_value_entry("arg", name, v, item, label=label, of=of, picture=not own_picture))
        elif role == "bind":
            if _is_module(v):
                continue  # shown as an API note
            seen.add(key)
            kind, label = _bind_style(item)
            entries.append(_value_entry(kind, text, v, item, label=label))
        elif role == "expr":
            if _is_none(v):
                continue
            seen.add(key)
            entries.append(_value_entry("result", text, v, item, label="result"))
        elif role == "return":
            seen.add(key)
            entries.append(_value_entry("return", text, v, item, label="return"))
        elif role == "yield":
            seen.add(key)
            entries.append(_value_entry("yield", text, v, item, label="yield"))
        elif role == "test":
            entries.append(_value_entry("test", text, v, item, label="test"))
        elif role == "iter":
            entries.append(_value_entry("iter", text, v, item, label="iter"))

    tail: list[Entry] = []
    out = record.get("output") or ""
    if out:
        text = out[:-1] if out.endswith("\n") else out
        tail.append(_text_entry("output", "output", text))
    exc = record.get("exception")
    if exc:
        etype = str(exc.get("type") or "Exception")
        expected = _exception_matches(item.raises if item else None, etype)
        tail.append(
            Entry(
                kind="exception",
                name=etype,
                text=_clip(str(exc.get("message") or "")),
                label="expected" if expected else "raised",
                glyph=GLYPHS["exception"],
                expected=expected,
            )
        )
    return entries, tail


_HEADER = re.compile(r"^\s*(?:async\s+)?(def|for|with|except|lambda)\b")
_DEF_LINE = re.compile(r"^\s*(?:async\s+)?(?:def|class)\b")


def _header_offset(item: Item | None) -> int:
    """For a decorated ``def``/``class`` item, how many lines its decorators take (0 otherwise):
    the item starts at its first decorator, the trace records the ``def`` line."""
    if item is None or not item.code.lstrip().startswith("@"):
        return 0
    for i, text in enumerate(item.code.split("\n")):
        if _DEF_LINE.match(text):
            return i
    return 0


def _header_code(item: Item | None) -> str:
    """The item's code from its ``def``/``class`` line on (decorators left out)."""
    if item is None:
        return ""
    return "\n".join(item.code.split("\n")[_header_offset(item) :])


def _bind_style(item: Item | None) -> tuple[str, str]:
    """How a bound name is labelled: a parameter of a ``def`` is an input (⬇ param), a ``for``
    target or an ``as`` name is just named, an assignment's target is the result (⬆ result)."""
    m = _HEADER.match(_header_code(item)) if item is not None else None
    if m is None:
        return "result", "result"
    if m.group(1) in ("def", "lambda"):
        return "arg", "param"
    return "result", ""


def _error_entry(err: Mapping[str, Any], *, expected: bool) -> Entry:
    """The trace's top-level error, shown on its line when the line's record lacks it."""
    return Entry(
        kind="exception",
        name=str(err.get("type") or "Exception"),
        text=_clip(str(err.get("message") or "")),
        label="expected" if expected else "raised",
        glyph=GLYPHS["exception"],
        expected=expected,
    )


def _module_binds(record: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(str(e.get("text") or ""), e.get("value") or {}) for e in record.get("events") or [] if e.get("role") == "bind" and _is_module(e.get("value"))]


def _api_entries(item: Item | None, records: list[Mapping[str, Any]]) -> list[Entry]:
    """📚 notes the run supplies: module docs for imports, docstring sentences for callees the
    author wrote no note for (builtins such as ``print`` are left out)."""
    authored = [n for n in (item.notes if item else []) if n.icon == "api"]
    names = {_note_key(n.name) for n in authored}
    out: list[Entry] = []
    seen: set[str] = set()
    for rec in records:
        for name, v in _module_binds(rec):
            if name in seen or _covers(names, name, name):
                continue
            seen.add(name)
            out.append(_api_entry_from_module(name, v))
        for ev in rec.get("events") or []:
            if ev.get("role") != "call":
                continue
            text = str(ev.get("text") or "")
            qual = str(ev.get("qualname") or "")
            k = qual or text
            if k in seen or _is_builtin_call(ev) or not ev.get("doc"):
                continue
            if _covers(names, text, qual):
                continue
            seen.add(k)
            out.append(_api_entry_from_call(ev))
    return out


def _final_entries(entry: Mapping[str, Any], item: Item | None) -> list[Entry]:
    finals = entry.get("final") or []
    out: list[Entry] = []
    for i, f in enumerate(finals):
        label = "after the loop" if len(finals) == 1 else f"after loop run {int(f.get('hit', i)) + 1}"
        for val in f.get("values") or []:
            out.append(_value_entry("final", str(val.get("name") or ""), val.get("value"), item, label=label))
    return out


# ─────────────────────────────────────────────────────────────────────────────
# Page view
# ─────────────────────────────────────────────────────────────────────────────


def _explained(item: Item) -> bool:
    if item.hide:
        return False
    if item.kind == "comment":
        return True
    return bool((item.prose or "").strip() or item.notes)


def _comment_text(code: str) -> str:
    s = code.strip()
    s = re.sub(r"^#+\s*", "", s)
    s = re.sub(r"^(?:[─━═]+|[-=*#~]{2,})\s*", "", s)
    s = re.sub(r"\s*(?:[─━═]+|[-=*#~]{2,})$", "", s)
    return s.strip() or code.strip()


def _sanitize_path(path: str) -> str:
    p = str(path or "")
    if not p.startswith("/") and not re.match(r"^[A-Za-z]:[\\/]", p):
        return p
    p = p.replace("\\", "/")
    for marker in ("/site-packages/", "/dist-packages/"):
        if marker in p:
            return p.split(marker, 1)[1]
    m = re.search(r"/lib/python\d+(?:\.\d+)?/(.*)$", p)
    if m:
        return m.group(1)
    return PurePosixPath(p).name


def page_status(example: Example | None, trace: Mapping[str, Any]) -> str:
    """ "ok", "expected error" or "failed" (index statuses; "skipped" is the builder's)."""
    trace = _trace_dict(trace)
    status = trace.get("status", "ok")
    if status == "ok":
        return "ok"
    err = trace.get("error") or {}
    if status == "error" and example is not None and err.get("line") is not None:
        for it in example.items:
            if it.line <= int(err["line"]) <= max(it.end_line, it.line) and _exception_matches(it.raises, str(err.get("type") or "")):
                return "expected error"
    return "failed"


def _display_map(example: Example) -> dict[int, int]:
    m: dict[int, int] = {}
    for ll in example.listing:
        if getattr(ll, "hidden", False):
            continue
        m.setdefault(ll.line, ll.number)
    return m


def _trace_dict(trace: Any) -> Mapping[str, Any]:
    if isinstance(trace, Mapping):
        return trace
    if hasattr(trace, "to_dict"):
        return trace.to_dict()
    if dataclasses.is_dataclass(trace):
        return dataclasses.asdict(trace)
    raise TypeError(f"a trace is a dict, not {type(trace).__name__}")


class _FigureIndex:
    """The trace's top-level ``figures``, handed out once each to the places that show them."""

    def __init__(self, trace: Mapping[str, Any]) -> None:
        self.entries: list[Mapping[str, Any]] = [f for f in trace.get("figures") or [] if isinstance(f, Mapping)]
        self.used = [False] * len(self.entries)

    def take(self, file: Any, line: int | None, hit: int | None, *, later: bool = False) -> Figure | None:
        name = _figure_file(file)
        if name is None:
            return None
        match = None
        for want_place in (True, False):  # the entry captured there; else any with that file
            for i, f in enumerate(self.entries):
                if self.used[i] or f.get("file") != name:
                    continue
                if want_place and (f.get("line") != line or f.get("hit") != (None if later else hit)):
                    continue
                match = i
                break
            if match is not None:
                break
        if match is None:
            return Figure(name, alt="Figure", hit=hit, later=later)
        self.used[match] = True
        return self._figure(match, hit=hit, later=later)

    def _figure(self, i: int, **kw: Any) -> Figure:
        f = self.entries[i]
        return Figure(str(f["file"]), _dim(f.get("width")), _dim(f.get("height")), alt=str(f.get("alt") or ""), number=i + 1, **kw)

    def rest(self, line_map: Mapping[int, int]) -> list[Figure]:
        """Figures no line on the page showed (captured outside the script's lines, or on hidden ones)."""
        out = []
        for i, f in enumerate(self.entries):
            if self.used[i] or _figure_file(f.get("file")) is None:
                continue
            self.used[i] = True
            line = f.get("line")
            out.append(self._figure(i, line=line_map.get(line) if isinstance(line, int) else None))
        return out


def build_view(example: Example, trace: Mapping[str, Any]) -> PageView:
    """Turn an authored example and its trace into the page's view model."""
    trace = _trace_dict(trace)
    listing = [ll for ll in example.listing if not getattr(ll, "hidden", False)]
    shown_numbers = {ll.number for ll in listing}
    items = [it for it in example.items if not it.hide and it.number in shown_numbers]
    line_map = _display_map(example)

    by_line: dict[int, Mapping[str, Any]] = {}
    for entry in trace.get("lines") or []:
        by_line.setdefault(int(entry["line"]), entry)

    def entry_for(it: Item) -> Mapping[str, Any]:
        """The trace's line for an item: the line it starts on, or, for a decorated ``def`` or
        ``class`` (the item starts at its first decorator), the ``def`` line, which is where the
        trace records the calls; else the first trace line within the item's span."""
        first = it.line + _header_offset(it)
        if first in by_line:
            return by_line[first]
        if it.line in by_line:
            return by_line[it.line]
        for n in range(it.line, max(it.end_line, it.line) + 1):
            if n in by_line:
                return by_line[n]
        return {}

    figs = _FigureIndex(trace)

    def hit_figures(rec: Mapping[str, Any], line: int) -> list[Figure]:
        hit = rec.get("hit")
        out = [figs.take(f, line, hit if isinstance(hit, int) else None) for f in rec.get("figures") or []]
        return [f for f in out if f is not None]

    def later_figures(entry: Mapping[str, Any]) -> list[Figure]:
        line = entry.get("line")
        out = [figs.take(f, line, None, later=True) for f in entry.get("figures_later") or []]
        return [f for f in out if f is not None]

    status = page_status(example, trace)
    err = trace.get("error") or {}
    err_line = err.get("line")
    stopped = trace.get("status", "ok") != "ok"

    probe_errors: dict[int, dict[str, str]] = {}
    for pe in trace.get("placeholder_errors") or []:
        if pe.get("line") is not None:
            probe_errors.setdefault(int(pe["line"]), {})[str(pe.get("placeholder"))] = str(pe.get("error") or "")

    hl = highlight_lines("\n".join(_clip(ll.text) for ll in listing))
    hl_by_number = {ll.number: hl[i] for i, ll in enumerate(listing)}

    explained = [it for it in items if _explained(it)]
    explained_start = {it.number: it for it in explained}
    item_at: dict[int, Item] = {}
    for it in items:
        for n in range(it.number, max(it.end_number, it.number) + 1):
            item_at.setdefault(n, it)

    def code_lines(it: Item) -> list[CodeLine]:
        n = max(it.end_number, it.number) - it.number + 1
        code = "\n".join(_clip(t) for t in textwrap.dedent(it.code).split("\n"))
        texts = code.split("\n")
        if len(texts) == n:
            hls = highlight_lines(code)
            return [CodeLine(it.number + i, hls[i]) for i in range(n)]
        return [CodeLine(k, hl_by_number.get(k, Markup(""))) for k in range(it.number, it.number + n)]

    def not_run_reason(it: Item, entry: Mapping[str, Any]) -> str:
        """Why a line shows no state: "" when it ran (or is a line the trace does not cover)."""
        if entry and int(entry.get("hits") or 0) > 0:
            return ""
        if stopped and err_line is not None and it.line > int(err_line):
            return "not reached: the run stopped before this line"
        if entry:
            return "this line did not run"
        return ""

    has_from_run = False

    def make_card(it: Item) -> Card:
        nonlocal has_from_run
        entry = entry_for(it)
        records = list(entry.get("records") or [])
        probes0 = dict((records[0].get("probes") or {}) if records else {})
        prose, n_from_run = _markdown(it.prose or "", probes0, errors=probe_errors.get(it.line))
        if n_from_run and prose.endswith("</p>"):
            prose = Markup(str(prose)[:-4] + ' <span class="run-tag">from the run</span></p>')
        has_from_run = has_from_run or n_from_run > 0
        card = Card(
            kind=it.kind,
            number=it.number,
            end_number=max(it.end_number, it.number),
            line=it.line,
            end_line=max(it.end_line, it.line),
            anchor=f"line-{it.number}",
            code=it.code,
            code_lines=code_lines(it),
            comment=_comment_text(it.code) if it.kind == "comment" else "",
            prose=prose,
            from_run=n_from_run > 0,
            raises=it.raises,
            is_def=bool(re.match(r"\s*(?:async\s+)?def\b", _header_code(it))) if it.kind == "code" else False,
        )
        if it.kind == "comment":
            return card
        card.api = _api_entries(it, records)
        authored_api = [_authored_entry(n, probes0) for n in it.notes if n.icon == "api"]
        card.api = authored_api + card.api
        card.derived = [_authored_entry(n, probes0) for n in it.notes if n.icon != "api"]
        for rec in records:
            ents, tail = _record_entries(rec, it)
            card.hits.append(
                Hit(int(rec.get("hit", len(card.hits))), ents, tail, dict(rec.get("probes") or {}), hit_figures(rec, int(entry.get("line") or it.line)))
            )
        card.hit_count = int(entry.get("hits") or 0)
        card.recorded = len(records)
        card.final = _final_entries(entry, it)
        later = entry.get("output_later") or ""
        if later:
            text = later[:-1] if later.endswith("\n") else later
            card.later.append(_text_entry("later", "later output", text))
        card.figures_later = later_figures(entry)
        card.exceptions = int(entry.get("exceptions") or 0)
        excs = [t for h in card.hits for t in h.tail if t.kind == "exception"]
        is_err_line = err_line is not None and it.line <= int(err_line) <= card.end_line
        if any(not e.expected for e in excs) or (is_err_line and status == "failed"):
            card.status = "error"
        elif excs or (is_err_line and status == "expected error"):
            card.status = "expected"
        reason = not_run_reason(it, entry)
        if reason:
            card.not_run = reason
            card.status = card.status or "not-run"
        if is_err_line and not excs and err:
            # the error escaped the line but the record lacked it: show it anyway
            exc_entry = _error_entry(err, expected=status == "expected error")
            if card.hits:
                card.hits[-1].tail.append(exc_entry)
            else:
                card.hits.append(Hit(0, [], [exc_entry]))
            card.not_run = ""
        return card

    def fold_group(numbers: list[int]) -> list[FoldGroup]:
        groups: list[FoldGroup] = []
        i = 0
        while i < len(numbers):
            n = numbers[i]
            it = item_at.get(n)
            if it is not None and it.number == n and it.kind == "code" and not _explained(it):
                span = [k for k in numbers[i:] if k <= max(it.end_number, it.number)]
                entry = entry_for(it)
                records = list(entry.get("records") or [])
                ents: list[Entry] = []
                error = False
                if records:
                    e0, t0 = _record_entries(records[0], it)
                    ents = _api_entries(it, records[:1]) + e0 + t0
                    error = any(t.kind == "exception" and not t.expected for t in t0)
                line_no = int(entry.get("line") or it.line)
                group_figs = [f for r in records for f in hit_figures(r, line_no)] + later_figures(entry)
                if int(entry.get("hits") or 0) > 1:
                    for f in group_figs:  # a fold shows the first hit's state: say which hit a figure is from
                        f.say_hit = True
                hits = int(entry.get("hits") or 0)
                note = not_run_reason(it, entry)
                if err_line is not None and it.line <= int(err_line) <= max(it.end_line, it.line):
                    error = error or status == "failed"
                    if not any(e.kind == "exception" for e in ents) and err:
                        ents.append(_error_entry(err, expected=status == "expected error"))
                        note = ""
                lines = [CodeLine(k, hl_by_number.get(k, Markup(""))) for k in span]
                groups.append(FoldGroup(lines, ents, hits, note, error, figures=group_figs))
                i += len(span)
                continue
            note = ""
            if it is not None and it.number != n:
                note = f"continues line {it.number}"
            line = CodeLine(n, hl_by_number.get(n, Markup("")))
            prev = groups[-1] if groups else None
            if prev is not None and prev.plain and prev.note == note:
                prev.lines.append(line)
            else:
                groups.append(FoldGroup([line], note=note, plain=True))
            i += 1
        return groups

    err_number = line_map.get(int(err_line)) if err_line is not None else None
    blocks: list[Card | Fold] = []
    run: list[int] = []
    unexplained = 0

    def flush_run() -> None:
        nonlocal unexplained
        if not run:
            return
        groups = fold_group(list(run))
        has_error = err_number is not None and status == "failed" and err_number in run
        raised = any(e.kind == "exception" for g in groups for e in g.entries)
        fold = Fold(run[0], run[-1], len(run), f"fold-{run[0]}", groups, open=has_error or raised)
        blocks.append(fold)
        unexplained += len(run)
        run.clear()

    for ll in listing:
        it = explained_start.get(ll.number)
        if it is not None:
            flush_run()
            blocks.append(make_card(it))
        else:
            run.append(ll.number)
    flush_run()

    # listing rows: where each line links to
    rows: list[ListingRow] = []
    for ll in listing:
        it = item_at.get(ll.number)
        if ll.number in explained_start:
            href, kind = f"#line-{ll.number}", "explained"
        elif it is not None and _explained(it):
            href, kind = f"#line-{it.number}", "continued"
        else:
            href, kind = f"#f-{ll.number}", "folded"
        err_row = False
        if err_number is not None and status != "ok":
            eit = item_at.get(err_number)
            lo, hi = (eit.number, max(eit.end_number, eit.number)) if eit else (err_number, err_number)
            err_row = lo <= ll.number <= hi
        rows.append(ListingRow(ll.number, hl_by_number[ll.number], href, kind, err_row))

    meta_d = trace.get("meta") or {}
    meta: list[tuple[str, str]] = []
    dev = str(meta_d.get("device") or "")
    if dev:
        meta.append(("device", dev + (f" ({meta_d['device_name']})" if meta_d.get("device_name") else "")))
    for key, label in (("python", "Python"), ("torch", "torch"), ("numpy", "numpy")):
        if meta_d.get(key):
            meta.append((label, str(meta_d[key])))
    if meta_d.get("seed") is not None:
        meta.append(("seed", str(meta_d["seed"])))
    if meta_d.get("hits") is not None:
        meta.append(("hits recorded per line", str(meta_d["hits"])))
    if meta_d.get("tracekit"):
        meta.append(("tracekit", str(meta_d["tracekit"])))
    run_bits = [dev] if dev else []
    if meta_d.get("torch"):
        run_bits.append(f"torch {meta_d['torch']}")
    if meta_d.get("seed") is not None:
        run_bits.append(f"seed {meta_d['seed']}")

    path = example.path
    parts = PurePosixPath(path).parts
    view = PageView(
        title=example.title,
        path=path,
        file_name=parts[-1] if parts else path,
        crumbs=list(parts[:-1]),
        intro=markdown(example.intro or ""),
        status=status,
        banner=_banner(trace, status, line_map, item_at),
        blocks=blocks,
        listing=rows,
        meta=meta,
        run_line=" · ".join(run_bits),
        unexplained=unexplained,
        has_from_run=has_from_run,
        figure_limit=str(trace.get("figure_limit") or ""),
        other_figures=figs.rest(line_map),
    )
    return view


def _banner(trace: Mapping[str, Any], status: str, line_map: dict[int, int], item_at: dict[int, Item]) -> Banner | None:
    if status == "ok":
        return None
    tstatus = trace.get("status", "error")
    err = trace.get("error") or {}
    etype = str(err.get("type") or "")
    message = str(err.get("message") or "")
    number = line_map.get(int(err["line"])) if err.get("line") is not None else None
    href = ""
    if number is not None:
        it = item_at.get(number)
        href = f"#line-{it.number}" if it is not None and _explained(it) else f"#L{number}"
    src = str((trace.get("source") or {}).get("path") or "")
    frames: list[Frame] = []
    for fr in err.get("traceback") or []:
        fpath = str(fr.get("path") or "")
        same = bool(src) and (fpath == src or fpath.endswith("/" + src) or PurePosixPath(fpath).name == PurePosixPath(src).name and not fpath.startswith("/"))
        fnum = line_map.get(int(fr["line"])) if same and fr.get("line") is not None else None
        frames.append(
            Frame(
                path=_sanitize_path(fpath),
                line=int(fr.get("line") or 0),
                function=str(fr.get("function") or ""),
                text=str(fr.get("text") or ""),
                href=f"#L{fnum}" if fnum is not None else "",
                number=fnum,
            )
        )
    # The trace's reason is a code (schema: error.reason); the page says it in words, or not at all
    # where the error's own message says it (an exception).
    reasons = {
        "timeout": "The run took longer than its time limit and was stopped.",
        "crashed": "The Python process running the example crashed.",
        "limit": "The run went over a resource limit and was stopped.",
        "signal": "The Python process running the example was killed by a signal.",
        "output": "The example printed more than its output limit allows, and was stopped.",
        "memory": "The example needed more memory than its limit allows.",
        "syntax": "The file is not valid Python, so nothing ran.",
        "instrument": "tracekit could not instrument this valid Python file; it ran without a trace.",
        "placeholder": "A placeholder in the prose could not be evaluated after its line ran.",
        "exit": "The script ended itself with a non-zero exit status.",
    }
    reason = reasons.get(str(err.get("reason") or ""), "") or reasons.get(tstatus, "")
    if status == "expected error":
        title = f"The run ends with the expected {etype}" if etype else "The run ends with the expected error"
        kind = "expected"
    else:
        kind = "failed"
        title = {
            "timeout": "This example timed out",
            "crashed": "This example crashed",
            "limit": "This example hit a limit",
        }.get(tstatus, "This example failed")
    stderr = ""
    if kind == "failed" and not frames and trace.get("stderr"):
        stderr = _clip("\n".join(_clip(_sanitize_line(x[: MAX_TEXT_CHARS * 2]), 2000) for x in str(trace["stderr"]).splitlines()[-20:]))
    return Banner(kind, title, _clip(etype, 500), _clip(message), number, href, reason, frames, stderr)


def _sanitize_line(line: str) -> str:
    return re.sub(r"(?:/[^\s\"']+)+/((?:site|dist)-packages/)?", lambda m: "…/", line)


# ─────────────────────────────────────────────────────────────────────────────
# Templates, pages, JSON, assets
# ─────────────────────────────────────────────────────────────────────────────


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.globals["icons"] = _icons
    env.filters["plural"] = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"
    return env


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` in the templates: plain text becomes inert, bounded text (then Jinja2
    escapes it); Markup, built here from escaped parts, passes as it is."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return inert(value, MAX_TEXT_CHARS + 64)  # + room for the marker of a text cut before


_SURROGATE = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=1)
def _icons_text() -> str:
    return (ASSETS / "icons.svg").read_text(encoding="utf-8").strip()


def _icons() -> Markup:
    return Markup(_icons_text())


def _asset_href(assets: Mapping[str, str], root_rel: str, suffix: str) -> str:
    for key in (f"tracekit{suffix}", suffix.lstrip(".")):
        if key in assets:
            return root_rel + assets[key]
    for key, val in sorted(assets.items()):
        if key.endswith(suffix):
            return root_rel + val
    return ""


def _norm_root(root_rel: str) -> str:
    if root_rel in ("", "."):
        return ""
    return root_rel if root_rel.endswith("/") else root_rel + "/"


def render_page(
    example: Example,
    trace: Mapping[str, Any],
    *,
    assets: Mapping[str, str],
    root_rel: str,
    json_name: str,
) -> str:
    """The example's HTML page. ``assets`` maps logical names to paths relative to the output
    root (see :func:`write_assets`); ``root_rel`` leads from the page's folder to that root
    ("" or "../"); ``json_name`` is the page's JSON file, relative to the page."""
    view = build_view(example, trace)
    root = _norm_root(root_rel)
    page = (
        _env()
        .get_template("page.html")
        .render(
            view=view,
            css=_asset_href(assets, root, ".css"),
            js=_asset_href(assets, root, ".js"),
            index_href=root + "index.html",
            json_href=_href(json_name),
            fig_root=root + FIGURES_DIR + "/",
        )
    )
    return _SURROGATE.sub("\ufffd", page)  # none should be left; a page must encode as UTF-8


def _href(path: str) -> str:
    """A relative link to PATH (a file name we were given): percent-encoded, so that spaces,
    ``#``, ``?``, ``%`` and non-ASCII names reach the file, and ``javascript:x.json`` stays a path."""
    return quote(_SURROGATE.sub("\ufffd", str(path)), safe="/")


def _example_dict(example: Example) -> dict[str, Any]:
    d = dataclasses.asdict(example)
    d["probes"] = {str(k): v for k, v in sorted((example.probes or {}).items())}
    return d


def page_json(example: Example, trace: Mapping[str, Any]) -> str:
    """The page's JSON: the trace's keys plus ``authored`` (the Example) — deterministic."""
    data = dict(_trace_dict(trace))
    data["authored"] = _example_dict(example)
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


def _get(entry: Any, *names: str, default: Any = "") -> Any:
    for n in names:
        if isinstance(entry, Mapping):
            if n in entry and entry[n] is not None:
                return entry[n]
        elif getattr(entry, n, None) is not None:
            return getattr(entry, n)
    return default


@dataclass
class IndexEntry:
    title: str
    intro: Markup
    href: str
    status: str
    path: str

    @property
    def link(self) -> str:
        return _href(self.href)


def render_index(entries: Iterable[Any], *, assets: Mapping[str, str]) -> str:
    """The site's index page. Each entry (mapping or object) has ``title``, ``intro`` (its
    first line is shown), ``html`` (page path relative to the output root) and ``status``
    ("ok" | "expected error" | "failed" | "skipped"); ``path`` (the example file) is optional."""
    rows: list[IndexEntry] = []
    for e in entries:
        intro = str(_get(e, "intro", default="")).strip()
        first = " ".join(intro.split("\n\n", 1)[0].split()) if intro else ""
        href = str(_get(e, "html", "href", "page", default=""))
        path = str(_get(e, "path", "source", default=""))
        if not path and href:
            path = str(PurePosixPath(href).with_suffix(".py"))
        rows.append(
            IndexEntry(
                title=str(_get(e, "title", default="") or PurePosixPath(href).stem),
                intro=markdown(first, inline=True),
                href=href,
                status=str(_get(e, "status", default="ok")),
                path=path,
            )
        )
    rows.sort(key=lambda r: r.href)
    groups: dict[str, list[IndexEntry]] = {}
    for r in rows:
        groups.setdefault(str(PurePosixPath(r.href).parent).replace(".", "") if "/" in r.href else "", []).append(r)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    order = ["ok", "expected error", "failed", "skipped"]
    summary = [(s, counts[s]) for s in order if s in counts] + sorted((s, n) for s, n in counts.items() if s not in order)
    return (
        _env()
        .get_template("index.html")
        .render(
            groups=sorted(groups.items()),
            total=len(rows),
            summary=summary,
            css=_asset_href(assets, "", ".css"),
            js=_asset_href(assets, "", ".js"),
        )
    )


def _hashed_name(name: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()[:8]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def asset_paths() -> dict[str, str]:
    """Logical asset name → path relative to the output root, without writing anything."""
    return {logical: "assets/" + _hashed_name(fname, (ASSETS / fname).read_bytes()) for logical, fname in sorted(ASSET_FILES.items())}


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
            tmp = adir / (name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
        stem, _, suffix = fname.rpartition(".")
        for old in adir.glob(f"{stem}.*.{suffix}"):
            if old.name != name and re.fullmatch(re.escape(stem) + r"\.[0-9a-f]{8}\." + re.escape(suffix), old.name):
                old.unlink()
        result[logical] = f"assets/{name}"
    return result
