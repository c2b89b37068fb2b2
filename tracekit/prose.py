"""Where a script's prose comes from: `#:` prose, cells (sphinx-gallery or Jupytext percent), or plain comment blocks.

A script is read as text blocks and code, from one of four sources (detected per file, or
forced with `# tracekit: prose=authored|gallery|percent|comments`):

- authored: the file has `#:` prose (read by tracekit.source as before);
- percent: Jupytext / VS Code percent cells (`# %% [markdown]`, `# %% [md]`, `# %% [raw]`, or a
  Jupytext `# ---` header): Markdown cells are the text, code cells the code;
- gallery: sphinx-gallery cells (`# %%`, or a line of 20 or more `#`) with comment blocks,
  written in reStructuredText;
- comments: runs of plain `#` comment lines on lines of their own, written in Markdown.

Each text block explains the code after it: in cells, up to the next cell (a percent Markdown
cell with no code, the untitled code cell after it); from comments, up to the next blank line,
text block or dedent. `# %% Title` makes Title the cell's heading.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SOURCES",
    "MARKUPS",
    "TextBlock",
    "detect_source",
    "has_cell_marker",
    "looks_like_code",
    "looks_like_rst",
    "statements_after",
    "text_blocks",
    "title_and_intro",
    "title_from_name",
]

SOURCES = ("authored", "gallery", "percent", "comments")
MARKUPS = ("markdown", "rst")

#: the one cell marker: `# %%` or `#%%` (then a space, `[` or the line's end: `# %%time` is an
#: IPython magic), then as Jupytext writes it an optional title, the `[markdown]`/`[md]`/`[raw]`
#: cell type and metadata (`{json}` or `key=value` pairs); or sphinx-gallery's line of 20 or more `#`
_CELL = re.compile(r"^#\s?%%(?=\s|\[|$)(?P<rest>.*)$|^#{20,}.*$")
_CELL_KIND = re.compile(r"\[(markdown|md|raw)\]")
#: a string literal opening a Markdown cell written as Jupytext's `"""` / `r'''` cell
_STRING_CELL = re.compile(r"""^[rRuU]?(?:\"\"\"|''')""")
#: IPython's line and cell magics and shell escapes, as Jupytext comments them out in a script
MAGIC = re.compile(r"^\s*(?:[\w.]+\s*=\s*)?(?:%%?[A-Za-z]|!)")
#: a comment line that is only a rule: `# -----`, `# =====`, `#####`, `# ─────`
_RULE = re.compile(r"^#+\s*(?:[-=~*#_^+─━═]{3,})?\s*$")
#: an RST nav line such as `` `Learn the Basics <intro.html>`_ || **Tensors** || ... ``
_NAV = re.compile(r"`[^`]+<[^<>`]+>`_+\s*\|\||\|\|\s*`[^`]+<[^<>`]+>`_")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.<>_])\1{2,}\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_SHEBANG_OR_COOKIE = re.compile(r"^#!|^#.*coding[:=]")


@dataclass
class TextBlock:
    """A text block: its comment lines, its text, and the code lines it explains."""

    line: int  # first line of the block (its cell marker, if any)
    end_line: int  # last comment line of the block
    text: str
    code_first: int = 0  # first and last line of the code it explains (0: none)
    code_last: int = 0
    number: int = 0  # display numbers, filled in with the listing
    end_number: int = 0
    after: int = 0  # a `#::` block with placeholders: the line of its last statement (else 0)


@dataclass(frozen=True)
class CellMarker:
    """A cell marker line: its cell type (code, markdown, raw) and its title."""

    kind: str
    title: str


def cell_marker(text: str) -> CellMarker | None:
    """The cell marker on a comment line of TEXT, or None if it is not one."""
    match = _CELL.match(text)
    if match is None:
        return None
    rest = match.group("rest")
    if rest is None:  # a line of `#`
        return CellMarker("code", "")
    kind = _CELL_KIND.search(rest)
    title = _cell_title(rest[: kind.start()] + " " + rest[kind.end() :] if kind else rest)
    return CellMarker({"md": "markdown"}.get(kind.group(1), kind.group(1)) if kind else "code", title)


def has_cell_marker(text: str) -> bool:
    """Does a line of TEXT start a cell (`# %%` or sphinx-gallery's line of `#`)?"""
    return any(_CELL.match(line) for line in text.splitlines())


def _cell_title(text: str) -> str:
    """The title in a cell marker's TEXT (after `%%`, without its cell type), read as Jupytext does:
    everything before the metadata, which is a `{json}` object or `key=value` pairs (`.class`
    words before them are metadata too). Metadata is never shown."""
    text = text.strip()
    brace, equal = text.find("{"), text.find("=")
    if brace >= 0 and (equal < 0 or brace < equal):
        return text[:brace].strip()
    words = (text[:equal] if equal >= 0 else text).split()
    if equal >= 0 and words:
        words.pop()  # the first key
    while words and words[-1].startswith("."):
        words.pop()
    return " ".join(words)


def magic_note(text: str) -> str:
    """What a page says of a listing line holding an IPython magic or shell command ("" if none)."""
    if not MAGIC.match(text):
        return ""
    return "shell command: not run" if "!" in text.split("%", 1)[0] else "IPython magic: not run"


@dataclass(frozen=True)
class Header:
    """A Jupytext YAML header: its first and last line, and the title it gives (or "")."""

    first: int
    last: int
    title: str


def jupytext_header(lines: Sequence[str]) -> Header | None:
    """The `# ---` … `# ---` YAML header at the top of a percent script (after a shebang or
    encoding line), if any. Only its top-level `title:` is read; `jupyter:`/`jupytext:` are Jupyter's."""
    start = 0
    while start < min(len(lines), 2) and _SHEBANG_OR_COOKIE.match(lines[start]):
        start += 1
    if start >= len(lines) or lines[start].rstrip() != "# ---":
        return None
    title = ""
    keys = 0
    for index in range(start + 1, len(lines)):
        text = lines[index].rstrip()
        if text == "# ---":
            return Header(start + 1, index + 1, title) if keys else None
        if not text.startswith("#"):
            return None
        key = re.match(r"^# ([A-Za-z_][\w-]*):(.*)$", text)
        if key:
            keys += 1
            if key.group(1) == "title":
                title = key.group(2).strip().strip("'\"").strip()
    return None


@dataclass(frozen=True)
class CommentLine:
    """A comment on a line of its own: its line, its text (from `#`) and its indentation."""

    line: int
    text: str
    indent: int


@dataclass(frozen=True)
class Statement:
    """A statement's first line, last line and indentation."""

    first: int
    end: int
    indent: int


_RST_SIGNS = re.compile(r":(?:math|ref|class|func|meth|doc|mod|attr):`|^\s*\.\. [\w-]+::|`[^`]+ <[^<>`]+>`_", re.M)


def looks_like_rst(docstring: str | None) -> bool:
    """True if a docstring is written in reStructuredText: roles, directives, RST links or underlined headings."""
    if not docstring:
        return False
    if _RST_SIGNS.search(docstring):
        return True
    lines = docstring.strip("\n").split("\n")
    return any(_heading_at(lines, index, "rst") is not None for index in range(len(lines)))


def detect_source(comments: Sequence[CommentLine], lines: Sequence[str] = ()) -> str:
    """authored if any comment is `#:` prose; percent if a top-level cell marker is a Markdown or
    raw cell, or LINES open with a Jupytext header; gallery if any top-level comment is a cell
    marker; else comments."""
    if any(c.text.startswith("#:") for c in comments):
        return "authored"
    markers = [m for m in (cell_marker(c.text) for c in comments if c.indent == 0) if m is not None]
    if any(m.kind != "code" for m in markers) or jupytext_header(lines) is not None:
        return "percent"
    if markers:
        return "gallery"
    return "comments"


# Statements that make a comment block commented-out code. A lone name (`# Setup`), a
# constant, or an annotation without a value (`# Note: this`) parse too but are words.
_CODE_NODES = (
    ast.Assign,
    ast.AugAssign,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.For,
    ast.While,
    ast.If,
    ast.With,
    ast.Try,
    ast.Return,
    ast.Raise,
    ast.Assert,
    ast.Delete,
    ast.Global,
    ast.Nonlocal,
    ast.Pass,
    ast.Break,
    ast.Continue,
)


def looks_like_code(text: str) -> bool:
    """True if TEXT (a comment block without its `#`) is commented-out code, not prose.

    Stricter than "parses as Python": it must parse, and every statement must be code-like
    (an assignment, a call, an import, a definition, a keyword statement, an annotated
    assignment with a value); `# Setup`, `# loss` or `# TODO: later` stay prose.
    """
    import textwrap

    source = textwrap.dedent(text).strip()
    if not source:
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    if not tree.body:
        return False
    for node in tree.body:
        if isinstance(node, _CODE_NODES):
            continue
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Await, ast.Yield)):
            continue
        return False
    return True


