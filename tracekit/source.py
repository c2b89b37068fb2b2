"""Read an example script into its authored model: title, intro, prose, notes, directives, listing."""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .child.placeholders import Placeholder, PlaceholderError, split_markdown_prose, split_prose
from .directives import DIRECTIVE_RE, split_words, vary_values
from .options import OPTIONS
from .prose import (
    MAGIC,
    MARKUPS,
    SOURCES,
    CommentLine,
    Statement,
    TextBlock,
    cell_marker,
    detect_source,
    has_cell_marker,
    jupytext_header,
    looks_like_rst,
    raw_cells,
    statements_after,
    text_blocks,
    title_and_intro,
    title_from_name,
)

__all__ = [
    "AuthoringError",
    "Example",
    "Item",
    "ListingLine",
    "Note",
    "Placeholder",
    "FILE_KEYS",
    "STATEMENT_KEYS",
    "read_example",
    "split_prose",
]

STATEMENT_KEYS = frozenset({"hide", "raises", "rows", "cols", "image", "graph", "vary"})
#: the run options a file may set (tracekit.options.OPTIONS), and how its prose is read
FILE_KEYS = frozenset({name for name, option in OPTIONS.items() if option.header} | {"prose", "markup"})

# `# tracekit: …` anywhere in a trailing comment; at the start for a comment line of its own.
_DIRECTIVE_RE = DIRECTIVE_RE
_DOTTED_NAME_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
# PEP 263: the cookie Python honours on line 1 or 2.
_COOKIE_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_NOTE_MARKERS = (("📚", "api"), ("api:", "api"), ("→", "derived"), ("->", "derived"))


class AuthoringError(Exception):
    """A problem in an example's authoring comments, with the file and line it is on."""

    def __init__(self, path: str, line: int, message: str, column: int | None = None) -> None:
        where = f"{path}:{line}" if column is None else f"{path}:{line}:{column}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message

    def __reduce__(self) -> tuple[type, tuple[str, int, str, int | None]]:
        """Pickle by fields, so the error survives a trip through a worker process."""
        return (type(self), (self.path, self.line, self.message, self.column))


@dataclass
class Note:
    """An authored execution-state entry: `📚 name = text` (api) or `→ name = text` (derived)."""

    icon: str
    name: str
    text: str


@dataclass
class ListingLine:
    """One line of the listing as shown: display number, original line number, text."""

    number: int
    line: int
    text: str


@dataclass
class Item:
    """A statement or a plain comment line, with what the author wrote about it."""

    kind: str  # "code" | "comment"
    line: int
    end_line: int
    number: int
    end_number: int
    code: str
    prose: str = ""
    notes: list[Note] = field(default_factory=list)
    hide: bool = False
    raises: str | None = None
    rows: list[str] | None = None
    cols: list[str] | None = None
    image: bool = False
    graph: bool = False  # show the autograd graph of what the statement binds or returns
    vary: list[str] | None = None  # the literals the example also runs with (tracekit.variants)


@dataclass
class Example:
    """Everything the author wrote in one example file."""

    path: str
    title: str
    intro: str
    options: dict[str, Any]
    listing: list[ListingLine]
    items: list[Item]
    probes: dict[int, list[str]] = field(default_factory=dict)
    hidden: list[tuple[int, int]] = field(default_factory=list)  # original spans of hidden statements
    prose_source: str = "authored"  # authored | gallery | comments (tracekit.prose)
    markup: str = "markdown"  # markdown | rst: how intro and text blocks are written
    texts: list[TextBlock] = field(default_factory=list)  # text blocks of gallery and comments scripts
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, what was left out and why) for the build

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Example:
        """The Example a page JSON's ``authored`` part was written from."""
        items = [Item(**{**it, "notes": [Note(**n) for n in it.get("notes") or []]}) for it in d.get("items") or []]
        return cls(
            path=d["path"],
            title=d["title"],
            intro=d.get("intro") or "",
            options=dict(d.get("options") or {}),
            listing=[ListingLine(**ll) for ll in d.get("listing") or []],
            items=items,
            probes={int(k): list(v) for k, v in (d.get("probes") or {}).items()},
            hidden=[(int(a), int(b)) for a, b in d.get("hidden") or []],
            prose_source=d.get("prose_source") or "authored",
            markup=d.get("markup") or "markdown",
            texts=[TextBlock(**t) for t in d.get("texts") or []],
            warnings=[(int(line), str(text)) for line, text in d.get("warnings") or []],
        )


# ── reading and checking the file ────────────────────────────────────────────


