"""Prose placeholders `{expr!conv:spec}`: one parser for the authoring model and the child.

Standard library only: the child process evaluates placeholders with what this module parses,
so the page and the run agree on where an expression ends and its format spec begins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Placeholder",
    "PlaceholderSpan",
    "literal_spans",
    "parse_placeholder",
    "placeholder_spans",
    "split_markdown_prose",
    "split_prose",
]


@dataclass(frozen=True)
class Placeholder:
    """One `{expr!conv:spec}` in prose; `source` is the text between the braces, the probe key."""

    source: str
    expr: str
    conversion: str | None
    spec: str


class PlaceholderError(ValueError):
    """A malformed placeholder, with the column it starts at."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class PlaceholderSpan:
    """Where TEXT[start:end] is a placeholder, or (placeholder None) a `{{`/`}}` escaped brace."""

    start: int
    end: int
    placeholder: Placeholder | None


def placeholder_spans(
    text: str, *, markdown: bool = False, math: bool = True, strict: bool = True
) -> list[PlaceholderSpan]:
    """The placeholders and escaped braces of prose TEXT, f-string style, in order.

    The one reading of the syntax: the run evaluates what this finds and the page and the notebook
    fill in the same spans. With MARKDOWN, braces in fenced code (and, with MATH, in math) are text.
    STRICT raises on a malformed placeholder or a single '}'; otherwise those are left as text.
    """
    spans: list[PlaceholderSpan] = []
    pos = 0
    for start, end in [*(literal_spans(text, math=math) if markdown else []), (len(text), len(text))]:
        i, segment = pos, text[:start]
        while i < start:
            ch = text[i]
            if ch in "{}" and text.startswith(ch * 2, i) and i + 1 < start:
                spans.append(PlaceholderSpan(i, i + 2, None))
                i += 2
            elif ch == "}":
                if strict:
                    raise PlaceholderError(i, "single '}' in prose; write '}}' for a literal brace")
                i += 1
            elif ch == "{":
                try:
                    after, placeholder = _scan_placeholder(segment, i)
                except PlaceholderError:
                    if strict:
                        raise
                    i += 1
                    continue
                spans.append(PlaceholderSpan(i, after, placeholder))
                i = after
            else:
                i += 1
        pos = end
    return spans


def split_prose(text: str) -> list[str | Placeholder]:
    """Split prose into literal text and placeholders, f-string style (`{{`/`}}` are braces)."""
    return _split(text, placeholder_spans(text))


def _split(text: str, spans: list[PlaceholderSpan]) -> list[str | Placeholder]:
    """TEXT as literal runs and the placeholders of SPANS (escaped braces become one brace)."""
    parts: list[str | Placeholder] = []
    literal = ""
    pos = 0
    for span in spans:
        literal += text[pos : span.start]
        if span.placeholder is None:
            literal += text[span.start]
        else:
            if literal:
                parts.append(literal)
                literal = ""
            parts.append(span.placeholder)
        pos = span.end
    literal += text[pos:]
    if literal:
        parts.append(literal)
    return parts