def _strip(text: str) -> str:
    """A comment line's text without `#` and one space."""
    body = text[1:]
    return body[1:] if body.startswith(" ") else body


def text_blocks(
    source: str,
    comments: Sequence[CommentLine],
    statements: Sequence[Statement],
    lines: Sequence[str],
    skip: set[int],
    markup: str = "markdown",
) -> list[TextBlock]:
    """The text blocks of a gallery, percent or comments script, each with the code it explains.

    SKIP: comment lines that are not prose (directives, shebang, encoding cookie, a Jupytext
    header). A percent script's raw cells are left out (see `raw_cells`). STATEMENTS are in file
    order (by first line): each block finds its own by bisection, so the work grows with the file.
    """
    statements = sorted(statements, key=lambda s: s.first)  # already so (a stable no-op), but bisection needs it
    firsts = [s.first for s in statements]
    if source in ("gallery", "percent"):
        if source == "gallery":
            blocks = _gallery_blocks(comments, skip, markup)
        else:
            blocks = _percent_blocks(comments, lines, skip, markup, {s.first: s for s in statements})
        cells = sorted(
            {b.line for b in blocks} | {first for first, _ in raw_cells(comments, lines, skip)} | {len(lines) + 1}
        )
        for block in blocks:
            stop = cells[bisect_right(cells, block.line)]
            cell = statements[bisect_right(firsts, block.end_line) : bisect_right(firsts, stop - 1)]
            _attach(block, [s for s in cell if s.indent == 0])
            # comments in the cell's code (commented-out examples too) are part of it, as in sphinx-gallery
            code = [k for k in range(block.end_line + 1, stop) if lines[k - 1].strip() and k not in skip]
            if code:
                block.code_first = min(block.code_first or code[0], code[0])
                block.code_last = max(block.code_last, code[-1])
        return _introduced(blocks, cells, lines) if source == "percent" else blocks
    blocks = _comment_blocks(comments, skip)
    starts = sorted(b.line for b in blocks) + [len(lines) + 1]
    indents: dict[int, int] = {}
    for c in comments:
        indents.setdefault(c.line, c.indent)
    for block in blocks:
        stop = starts[bisect_right(starts, block.end_line)]
        _attach(block, statements_after(block.end_line, indents.get(block.end_line, 0), statements, lines, stop))
    return blocks