def _decode(display: str, data: bytes) -> str:
    """Decode source bytes exactly as Python would (BOM, PEP 263 cookie, default UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise AuthoringError(display, error.lineno or 1, f"bad encoding declaration: {error.msg}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise AuthoringError(display, line, f"cannot decode as {encoding}: {error.reason}") from None


def _syntax_error(display: str, error: SyntaxError, lines: list[str]) -> AuthoringError:
    """Turn a SyntaxError into an AuthoringError whose message shows the line and a caret."""
    line = error.lineno or 1
    column = error.offset or 1
    text = lines[line - 1] if 0 < line <= len(lines) else (error.text or "").rstrip("\r\n")
    # Keep tabs in the caret's padding so the caret lines up however tabs are shown.
    pad = "".join(ch if ch == "\t" else " " for ch in text[: max(column - 1, 0)])
    kind = type(error).__name__
    message = f"{kind}: {error.msg} (line {line}, column {column})\n    {text}\n    {pad}^"
    return AuthoringError(display, line, message, column)


def _relative(path: Path, root: Path | None) -> str:
    """The example's path as pages name it: relative to root, POSIX."""
    if root is None:
        return path.as_posix()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


# ── the statement skeleton (libcst) ──────────────────────────────────────────


@dataclass
class _Unit:
    """A statement, or a clause header (else/elif/except/finally/case), as one listing item."""

    first: int  # first line (decorators included)
    header_end: int  # last line of the item (the colon line for compound statements)
    end: int  # last line of the whole statement, body included
    clause: bool = False
    docstring: bool = False
    text: bool = False  # a Markdown cell's string literal: prose, never an item


@dataclass
class _Comment:
    """A `#` comment: its line, its text, and whether it is a line of its own at statement level."""

    line: int
    text: str
    standalone: bool


class _Skeleton:
    """Statements, clause headers and comments of a module, with original line numbers."""

    def __init__(self, module: cst.Module) -> None:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._pos = wrapper.resolve(PositionProvider)
        self.units: list[_Unit] = []
        self._standalone: set[int] = set()
        self._lines(module.header)
        for statement in module.body:
            self._statement(statement)
        self._lines(module.footer)
        self.comments = self._all_comments(module)

    def _range(self, node: cst.CSTNode) -> CodeRange:
        """NODE's position in the file (1-based lines)."""
        return self._pos[node]

    def _lines(self, lines: Any) -> None:
        """Mark the comments of statement-level empty lines as standalone."""
        for empty in lines:
            if empty.comment is not None:
                self._standalone.add(id(empty.comment))

    def _statement(self, node: cst.CSTNode, clause: bool = False) -> None:
        """Record NODE (a statement or clause) and everything nested in its body."""
        self._lines(getattr(node, "leading_lines", ()))
        span = self._range(node)
        first = span.start.line
        for decorator in getattr(node, "decorators", ()):
            first = min(first, self._range(decorator).start.line)
        if isinstance(node, cst.SimpleStatementLine):
            self.units.append(_Unit(first, span.end.line, span.end.line, clause))
            return
        body = getattr(node, "body", None)
        if isinstance(node, cst.Match):
            header = node.whitespace_after_colon
        elif isinstance(body, cst.IndentedBlock):
            header = body.header
        elif isinstance(body, cst.SimpleStatementSuite):
            header = body.trailing_whitespace
        else:  # pragma: no cover - every compound statement has one of the above
            raise TypeError(f"unexpected statement {type(node).__name__}")
        self.units.append(_Unit(first, self._range(header).start.line, span.end.line, clause))
        if isinstance(body, cst.IndentedBlock):
            for statement in body.body:
                self._statement(statement)
            self._lines(body.footer)
        if isinstance(node, cst.Match):
            for case in node.cases:
                self._statement(case, clause=True)
            self._lines(node.footer)
        for handler in getattr(node, "handlers", ()):
            self._statement(handler, clause=True)
        for name in ("orelse", "finalbody"):
            child = getattr(node, name, None)
            if child is not None:
                self._statement(child, clause=True)

    def _all_comments(self, module: cst.Module) -> list[_Comment]:
        """Every comment in the file, in order, marked standalone or not."""
        found: list[_Comment] = []
        standalone, pos = self._standalone, self._pos

        class Visitor(cst.CSTVisitor):
            def visit_Comment(self, node: cst.Comment) -> None:
                """Record one comment."""
                found.append(_Comment(pos[node].start.line, node.value.rstrip(), id(node) in standalone))

        module.visit(Visitor())
        found.sort(key=lambda comment: comment.line)
        return found


# ── directives and prose ─────────────────────────────────────────────────────


def _parse_directive(display: str, line: int, text: str) -> dict[str, Any]:
    """Parse `# tracekit: KEY[=VALUE] …` into typed values; raise AuthoringError on anything off."""
    match = _DIRECTIVE_RE.match(text)
    assert match is not None
    body = text[match.end() :].strip()
    if not body:
        raise AuthoringError(display, line, "empty directive: expected '# tracekit: KEY[=VALUE] ...'")
    try:
        words = split_words(body)
    except ValueError as error:
        raise AuthoringError(display, line, f"malformed directive {body!r}: {error}") from None
    known = STATEMENT_KEYS | FILE_KEYS
    for index, word in enumerate(words):
        following = words[index + 1].partition("=")[0] if index + 1 < len(words) else None
        if word.startswith("=") or (word.endswith("=") and following is not None and following not in known):
            message = f"malformed directive {body!r}: write KEY=VALUE with no spaces around '='"
            raise AuthoringError(display, line, message)
    values: dict[str, Any] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if key not in known:
            message = f"unknown directive key {key!r} (known: {', '.join(sorted(known))})"
            raise AuthoringError(display, line, message)
        if key in values:
            raise AuthoringError(display, line, f"directive key {key!r} given twice")
        values[key] = _directive_value(display, line, key, value.strip() if eq else None)
    return values


