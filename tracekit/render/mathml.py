"""MathML rebuilt from an allowlist: the one way math reaches a page.

Public API::

    clean_mathml(fragment) -> str

Whatever produced the fragment (latex2mathml today), it is parsed and written again: only the
presentation elements below, only the attributes listed for them, each value checked against
its pattern; no ``style``, ``class``, ``href``, ``id`` or event attribute survives. The text of
token elements (``mi``, ``mn``, ``mo``, ``mtext``, ``ms``) is text: latex2mathml copies the
argument of ``\\text``, ``\\mbox``, ``\\tag`` … into ``<mtext>`` unescaped, so any tag found
there is shown as the characters the author wrote. A tag that is not allowed anywhere else is
shown as text too, and a fragment always comes back as one closed ``<math>`` element.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any

__all__ = ["clean_mathml"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

#: elements whose content is text (and whose text latex2mathml copies from the TeX as is)
TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms"})

_LENGTH = r"[+-]?(?:\d{1,3}(?:\.\d{0,4})?|\.\d{1,4})(?:em|ex|px|pt|mu|%)?"  # ≤ 999: no page-sized spaces
_NAMED_SPACE = r"(?:negative)?(?:very){0,2}(?:thin|thick|medium)mathspace|infinity"
_ALIGN = r"(?:left|center|right|top|bottom|baseline|axis)"
_CHECKS: dict[str, re.Pattern[str]] = {
    "bool": re.compile(r"true|false"),
    "length": re.compile(rf"{_LENGTH}|{_NAMED_SPACE}"),
    "lengths": re.compile(rf"{_LENGTH}(?: {_LENGTH}){{0,63}}"),
    "align": re.compile(rf"{_ALIGN}(?: {_ALIGN}){{0,63}}"),
    "lines": re.compile(r"(?:none|solid|dashed)(?: (?:none|solid|dashed)){0,63}"),
    "color": re.compile(r"#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,20}"),
    "variant": re.compile(
        r"normal|bold|italic|bold-italic|double-struck|bold-fraktur|script|bold-script|fraktur|sans-serif"
        r"|bold-sans-serif|sans-serif-italic|sans-serif-bold-italic|monospace"
    ),
    "level": re.compile(r"[+-]?[0-7]"),
    "count": re.compile(r"[1-9]\d?"),
    "form": re.compile(r"prefix|infix|postfix"),
    "display": re.compile(r"block|inline"),
    "notation": re.compile(
        r"(?:box|roundedbox|circle|left|right|top|bottom|updiagonalstrike|downdiagonalstrike|verticalstrike"
        r"|horizontalstrike|madruwb|actuarial|radical|longdiv|phasorangle|updiagonalarrow)(?: [a-z]+){0,7}"
    ),
    "linebreak": re.compile(r"auto|newline|nobreak|goodbreak|badbreak"),
    "xmlns": re.compile(re.escape(MATHML_NS)),
}  # fmt: skip

#: attributes any allowed element may carry
_COMMON = {
    "mathcolor": "color",
    "mathbackground": "color",
    "mathvariant": "variant",
    "mathsize": "length",
    "displaystyle": "bool",
    "scriptlevel": "level",
}
_SIZED = {"width": "length", "height": "length", "depth": "length"}

#: element → its own attributes (beyond _COMMON) → the check of their values
ALLOWED: dict[str, dict[str, str]] = {
    "math": {"xmlns": "xmlns", "display": "display"},
    "mrow": {},
    "mi": {},
    "mn": {},
    "mtext": {},
    "ms": {},
    "mo": {"stretchy": "bool", "fence": "bool", "separator": "bool", "form": "form", "largeop": "bool",
           "movablelimits": "bool", "accent": "bool", "symmetric": "bool", "lspace": "length", "rspace": "length",
           "minsize": "length", "maxsize": "length"},
    "mspace": {**_SIZED, "linebreak": "linebreak"},
    "mfrac": {"linethickness": "length"},
    "msqrt": {},
    "mroot": {},
    "msub": {},
    "msup": {},
    "msubsup": {},
    "munder": {"accentunder": "bool"},
    "mover": {"accent": "bool"},
    "munderover": {"accent": "bool", "accentunder": "bool"},
    "mmultiscripts": {},
    "mprescripts": {},
    "none": {},
    "mtable": {"columnalign": "align", "rowalign": "align", "columnspacing": "lengths", "rowspacing": "lengths",
               "columnlines": "lines", "rowlines": "lines", "frame": "lines"},
    "mtr": {"columnalign": "align", "rowalign": "align"},
    "mtd": {"columnalign": "align", "rowalign": "align", "columnspan": "count", "rowspan": "count"},
    "mstyle": {},
    "mpadded": {**_SIZED, "lspace": "length", "voffset": "length"},
    "mphantom": {},
    "menclose": {"notation": "notation"},
    "merror": {},
}  # fmt: skip


def _attributes(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    """The allowed attributes of TAG whose values pass their check, in their order, escaped."""
    own = ALLOWED[tag]
    out: list[str] = []
    seen: set[str] = set()
    for name, value in attrs:
        name = name.lower()
        check = own.get(name) or _COMMON.get(name)
        if check is None or value is None or name in seen or not _CHECKS[check].fullmatch(value.strip()):
            continue
        seen.add(name)
        out.append(f' {name}="{escape(value.strip(), quote=True)}"')
    return "".join(out)


class _Rebuild(HTMLParser):
    """One pass over a fragment: allowed elements written again, everything else as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []  # open elements written to OUT; stack[0] is the root <math>
        self.pending: list[str] = []  # text not yet written (outside a token element it needs one)

    def set_cdata_mode(self, elem: str, *args: Any, **kwargs: Any) -> None:
        """`<script>`/`<style>` inside math are text like any other tag: no raw-text mode."""

    # text ──────────────────────────────────────────────────────────────────
    def _text(self, text: str) -> None:
        self.pending.append(text)

    def _flush(self) -> None:
        text = "".join(self.pending)
        self.pending.clear()
        if not text:
            return
        if self.stack and self.stack[-1] in TOKENS:
            self.out.append(escape(text, quote=False))
        elif text.strip():  # text where MathML expects elements: shown in an <mtext> of its own
            self._open_root()
            self.out.append(f"<mtext>{escape(text, quote=False)}</mtext>")

    def _open_root(self) -> None:
        if not self.stack:
            self.out.append(f'<math xmlns="{MATHML_NS}">')
            self.stack.append("math")

    # parser callbacks ──────────────────────────────────────────────────────
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """An allowed element outside a token element opens; any other tag is text."""
        if tag not in ALLOWED or (self.stack and self.stack[-1] in TOKENS) or (tag == "math" and self.stack):
            self._text(unescape(self.get_starttag_text() or ""))
            return
        self._flush()
        if tag != "math":
            self._open_root()
        self.out.append(f"<{tag}{_attributes(tag, attrs)}>")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """``<mspace … />``: an element with nothing in it."""
        depth = len(self.stack)
        self.handle_starttag(tag, attrs)
        if len(self.stack) > depth:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        """Closes the open element it names (and those inside it); the root closes only at the end."""
        if self.stack and self.stack[-1] in TOKENS and self.stack[-1] != tag:
            self._text(f"</{tag}>")
        elif tag == "math" and self.stack:
            self._flush()
        elif tag not in self.stack[1:]:
            self._text(f"</{tag}>")
        else:
            self._flush()
            while self.stack[-1] != tag:
                self.out.append(f"</{self.stack.pop()}>")
            self.out.append(f"</{self.stack.pop()}>")

    def handle_data(self, data: str) -> None:
        """Text: written escaped."""
        self._text(data)

    def handle_comment(self, data: str) -> None:
        """A comment is text the author wrote (``\\text{<!-- -->}``)."""
        self._text(unescape(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        """A declaration is text too."""
        self._text(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        """So is a processing instruction."""
        self._text(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        """And a CDATA section."""
        self._text(f"<![{data}]>")

    def result(self) -> str:
        """Everything written, every element closed."""
        self.close()
        self._flush()
        self._open_root()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.stack))


def clean_mathml(fragment: str) -> str:
    """FRAGMENT (MathML from any source) as one ``<math>`` element holding only allowed markup."""
    parser = _Rebuild()
    parser.feed(fragment)
    return parser.result()