def statements_after(
    end_line: int, indent: int, statements: Sequence[Statement], lines: Sequence[str], stop: int
) -> list[Statement]:
    """The statements a text block ending on END_LINE explains: those after it at its INDENT, up to
    a blank line, a dedent (it never leaves the compound statement it stands in) or line STOP.
    STATEMENTS are in file order (by first line)."""
    chosen: list[Statement] = []
    for i in range(bisect_right(statements, end_line, key=lambda s: s.first), len(statements)):
        s = statements[i]
        if s.first >= stop:
            break
        if chosen and s.first <= chosen[-1].end:
            continue  # nested in a statement already chosen
        if s.indent < indent or (s.indent > indent and not chosen):
            break  # a dedent leaves the compound statement the text stands in
        previous = chosen[-1].end if chosen else end_line
        if any(not lines[k - 1].strip() for k in range(previous + 1, s.first)):
            break  # a blank line ends the block
        chosen.append(s)
    return chosen


def _attach(block: TextBlock, statements: Sequence[Statement]) -> None:
    if statements:
        block.code_first = statements[0].first
        block.code_last = max(s.end for s in statements)


def _gallery_blocks(comments: Sequence[CommentLine], skip: set[int], markup: str) -> list[TextBlock]:
    """sphinx-gallery's cells: a marker line, then the consecutive top-level comment lines after it."""
    top = {c.line: c for c in comments if c.indent == 0 and c.line not in skip}
    blocks: list[TextBlock] = []
    for line in sorted(top):
        marker = cell_marker(top[line].text)
        if marker is None:
            continue
        if blocks and blocks[-1].line < line <= blocks[-1].end_line:
            continue
        end = line
        body: list[str] = []
        while end + 1 in top and not _CELL.match(top[end + 1].text):
            end += 1
            body.append(_strip(top[end].text))
        # a cell holding only a rule (an RST transition such as `# ------`) has no text
        rules = all(not text.strip() or _RST_UNDERLINE.match(text.strip()) for text in body)
        blocks.append(TextBlock(line, end, _titled(marker.title, "" if rules else "\n".join(body).strip("\n"), markup)))
    return blocks