def _directive_value(display: str, line: int, key: str, value: str | None) -> Any:
    """The typed value of one directive key."""

    def bad(expected: str) -> AuthoringError:
        """The error for a value that is not what KEY expects."""
        shown = "no value" if value is None else f"{value!r}"
        return AuthoringError(display, line, f"bad value for {key}: {shown}; expected {expected}")

    if key in ("prose", "markup"):
        choices = SOURCES if key == "prose" else MARKUPS
        if value not in choices:
            raise bad(" or ".join(choices))
        return value
    if key in ("hide", "image", "graph"):
        if value is not None:
            raise bad("no value")
        return True
    if key == "vary":
        try:
            return vary_values(value or "")
        except ValueError as error:
            raise bad(f"Python literals, e.g. vary=0.01,0.1,0.9 ({error})") from None
    if key == "raises":
        if value is None:
            return "BaseException"  # any exception
        if not _DOTTED_NAME_RE.fullmatch(value):
            raise bad("an exception class name, e.g. raises=RuntimeError")
        return value
    if key in ("rows", "cols"):
        if not value:
            raise bad('labels, e.g. cols=a,b,c or cols="a b c"')
        labels = [label.strip() for label in (value.split(",") if "," in value else value.split())]
        if not all(labels):
            raise bad("labels without empty entries")
        return labels
    option = OPTIONS[key]  # a run option a file may set
    if value is None or value == "":
        raise bad(option.header_missing or option.header_expected)
    try:
        return option.parse(value)
    except ValueError:
        raise bad(option.header_expected) from None


def _prose_text(comment: str) -> str:
    """The Markdown of one `#:` (or `#::`) line: drop the marker and one space."""
    text = comment[3:] if comment.startswith("#::") else comment[2:]
    return text[1:] if text.startswith(" ") else text


def _note(content: str) -> tuple[str, str, str] | None:
    """If CONTENT starts with a note marker, return (marker, icon, rest)."""
    for marker, icon in _NOTE_MARKERS:
        if not content.startswith(marker):
            continue
        rest = content[len(marker) :]
        # The symbol markers need no space after them; the ASCII ones do, so ordinary prose
        # starting with, say, "api:v2" stays prose.
        if marker in ("📚", "→") or rest[:1] in (" ", "\t"):
            return marker, icon, rest.strip()
    return None


# ── the reader ───────────────────────────────────────────────────────────────


@dataclass
class _Pending:
    """Authoring comments seen since the last item, waiting for the item below them."""

    prose: list[tuple[int, str]] = field(default_factory=list)
    directives: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    block: list[tuple[int, str]] = field(default_factory=list)  # `#::` lines


@dataclass
class _BlockProse:
    """`#::` lines: block prose explaining the statements below them (see _Reader._blocks)."""

    lines: list[tuple[int, str]]
    indent: int
    statement: int  # the first line of the statement right below


