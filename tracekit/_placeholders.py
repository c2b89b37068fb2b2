"""Prose placeholders `{expr!conv:spec}`: one parser for the authoring model and the child.

Standard library only: the child process evaluates placeholders with what this module parses,
so the page and the run agree on where an expression ends and its format spec begins.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Placeholder", "parse_placeholder", "split_prose"]


@dataclass(frozen=True)
class Placeholder:
    """One `{expr!conv:spec}` in prose; `source` is the text between the braces, the probe key."""

    source: str
    expr: str
    conversion: str | None
    spec: str


class _PlaceholderError(ValueError):
    """A malformed placeholder, with the column it starts at."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(message)
        self.column = column


def split_prose(text: str) -> list[str | Placeholder]:
    """Split prose into literal text and placeholders, f-string style (`{{`/`}}` are braces)."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif ch == "}":
            raise _PlaceholderError(i, "single '}' in prose; write '}}' for a literal brace")
        elif ch == "{":
            end, placeholder = _scan_placeholder(text, i)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(placeholder)
            i = end
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
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
                raise _PlaceholderError(start, f"unbalanced {ch!r} in placeholder")
        elif ch == "}":
            expr_end = i if expr_end < 0 else expr_end
            break
        elif ch == "!" and depth == 0 and not text.startswith("!=", i):
            expr_end, conv_at = i, i + 1
            i += 2
            if text[conv_at : conv_at + 1] not in ("r", "s", "a"):
                raise _PlaceholderError(start, "conversion must be !r, !s or !a")
            if i < len(text) and text[i] not in ":}":
                raise _PlaceholderError(start, "expected ':' or '}' after the conversion")
            continue
        elif ch == ":" and depth == 0:
            expr_end = i if expr_end < 0 else expr_end
            spec_at = i + 1
            close = text.find("}", spec_at)
            if close < 0:
                break
            if "{" in text[spec_at:close]:
                raise _PlaceholderError(start, "nested placeholders in a format spec are not supported")
            i = close
            break
        i += 1
    else:
        raise _PlaceholderError(start, "placeholder is not closed with '}'")
    if i >= len(text) or text[i] != "}":
        raise _PlaceholderError(start, "placeholder is not closed with '}'")
    expr = text[start + 1 : expr_end].strip()
    if not expr:
        raise _PlaceholderError(start, "empty placeholder '{}'; write '{{}}' for literal braces")
    try:
        compile(f"({expr}\n)", "<placeholder>", "eval")
    except SyntaxError as error:
        source = text[start + 1 : i]
        raise _PlaceholderError(start, f"placeholder {{{source}}} is not a Python expression: {error.msg}") from None
    spec = text[spec_at:i] if spec_at >= 0 else ""
    conversion = text[conv_at] if conv_at >= 0 else None
    return i + 1, Placeholder(text[start + 1 : i], expr, conversion, spec)


def parse_placeholder(source: str) -> Placeholder:
    """The placeholder whose text between the braces is SOURCE (a probe key); ValueError if malformed."""
    end, placeholder = _scan_placeholder("{" + source + "}", 0)
    if end != len(source) + 2:
        raise _PlaceholderError(0, f"{{{source}}} is not a single placeholder")
    return placeholder