def _percent_blocks(
    comments: Sequence[CommentLine], lines: Sequence[str], skip: set[int], markup: str, starts: dict[int, Statement]
) -> list[TextBlock]:
    """Jupytext's percent cells: a Markdown cell's text is its comment lines up to the next cell,
    or the string literal it holds (`\"\"\"…\"\"\"`); a code cell is a text block of its title
    alone (or none); raw cells are left out. STARTS: the statements by their first line."""
    blocks: list[TextBlock] = []
    for c in comments:
        marker = cell_marker(c.text) if c.indent == 0 and c.line not in skip else None
        if marker is None or marker.kind == "raw":
            continue
        end = c.line
        if marker.kind == "markdown":
            end = cell_text_end(c.line, lines)
            string = string_cell(c.line, lines, starts) if end == c.line else None
            if string is not None:
                blocks.append(TextBlock(c.line, string[0], _titled(marker.title, string[1], markup)))
                continue
        body = "\n".join(_strip(lines[k - 1].rstrip()) for k in range(c.line + 1, end + 1)).strip("\n")
        blocks.append(TextBlock(c.line, end, _titled(marker.title, body, markup)))
    return blocks


def string_cell(line: int, lines: Sequence[str], starts: dict[int, Statement]) -> tuple[int, str] | None:
    """(last line, text) of the string literal a Markdown cell marker on LINE holds, as Jupytext
    writes a Markdown cell with `\"\"\"` or `r'''`; None when the cell's first line is not one."""
    k = line + 1
    while k <= len(lines) and not lines[k - 1].strip():
        k += 1
    statement = starts.get(k)
    if statement is None or statement.indent or not _STRING_CELL.match(lines[k - 1]):
        return None
    try:
        value = ast.literal_eval("\n".join(lines[k - 1 : statement.end]))
    except (SyntaxError, ValueError):
        return None
    if not isinstance(value, str):
        return None
    import textwrap

    return statement.end, textwrap.dedent(value).strip("\n")


def _introduced(blocks: list[TextBlock], cells: Sequence[int], lines: Sequence[str]) -> list[TextBlock]:
    """A Markdown cell with no code of its own introduces the untitled code cell right after it:
    one block, the Markdown's text over that cell's code, as a gallery text block explains its code."""
    out: list[TextBlock] = []
    for block in blocks:
        prev = out[-1] if out else None
        marker = cell_marker(lines[block.line - 1])
        if (
            prev is not None
            and marker is not None
            and (marker.kind, marker.title) == ("code", "")
            and block.code_first
            and not prev.code_first
            and (cell_marker(lines[prev.line - 1]) or CellMarker("", "")).kind == "markdown"
            and cells[bisect_right(cells, prev.line)] == block.line
        ):
            prev.code_first, prev.code_last = block.code_first, block.code_last
            continue
        out.append(block)
    return out


def cell_text_end(line: int, lines: Sequence[str]) -> int:
    """The last line of the comment text of the cell whose marker is on LINE: its top-level
    comment lines, blank lines between them included, up to the next cell or code line."""
    end = line
    for k in range(line + 1, len(lines) + 1):
        text = lines[k - 1].rstrip()
        if _CELL.match(text) or (text and not text.startswith("#")):
            break
        if text:
            end = k
    return end


def raw_cells(comments: Sequence[CommentLine], lines: Sequence[str], skip: set[int]) -> list[tuple[int, int]]:
    """(first, last line) of each raw cell of a percent script: not Python and not prose."""
    return [
        (c.line, cell_text_end(c.line, lines))
        for c in comments
        if c.indent == 0 and c.line not in skip and (cell_marker(c.text) or CellMarker("", "")).kind == "raw"
    ]