class _Reader:
    """Walk comments and statements in line order, building items, listing and probes."""

    def __init__(
        self, display: str, stem: str, text: str, tree: ast.Module, module: cst.Module, source: str | None = None
    ) -> None:
        self.display = display
        self.lines = _NEWLINE_RE.split(text)
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.stem = stem
        self.tree = tree
        self.skeleton = _Skeleton(module)
        self.options: dict[str, Any] = {}
        self.option_lines: dict[str, int] = {}
        self.removed: set[int] = set()
        self.shown: dict[int, str] = {}  # line → display text with trailing directives removed
        self.items: list[Item] = []
        self.probes: dict[int, list[str]] = {}
        self.hidden: list[tuple[int, int]] = []
        self.waiting_probes: list[tuple[int, list[str]]] = []  # comment line, placeholders
        self.source = "authored"
        self.known_source = source  # a notebook's script is percent cells, whatever its comments say
        self.markup = "markdown"
        self.texts: list[TextBlock] = []
        self.text_lines: set[int] = set()
        self.bound: set[str] | None = None  # names the module binds anywhere, and the builtins
        self.block_prose: list[_BlockProse] = []
        self.warnings: list[tuple[int, str]] = []
        self.header = jupytext_header(self.lines)
        self.docstring = True  # the module has a docstring (set by _docstring)
        self.folder: Path | None = None  # the file's folder, where its Markdown's pictures are

    def error(self, line: int, message: str) -> AuthoringError:
        """An AuthoringError for LINE of this file."""
        return AuthoringError(self.display, line, message)

    def read(self) -> Example:
        """Build the Example, or raise the first AuthoringError found."""
        self._prose_source()
        title, intro = self._docstring()
        if self.source != "authored":
            self._text_blocks()
        if self.source == "percent":
            self._missing_pictures()
            title, intro = self._percent_title(title, intro)
        trailing = self._trailing_directives()
        events: list[tuple[int, int, Any]] = [(c.line, 0, c) for c in self.skeleton.comments if c.standalone]
        events += [(u.first, 1, u) for u in self.skeleton.units]
        events.sort(key=lambda event: (event[0], event[1]))
        pending = _Pending()
        hidden_until = 0
        for line, _, event in events:
            if isinstance(event, _Comment):
                self._comment_line(event, pending, hidden_until)
            elif line <= hidden_until:
                # A statement inside a hidden one: its directives still count for file options.
                for directive_line, values in trailing.get(line, []):
                    self._file_options(directive_line, values)
                pending.directives = []
            else:
                hidden_until = max(hidden_until, self._unit(event, pending, trailing.get(line, [])))
        if pending.directives:
            line = pending.directives[0][0]
            raise self.error(line, "statement directive with no statement below it")
        if pending.prose:
            raise self.error(pending.prose[0][0], "'#:' prose with no statement or comment below it")
        if pending.block:
            raise self.error(pending.block[0][0], "'#::' block with no statement below it")
        self._blocks()
        if self.waiting_probes:
            # Comments after the last statement: everything has run by then, so their
            # placeholders are evaluated after the last statement instead.
            code = [item for item in self.items if item.kind == "code"]
            if not code:
                line, found = self.waiting_probes[0]
                message = f"placeholder {{{found[0]}}} in prose, but no statement to evaluate it after"
                raise self.error(line, message)
            for _, found in self.waiting_probes:
                self._probe(code[-1].line, found)
        listing = self._listing()
        example = Example(self.display, title, intro, self.options, listing, self.items, self.probes, self.hidden)
        example.prose_source, example.markup, example.texts = self.source, self.markup, self.texts
        example.warnings = self.warnings
        return example

    # ─ docstring ─

    def _docstring(self) -> tuple[str, str]:
        """Title and intro from the module docstring; mark its lines as not shown."""
        docstring = ast.get_docstring(self.tree, clean=True)
        if docstring is None or self._string_cell_first():
            self.docstring = False
            return title_from_name(self.stem), ""
        node = self.tree.body[0]
        end = node.end_lineno or node.lineno
        if len(self.tree.body) > 1 and self.tree.body[1].lineno <= end:
            raise self.error(end, "put the module docstring on lines of its own")
        for unit in self.skeleton.units:
            if unit.first == node.lineno:
                unit.docstring = True
        if self.source == "gallery" or (self.source == "comments" and self.markup == "rst"):
            # sphinx-gallery leaves out what comes before the docstring (a license header, an
            # encoding line): it is neither shown nor a text block
            self.removed.update(range(1, node.lineno))
        return title_and_intro(docstring, self.stem, self.markup)

    def _string_cell_first(self) -> bool:
        """True if the module's first statement is a percent script's Markdown cell written as a string."""
        if self.source != "percent":
            return False
        k = self.tree.body[0].lineno - 1
        while k > 0 and not self.lines[k - 1].strip():
            k -= 1
        marker = cell_marker(self.lines[k - 1]) if k > 0 else None
        return marker is not None and marker.kind == "markdown"

    # ─ where the prose comes from ─

    def _prose_source(self) -> None:
        """Decide authored / gallery / comments and the markup, from directives or the comments."""
        forced: dict[str, Any] = {}
        for comment in self.skeleton.comments:
            if comment.standalone and _DIRECTIVE_RE.match(comment.text):
                values = _parse_directive(self.display, comment.line, comment.text)
                forced.update({k: v for k, v in values.items() if k in ("prose", "markup")})
        comments = self._comment_lines()
        self.source = self.known_source or forced.get("prose") or detect_source(comments, self.lines)
        # sphinx-gallery's own scripts without cells (a docstring and comments) are RST too
        rst = self.source == "gallery" or (self.source == "comments" and looks_like_rst(ast.get_docstring(self.tree)))
        self.markup = forced.get("markup") or ("rst" if rst else "markdown")

    def _comment_lines(self) -> list[CommentLine]:
        """Comments on lines of their own, with their indentation."""
        out = []
        for comment in self.skeleton.comments:
            if comment.standalone:
                raw = self.lines[comment.line - 1]
                out.append(CommentLine(comment.line, comment.text, len(raw) - len(raw.lstrip())))
        return out

    def _text_blocks(self) -> None:
        """Find the text blocks of a gallery or comments script; their lines make no items."""
        skip = set()
        for comment in self.skeleton.comments:
            text, line = comment.text, comment.line
            if (
                _DIRECTIVE_RE.match(text)
                or (line == 1 and text.startswith("#!"))
                or (line <= 2 and _COOKIE_RE.match(text))
            ):
                skip.add(line)
        skip.update(self.removed)  # what comes before a gallery script's docstring
        if self.source == "percent" and self.header is not None:
            # Jupytext's YAML header is metadata (its title is read by _percent_title), never shown
            header = range(self.header.first, self.header.last + 1)
            skip.update(header)
            self.removed.update(header)
        statements = []
        for unit in self.skeleton.units:
            if unit.docstring or unit.clause:
                continue
            raw = self.lines[unit.first - 1]
            statements.append(Statement(unit.first, unit.end, len(raw) - len(raw.lstrip())))
        comments = self._comment_lines()
        self.texts = text_blocks(self.source, comments, statements, self.lines, skip, self.markup)
        for block in self.texts:
            self.text_lines.update(range(block.line, block.end_line + 1))
        for unit in self.skeleton.units:
            unit.text = unit.first in self.text_lines  # a Markdown cell's string is its text
        if self.source != "percent":
            return
        for first, last in raw_cells(comments, self.lines, skip):
            self.removed.update(range(first, last + 1))
            self.warnings.append((first, f"raw cell (lines {first}-{last}) left out: it is neither Python nor prose"))
        for c in comments:
            body = c.text[1:].lstrip(" ")
            if c.line not in self.text_lines and c.line not in skip and MAGIC.match(body):
                # Jupytext comments magics out; the page shows them as written, marked not run
                self.shown[c.line] = " " * c.indent + body

    def _missing_pictures(self) -> None:
        """A build warning for each picture a Markdown cell shows (`![…](path)`, `<img src>`)
        from a relative path that names no file beside the example."""
        if self.folder is None:
            return
        for block in self.texts:
            for line in range(block.line, block.end_line + 1):
                for target in _PICTURE_RE.findall(self.lines[line - 1]):
                    path = unquote(re.split(r"[?#]", target[0] or target[1], maxsplit=1)[0])
                    if not path or re.match(r"[A-Za-z][\w+.-]*:|/|\\", path):
                        continue  # a link elsewhere (https:, data:, an absolute path): not a file here
                    if not (self.folder / path).is_file():
                        self.warnings.append((line, f"picture {path!r} not found beside the example"))

    def _percent_title(self, title: str, intro: str) -> tuple[str, str]:
        """A percent script's title: the Jupytext header's `title`, else (without a docstring) the
        `# Heading` opening its first Markdown cell, when that cell comes before any code."""
        if self.header is not None and self.header.title:
            if title != self.header.title and self.docstring:
                intro = f"{title}\n\n{intro}".strip("\n")  # the docstring's first line is text then
            return self.header.title, intro
        if self.docstring or not self.texts:
            return title, intro
        first = self.texts[0]
        code = [u.first for u in self.skeleton.units if not (u.docstring or u.text)]
        heading = re.match(r"#\s+(.+?)\s*#*\s*(?:\n|$)", first.text)
        if heading is None or (code and code[0] < first.line):
            return title, intro
        self.texts.pop(0)
        self.removed.update(range(first.line, first.end_line + 1))  # it is the title and intro, as a docstring is
        rest = first.text[heading.end() :].strip("\n")
        if first.code_first:  # the cell also explains code: keep it as a block without its heading
            self.texts.insert(0, TextBlock(first.line, first.end_line, rest, first.code_first, first.code_last))
            rest = ""
        return heading.group(1), rest

    # ─ comments inside statements ─

    def _trailing_directives(self) -> dict[int, list[tuple[int, dict[str, Any]]]]:
        """Directives in comments inside statements, keyed by the statement's first line."""
        owner: dict[int, _Unit] = {}
        for unit in self.skeleton.units:
            for line in range(unit.first, unit.header_end + 1):
                owner[line] = unit
        found: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for comment in self.skeleton.comments:
            if comment.standalone:
                continue
            line, text = comment.line, comment.text
            own_line = self.lines[line - 1].strip() == text.strip()
            if text.startswith("#:"):
                raise self.error(line, "'#:' prose must be on its own line(s) directly above a statement")
            match = _DIRECTIVE_RE.search(text)
            if match is None:
                continue
            if own_line:
                message = "directive inside a statement; put it on the statement's first line or above it"
                raise self.error(line, message)
            holder = owner.get(line)
            if holder is None:  # pragma: no cover - every non-standalone comment sits in a statement
                raise self.error(line, "directive not attached to a statement")
            values = _parse_directive(self.display, line, text[match.start() :])
            found.setdefault(holder.first, []).append((line, values))
            kept = text[: match.start()].rstrip()
            source = self.lines[line - 1].rstrip()
            shown = source[: len(source) - len(text)] + kept
            self.shown[line] = shown.rstrip()
        return found

    # ─ statement-level comment lines ─

    def _comment_line(self, comment: _Comment, pending: _Pending, hidden_until: int) -> None:
        """Handle a comment on a line of its own: prose, directive, or a plain comment item."""
        line, text = comment.line, comment.text
        if text.startswith("#::"):
            if line <= hidden_until:
                raise self.error(line, "'#::' block inside a hidden statement is never shown")
            if pending.prose:
                raise self.error(
                    line, f"'#::' block directly below '#:' prose (line {pending.prose[0][0]}); separate them"
                )
            if pending.block and pending.block[-1][0] != line - 1:
                raise self.error(pending.block[0][0], "'#::' block with no statement below it")
            pending.block.append((line, _prose_text(text)))
            self.removed.add(line)
            return
        if text.startswith("#:"):
            if line <= hidden_until:
                raise self.error(line, "'#:' prose inside a hidden statement is never shown")
            if pending.block:
                message = "'#:' prose directly below a '#::' block: the block would explain no statement"
                raise self.error(pending.block[0][0], message)
            pending.prose.append((line, _prose_text(text)))
            self.removed.add(line)
            return
        if _DIRECTIVE_RE.match(text):
            self.removed.add(line)
            values = _parse_directive(self.display, line, text)
            self._file_options(line, values)
            statement = {k: v for k, v in values.items() if k in STATEMENT_KEYS}
            if statement and line > hidden_until:
                pending.directives.append((line, statement))
            return
        shebang = line == 1 and text.startswith("#!")
        if shebang or (line <= 2 and _COOKIE_RE.match(text) and self._cookie_line(line)):
            self.removed.add(line)
            return
        if line <= hidden_until:
            return  # a comment in a hidden statement's body goes with it
        if pending.directives:
            message = f"statement directive must be directly above a statement, not above the comment on line {line}"
            raise self.error(pending.directives[0][0], message)
        if self.source != "authored" and not pending.prose:
            return  # text block lines, and comments that stay in the code (listing only)
        prose, notes, placeholders = self._prose(pending)
        self._add_item("comment", line, line, prose, notes, {})
        if placeholders:
            self.waiting_probes.append((line, placeholders))

    def _cookie_line(self, line: int) -> bool:
        """True if LINE is where Python looks for an encoding cookie (line 2 only after a comment)."""
        first = self.lines[0].strip() if self.lines else ""
        return line == 1 or not first or first.startswith("#")

    def _file_options(self, line: int, values: dict[str, Any]) -> None:
        """Store the file keys among VALUES, refusing one set twice."""
        for key, value in values.items():
            if key in ("prose", "markup"):
                continue  # read once, before anything else (_prose_source)
            if key in FILE_KEYS:
                if key in self.options:
                    first = self.option_lines[key]
                    raise self.error(line, f"file option {key!r} already set on line {first}")
                self.options[key] = value
                self.option_lines[key] = line

    # ─ statements ─

    def _unit(self, unit: _Unit, pending: _Pending, trailing: list[tuple[int, dict[str, Any]]]) -> int:
        """Turn a statement into an item (or hide it); return the last line it hides, or 0."""
        for line, values in trailing:
            self._file_options(line, values)
        directives: dict[str, Any] = {}
        for line, values in pending.directives + trailing:
            for key, value in values.items():
                if key in FILE_KEYS:
                    continue
                if key in directives:
                    message = f"directive key {key!r} given twice for the statement on line {unit.first}"
                    raise self.error(line, message)
                directives[key] = value
        anchor = (pending.directives + trailing)[0][0] if directives else unit.first
        pending.directives = []
        if pending.block:
            if unit.docstring or directives.get("hide") or unit.clause:
                raise self.error(pending.block[0][0], "'#::' block must be directly above a shown statement")
            raw = self.lines[pending.block[0][0] - 1]
            indent = len(raw) - len(raw.lstrip())
            if indent != len(self.lines[unit.first - 1]) - len(self.lines[unit.first - 1].lstrip()):
                raise self.error(pending.block[0][0], "'#::' block must be indented like the statement below it")
            self.block_prose.append(_BlockProse(pending.block, indent, unit.first))
            pending.block = []
        if unit.text:
            return 0
        if unit.docstring:
            if pending.prose:
                message = "'#:' prose above the module docstring; write it in the docstring"
                raise self.error(pending.prose[0][0], message)
            if directives:
                raise self.error(anchor, "statement directive on the module docstring")
            self.removed.update(range(unit.first, unit.end + 1))
            return 0
        if directives.get("hide"):
            if unit.clause:
                message = "hide applies to whole statements, not to else/elif/except/finally/case clauses"
                raise self.error(anchor, message)
            if pending.prose:
                raise self.error(pending.prose[0][0], "'#:' prose above a hidden statement is never shown")
            self.removed.update(range(unit.first, unit.end + 1))
            self.hidden.append((unit.first, unit.end))
            return unit.end
        prose, notes, placeholders = self._prose(pending)
        self._add_item("code", unit.first, unit.header_end, prose, notes, directives)
        for _, found in self.waiting_probes:
            self._probe(unit.first, found)
        self.waiting_probes = []
        self._probe(unit.first, placeholders)
        return 0

    def _blocks(self) -> None:
        """Turn `#::` block prose into text blocks, each explaining the statements below it at its
        indentation, up to a blank line, a dedent or the next prose; its placeholders are evaluated
        once, after the last of those statements (a loop: all of it) first completes."""
        if not self.block_prose:
            return
        statements = []
        for unit in self.skeleton.units:
            if not (unit.docstring or unit.clause):
                raw = self.lines[unit.first - 1]
                statements.append(Statement(unit.first, unit.end, len(raw) - len(raw.lstrip())))
        prose_lines = sorted(c.line for c in self.skeleton.comments if c.standalone and c.text.startswith("#:")) + [
            len(self.lines) + 1
        ]
        for block in self.block_prose:
            first, last = block.lines[0][0], block.lines[-1][0]
            stop = prose_lines[bisect_right(prose_lines, last)]
            # blank lines between the block and its first statement are allowed, as for '#:' prose
            chosen = statements_after(block.statement - 1, block.indent, statements, self.lines, stop)
            found = self._markdown_placeholders(block.lines)
            text = "\n".join(content.rstrip() for _, content in block.lines).strip("\n")
            after = chosen[-1].first if found else 0
            self.texts.append(TextBlock(first, last, text, chosen[0].first, max(s.end for s in chosen), after=after))
            if found:
                self.probes[-after] = list(found)

    def _probe(self, line: int, found: list[str]) -> None:
        """Add placeholder sources to be evaluated after the statement on LINE."""
        if found:
            known = self.probes.setdefault(line, [])
            known.extend(source for source in found if source not in known)

    def _add_item(
        self, kind: str, first: int, last: int, prose: str, notes: list[Note], directives: dict[str, Any]
    ) -> None:
        """Append an item; its display numbers and code are filled in by _listing."""
        self.items.append(
            Item(
                kind=kind,
                line=first,
                end_line=last,
                number=0,  # display numbers are filled in once the listing is known
                end_number=0,
                code="",
                prose=prose,
                notes=notes,
                raises=directives.get("raises"),
                rows=directives.get("rows"),
                cols=directives.get("cols"),
                image=bool(directives.get("image", False)),
                graph=bool(directives.get("graph", False)),
                vary=directives.get("vary"),
            )
        )

    def _prose(self, pending: _Pending) -> tuple[str, list[Note], list[str]]:
        """Prose Markdown, notes and placeholder sources from the pending `#:` lines."""
        lines: list[tuple[int, str]] = []
        notes: list[Note] = []
        placeholders: list[str] = []
        last_note_line = -1
        for index, (line, content) in enumerate(pending.prose):
            marked = _note(content)
            if marked is not None:
                marker, icon, rest = marked
                name, sep, text = rest.partition(" = ")
                if not sep or not name.strip() or not text.strip():
                    message = f"note must read '{marker} NAME = TEXT' (NAME ends at the first ' = ')"
                    raise self.error(line, message)
                notes.append(Note(icon, name.strip(), text.strip()))
                last_note_line = index
                found = self._placeholders(line, text)
            elif last_note_line == index - 1 and content[:1] in (" ", "\t") and content.strip():
                # An indented line right after a note continues that note's text.
                notes[-1].text += " " + content.strip()
                last_note_line = index
                found = self._placeholders(line, content)
            else:
                lines.append((line, content.rstrip()))
                continue
            placeholders.extend(source for source in found if source not in placeholders)
        pending.prose = []
        found = self._markdown_placeholders(lines)
        placeholders = [*found, *(source for source in placeholders if source not in found)]
        return "\n".join(text for _, text in lines).strip("\n"), notes, placeholders

    def _markdown_placeholders(self, lines: list[tuple[int, str]]) -> list[str]:
        """The placeholder sources in prose LINES read as one Markdown text (math and fences have none)."""
        text = "\n".join(content for _, content in lines)
        try:
            parts = split_markdown_prose(text)
        except PlaceholderError as error:
            index = text.count("\n", 0, error.column)
            line, content = lines[index]
            column_in_line = error.column - (text.rfind("\n", 0, error.column) + 1)
            at = self.lines[line - 1].find(content)
            column = at + column_in_line + 1 if at >= 0 else None
            raise AuthoringError(self.display, line, str(error), column) from None
        found: list[str] = []
        for part in parts:
            if isinstance(part, Placeholder) and part.source not in found:
                at = next((n for n, content in lines if "{" + part.source in content), lines[0][0])
                self._check_not_constant(at, part)
                found.append(part.source)
        return found

    def _check_not_constant(self, line: int, placeholder: Placeholder) -> None:
        """Refuse a placeholder that cannot show anything from the run: `{1}`, `{n}` with n never bound."""
        expr = ast.parse(f"({placeholder.expr}\n)", mode="eval")
        # names the placeholder binds itself (comprehension targets, lambda parameters, :=) are its own
        own = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        own |= {n.arg for n in ast.walk(expr) if isinstance(n, ast.arg)}
        names = {node.id for node in ast.walk(expr) if isinstance(node, ast.Name) and node.id not in own}
        hint = f"; to show braces as text write {{{{{placeholder.source}}}}}"
        if not names and not own:
            raise self.error(
                line, f"placeholder {{{placeholder.source}}} is a constant, not a value from the run{hint}"
            )
        if self.bound is None:
            self.bound = _bound_names(self.tree)
        unknown = sorted(name for name in names if name not in self.bound)
        if unknown and "*" not in self.bound:
            raise self.error(
                line, f"placeholder {{{placeholder.source}}}: {unknown[0]!r} is never bound in this file{hint}"
            )

    def _placeholders(self, line: int, text: str) -> list[str]:
        """The placeholder sources in TEXT, from the `#:` line LINE; refuse malformed ones."""
        try:
            parts = split_prose(text)
        except PlaceholderError as error:
            at = self.lines[line - 1].find(text)
            column = at + error.column + 1 if at >= 0 else None
            raise AuthoringError(self.display, line, str(error), column) from None
        found = [part for part in parts if isinstance(part, Placeholder)]
        for part in found:
            self._check_not_constant(line, part)
        return [part.source for part in found]

    # ─ listing ─

    def _listing(self) -> list[ListingLine]:
        """Number the shown lines 1..n and fill in the items' display numbers and code."""
        kept: list[tuple[int, str]] = []
        for line in range(1, len(self.lines) + 1):
            if line in self.removed:
                continue
            text = self.shown.get(line, self.lines[line - 1].rstrip())
            text = text.lstrip("\f") if text[:1] == "\f" else text
            blank = not text.strip()
            if blank and kept and not kept[-1][1].strip() and kept[-1][0] != line - 1:
                continue  # a removed line separated two blank lines: keep only one
            kept.append((line, "" if blank else text))
        lead = next((i for i, (_, text) in enumerate(kept) if text), len(kept))
        del kept[:lead]  # at once: popping them one by one from the front is quadratic
        while kept and not kept[-1][1]:
            kept.pop()
        listing = [ListingLine(number, line, text) for number, (line, text) in enumerate(kept, 1)]
        number_of = {entry.line: entry.number for entry in listing}
        text_of = {entry.line: entry.text for entry in listing}
        for block in self.texts:
            shown = [
                number_of[k] for k in range(block.line, max(block.end_line, block.code_last) + 1) if k in number_of
            ]
            block.number, block.end_number = (shown[0], shown[-1]) if shown else (0, 0)
        for item in self.items:
            item.number = number_of[item.line]
            item.end_number = number_of[item.end_line]
            item.code = "\n".join(text_of[line] for line in range(item.line, item.end_line + 1))
        return listing


