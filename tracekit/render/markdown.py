"""Prose and docstring markup: placeholders, a Markdown subset, and docstring summaries."""

from __future__ import annotations

import re
from collections.abc import Mapping

from markupsafe import Markup, escape

from .text import MAX_DOC_CHARS, MAX_VALUE_CHARS, _clip, _visible, inert

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