def _titled(title: str, text: str, markup: str) -> str:
    """TEXT under the cell title TITLE as a heading, in MARKUP."""
    if not title:
        return text
    heading = f"{title}\n{'-' * len(title)}" if markup == "rst" else f"# {title}"
    return f"{heading}\n\n{text}" if text else heading


def _comment_blocks(comments: Sequence[CommentLine], skip: set[int]) -> list[TextBlock]:
    """Runs of consecutive comment lines with one indentation that read as prose."""
    runs: list[list[CommentLine]] = []
    for c in comments:
        if c.line in skip or c.text.startswith("#:"):
            continue
        if runs and runs[-1][-1].line == c.line - 1 and runs[-1][-1].indent == c.indent:
            runs[-1].append(c)
        else:
            runs.append([c])
    blocks: list[TextBlock] = []
    for run in runs:
        if looks_like_code(_joined(run)):
            continue
        # words, then commented-out code (`# Zero the gradients` over `#a.grad = None`): the
        # words are the text block, the code stays code
        cut = next((k for k in range(1, len(run)) if looks_like_code(_joined(run[k:]))), len(run))
        blocks.append(TextBlock(run[0].line, run[cut - 1].line, _joined(run[:cut])))
    return blocks


def _joined(run: Sequence[CommentLine]) -> str:
    """The text of a run of comment lines, without their `#` and without rule lines."""
    return "\n".join(_strip(c.text) for c in run if not _RULE.match(c.text)).strip("\n")


def title_and_intro(docstring: str | None, stem: str, markup: str) -> tuple[str, str]:
    """Title: the docstring's first heading (Markdown `#` or RST underline), else its first line
    (an RST nav line is skipped), else the humanised file name. Intro: the rest of the docstring."""
    fallback = title_from_name(stem)
    if not docstring or not docstring.strip():
        return fallback, ""
    paragraphs = re.split(r"\n\s*\n", docstring.strip("\n"))
    kept = [p for p in paragraphs if not (_NAV.search(p) or ("||" in p and re.search(r"<[^<>`]+>`_", p)))]
    lines = "\n\n".join(kept).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    for index in range(len(lines)):
        heading = _heading_at(lines, index, markup)
        if heading is not None:
            title, used = heading
            rest = lines[:index] + lines[index + used :]
            return _plain_title(title) or fallback, "\n".join(rest).strip("\n")
    if not lines:
        return fallback, ""
    return _plain_title(lines[0].strip()) or fallback, "\n".join(lines[1:]).strip("\n")


def _heading_at(lines: list[str], index: int, markup: str) -> tuple[str, int] | None:
    """(heading text, lines it takes) if a heading starts at LINES[index]."""
    line = lines[index]
    if markup != "rst":
        match = _MD_HEADING.match(line)
        if match:
            return match.group(1), 1
    text = line.strip()
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if (
        text
        and not _RST_UNDERLINE.match(line)
        and _RST_UNDERLINE.match(following)
        and len(following.strip()) >= len(text)
    ):
        return text, 2
    if _RST_UNDERLINE.match(line) and index + 2 < len(lines) and _RST_UNDERLINE.match(lines[index + 2]):
        return lines[index + 1].strip(), 3
    return None


def _plain_title(title: str) -> str:
    """A title without inline markup characters (``literals``, *emphasis*)."""
    return re.sub(r"`{1,2}([^`]+)`{1,2}_?|\*{1,2}([^*]+)\*{1,2}", lambda m: m.group(1) or m.group(2), title).strip()


def title_from_name(name: str) -> str:
    """The title of a file or folder named NAME (without its suffix): `02-first_gradient` → `First
    gradient`, `GPU_basics` → `GPU basics`. A leading ordering number goes, `_` and `-` are spaces,
    the first letter is a capital and every other letter keeps its case."""
    words = re.sub(r"[_\-\s]+", " ", re.sub(r"^\d+[-_. ]+", "", name)).strip()
    return words[:1].upper() + words[1:] if words else name


# ── plain comments, as typed ─────────────────────────────────────────────────