#: a Markdown picture's target, `![alt](target "title")`, or an HTML `<img src="target">`
_PICTURE_RE = re.compile(r"""!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.I)


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name TREE binds anywhere (any scope), plus the builtins; "*" if it star-imports."""
    import builtins

    names = set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def peek_docstring(text: str, stem: str) -> tuple[str, str, int]:
    """Title, intro and last line of the module docstring of TEXT, even when TEXT is not a valid example."""
    header = jupytext_header(_NEWLINE_RE.split(text))
    if header is not None and header.title:
        return header.title, "", 0
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return title_from_name(stem), "", 0
    docstring = ast.get_docstring(tree, clean=True)
    if docstring is None:
        return title_from_name(stem), "", 0
    node = tree.body[0]
    markup = "rst" if has_cell_marker(text) else "markdown"
    title, intro = title_and_intro(docstring, stem, markup)
    return title, intro, node.end_lineno or node.lineno


def read_example(path: Path, root: Path | None = None) -> Example:
    """Parse PATH into an Example; raise AuthoringError naming file and line on bad input."""
    path = Path(path)
    display = _relative(path, None if root is None else Path(root))
    data = path.read_bytes()
    if path.suffix == ".ipynb":
        return _read_notebook(path, display, data)
    text = _decode(display, data)
    return _read_text(path, display, text)


def _read_notebook(path: Path, display: str, data: bytes) -> Example:
    """A notebook's Example: its percent script's, with errors naming the cell they are in."""
    from .ipynb import NotebookError, cell_of, to_script

    try:
        text, spans = to_script(data)
    except NotebookError as error:
        raise AuthoringError(display, error.line, error.message) from None
    try:
        example = _read_text(path, display, text, source="percent")
    except AuthoringError as error:
        where = cell_of(spans, error.line)
        if where is None:
            raise
        raise AuthoringError(
            display, error.line, f"cell {where[0]}, line {where[1]}: {error.message}", error.column
        ) from None
    example.warnings = [(line, _in_cell(cell_of(spans, line), message)) for line, message in example.warnings]
    return example


def _in_cell(where: tuple[int, int] | None, message: str) -> str:
    """MESSAGE about a notebook's script line, naming the cell and the line within it."""
    return message if where is None else f"cell {where[0]}, line {where[1]}: {message}"


def _read_text(path: Path, display: str, text: str, source: str | None = None) -> Example:
    """The Example of Python source TEXT read from PATH (SOURCE: where its prose comes from, if known)."""
    lines = _NEWLINE_RE.split(text)
    if "\0" in text:
        line = len(_NEWLINE_RE.findall(text, 0, text.index("\0"))) + 1
        raise AuthoringError(display, line, "source code cannot contain null bytes")
    try:
        tree = ast.parse(text, filename=display)
    except SyntaxError as error:
        raise _syntax_error(display, error, lines) from None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        message = f"libcst cannot parse this line: {error.message}"
        raise AuthoringError(display, error.raw_line, message, error.raw_column + 1) from None
    reader = _Reader(display, path.stem, text, tree, module, source)
    reader.folder = path.parent
    return reader.read()
