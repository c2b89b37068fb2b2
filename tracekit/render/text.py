"""Inert text: everything from a run or an author shown visible, escaped-ready and bounded."""

from __future__ import annotations

import re
from typing import Any

#: how many characters of a value's text a page shows before it cuts (the JSON keeps all)
MAX_VALUE_CHARS = 2000

MAX_DOC_CHARS = 320

#: the most characters of any single text (printed output, a message, a title, a code line) a
#: page shows; the rest is replaced by "… (N more characters)"
MAX_TEXT_CHARS = 20_000

#: the most characters of a file's prose (Markdown or reStructuredText: its docstring and text
#: blocks, or a chapter) rendered on a page; the rest is left out with a marker and a build
#: warning. Far above a long chapter (~50,000 characters), far below a page nobody can open.
MAX_PROSE_CHARS = 1_000_000

#: single-line texts longer than this are shown in a scrolling box, wrapped
LONG_LINE_CHARS = 400

#: the folder, under the output root, where the build writes figure and image PNGs (build.FIGURES_DIR)
FIGURES_DIR = "figures"

FIGURE_FILE = re.compile(r"^[0-9A-Za-z_-][0-9A-Za-z_.-]{0,200}\.png$")


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
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def _marker(m: re.Match[str]) -> str:
    return f"<U+{ord(m.group(0)):04X}>"


def visible(text: str) -> str:
    """TEXT with control and text-direction characters replaced by visible markers."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE_CHARS.sub(_marker, text)


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """TEXT cut to LIMIT characters, with a visible "… (N more characters)" marker."""
    if len(text) <= limit:
        return text
    more = len(text) - limit
    return f"{text[:limit]}… ({more:,} more character{'s' if more != 1 else ''})"


def inert(text: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Any text as the page shows it: cut to LIMIT characters and with control and
    text-direction characters made visible. Still to be HTML-escaped (templates do that)."""
    return visible(clip(str(text), limit))