#: a break after a line shorter than this was typed on purpose (prose wraps much wider)
_SHORT_LINE = 40
_TYPED_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
#: lines that start a Markdown block of their own: headings, list items, quotes, table rows
_BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}(?:\s|$)|[-*+]\s|\d{1,9}[.)]\s|>|\|)")
#: spans whose characters Markdown keeps: code spans, `$…$` math, autolinks, bare URLs, link targets
_KEPT = re.compile(
    r"(`+).*?(?<!`)\1(?!`)|\$\$.*?\$\$|\$[^\s$](?:[^$]*?[^\s$])?\$|<[a-z][\w+.-]*:[^\s<>]*>|https?://\S+|\]\([^()\s]*\)",
    re.I,
)
#: `*word*` or `**some words**` standing between spaces or punctuation: emphasis as plain text writes it
_EMPHASIS = re.compile(r"(?<![\w*\\])(\*{1,2})(?=[^\s*])([^*]*?[^\s*])\1(?![\w*])")
_FORMULA_SIGNS = frozenset("0123456789+-*/^=<>()[]{}|%")
_WORD = re.compile(r"[A-Za-z]{2,}")


def formula_like(line: str) -> bool:
    """True if LINE reads as a formula or a value rather than a sentence: it has `=` and few words,
    or at least a quarter of its characters are digits, operators or brackets."""
    signs = [ch for ch in line if not ch.isspace()]
    if not signs:
        return False
    if "=" in line and len(_WORD.findall(line)) < 6:
        return True
    return sum(ch in _FORMULA_SIGNS for ch in signs) * 4 >= len(signs)


def as_typed(text: str) -> str:
    """Markdown that shows a plain comment block as its author typed it (docs/authoring.md).

    `_` is always a character, `*` only emphasis around words (`*this*`, `**this**`, never in a
    formula-like line); a line keeps its break unless it was wrapped: at least 40 characters long,
    neither it nor the next line formula-like, and the next line's first word would not have fit
    on it within the block's longest line. Code spans, math, links and fenced code are untouched.
    """
    lines = text.split("\n")
    fenced: set[int] = set()
    fence = ""
    for index, line in enumerate(lines):
        match = _TYPED_FENCE.match(line)
        if fence or match:
            fenced.add(index)
        if match and not fence:
            fence = match.group(1)
        elif match and fence and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            fence = ""
    width = max((len(line.rstrip()) for line in lines), default=0)
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in fenced:
            out.append(line)
            continue
        shown = _escape_typed(line.rstrip())
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            index + 1 not in fenced
            and line.strip()
            and following.strip()
            and not _BLOCK_START.match(following)
            and not _MD_HEADING.match(line)
        ):
            if line.lstrip()[:1] != "|" and not _wrapped(line.rstrip(), following.strip(), width):
                shown += "  "  # a hard break: the author ended the line here
        out.append(shown)
    return "\n".join(out)


def _wrapped(line: str, following: str, width: int) -> bool:
    """True if LINE was cut only because FOLLOWING's first word would not fit on it."""
    if len(line.strip()) < _SHORT_LINE or formula_like(line) or formula_like(following):
        return False
    return len(line) + 1 + len(following.split()[0]) > width


def _escape_typed(line: str) -> str:
    """LINE with `_` and every `*` that is not word emphasis escaped, outside kept spans."""
    parts: list[str] = []
    at = 0
    bullet = re.match(r"\s{0,3}\*\s", line)
    if bullet:  # a `* item` bullet keeps its star
        parts.append(line[: bullet.end()])
        at = bullet.end()
    formula = formula_like(line)
    for match in _KEPT.finditer(line, at):
        parts.append(_escape_plain(line[at : match.start()], formula))
        parts.append(match.group(0))
        at = match.end()
    parts.append(_escape_plain(line[at:], formula))
    return "".join(parts)


def _escape_plain(text: str, formula: bool) -> str:
    text = text.replace("_", "\\_")
    if formula:
        return text.replace("*", "\\*")
    pieces: list[str] = []
    at = 0
    for match in _EMPHASIS.finditer(text):
        pieces.append(text[at : match.start()].replace("*", "\\*"))
        pieces.append(match.group(0))
        at = match.end()
    pieces.append(text[at:].replace("*", "\\*"))
    return "".join(pieces)