def _scan_placeholder(text: str, start: int) -> tuple[int, Placeholder]:
    """Parse the placeholder opening at text[start] ('{'); return the index after its '}'."""
    # Brackets and string quotes are tracked so `d['a:b']`, `x[1:2]`, `f(a, b)` and `a != b` stay
    # inside the expression, as in an f-string; `string.Formatter` would split them.
    depth, quote, i = 0, "", start + 1
    expr_end = conv_at = spec_at = -1
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]" or (ch == "}" and depth > 0):
            depth -= 1
            if depth < 0:
                raise PlaceholderError(start, f"unbalanced {ch!r} in placeholder")
        elif ch == "}":
            expr_end = i if expr_end < 0 else expr_end
            break
        elif ch == "!" and depth == 0 and not text.startswith("!=", i):
            expr_end, conv_at = i, i + 1
            i += 2
            if text[conv_at : conv_at + 1] not in ("r", "s", "a"):
                raise PlaceholderError(start, "conversion must be !r, !s or !a")
            if i < len(text) and text[i] not in ":}":
                raise PlaceholderError(start, "expected ':' or '}' after the conversion")
            continue
        elif ch == ":" and depth == 0:
            expr_end = i if expr_end < 0 else expr_end
            spec_at = i + 1
            close = text.find("}", spec_at)
            if close < 0:
                break
            if "{" in text[spec_at:close]:
                raise PlaceholderError(start, "nested placeholders in a format spec are not supported")
            i = close
            break
        i += 1
    else:
        raise PlaceholderError(start, "placeholder is not closed with '}'")
    if i >= len(text) or text[i] != "}":
        raise PlaceholderError(start, "placeholder is not closed with '}'")
    expr = text[start + 1 : expr_end].strip()
    if not expr:
        raise PlaceholderError(start, "empty placeholder '{}'; write '{{}}' for literal braces")
    try:
        compile(f"({expr}\n)", "<placeholder>", "eval")
    except SyntaxError as error:
        source = text[start + 1 : i]
        raise PlaceholderError(start, f"placeholder {{{source}}} is not a Python expression: {error.msg}") from None
    spec = text[spec_at:i] if spec_at >= 0 else ""
    conversion = text[conv_at] if conv_at >= 0 else None
    return i + 1, Placeholder(text[start + 1 : i], expr, conversion, spec)


def parse_placeholder(source: str) -> Placeholder:
    """The placeholder whose text between the braces is SOURCE (a probe key); ValueError if malformed."""
    end, placeholder = _scan_placeholder("{" + source + "}", 0)
    if end != len(source) + 2:
        raise PlaceholderError(0, f"{{{source}}} is not a single placeholder")
    return placeholder


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def literal_spans(text: str, *, math: bool = True) -> list[tuple[int, int]]:
    """Where braces in Markdown TEXT are text, not placeholders: fenced code blocks and, with
    MATH, `$…$` and `$$…$$` (as markdown-it's dollarmath reads them). Sorted (start, end) pairs."""
    spans: list[tuple[int, int]] = []
    pos = 0
    fence = ""
    fence_start = 0
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence:
            if (
                match
                and match.group(1)[0] == fence[0]
                and len(match.group(1)) >= len(fence)
                and not line[match.end() :].strip()
            ):
                spans.append((fence_start, pos + len(line)))
                fence = ""
        elif match and not (match.group(1)[0] == "`" and "`" in line[match.end() :]):
            fence, fence_start = match.group(1), pos
        pos += len(line)
    if fence:
        spans.append((fence_start, len(text)))
    if math:
        spans = sorted(spans + _math_spans(text, spans))
    return spans


def _math_spans(text: str, fenced: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`$$…$$` and `$…$` outside FENCED spans and code spans; `\\$` is a dollar sign."""
    found: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        inside = next((end for start, end in fenced if start <= i < end), None)
        if inside is not None:
            i = inside
            continue
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            i = close + run if close >= 0 else i + run
            continue
        if ch == "$":
            if text.startswith("$$", i):
                close = text.find("$$", i + 2)
                if close >= 0:
                    found.append((i, close + 2))
                    i = close + 2
                    continue
            elif i + 1 < n and not text[i + 1].isspace() and not (i and text[i - 1].isdigit()):
                # As dollarmath reads it (allow_space and allow_digits off): the next unescaped
                # '$' closes, if no space precedes it and no digit follows it.
                close = i + 1
                while True:
                    close = text.find("$", close)
                    if close < 0 or not _escaped(text, close):
                        break
                    close += 1
                valid = close > i + 1 and "\n\n" not in text[i:close]
                if valid and not text[close - 1].isspace() and not text[close + 1 : close + 2].isdigit():
                    found.append((i, close + 1))
                    i = close + 1
                    continue
        i += 1
    return found


def _escaped(text: str, at: int) -> bool:
    """True if an odd number of backslashes precede text[at]."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def split_markdown_prose(text: str) -> list[str | Placeholder]:
    """split_prose for Markdown prose: braces in math and fenced code are text (kept as written)."""
    return _split(text, placeholder_spans(text, markdown=True))
