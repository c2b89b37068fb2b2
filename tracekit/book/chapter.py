"""Chapters: a Markdown file with optional front matter and embedded example listings.

A chapter is prose with listings in it::

    ---
    title: Introduction to PyTorch
    description: Tensors, autograd and one step of learning.
    ---

    Some prose, with $\\sigma(z) = 1/(1+e^{-z})$ and a [link](first_gradient.py).

    ```{listing} first_gradient.py
    :lines: 4-12
    ```

Front matter is ``key: value`` lines between two ``---`` lines at the very top (no YAML: a value
is the rest of the line, surrounding quotes removed). A fence whose info string is ``{listing}
PATH`` (MyST's directive syntax) embeds the example at PATH, relative to the chapter. Its body
holds options, ``:name: value`` lines:

``:lines: 4-12, 20``
    show only the cards of these lines of the example's file, numbered as an editor numbers them
    (the page keeps its own numbering; the full listing stays, unless hidden);
``:hide-listing:``
    leave out the full listing pane;
``:hide-intro:``
    leave out the example's title and introduction (the link to its page stays);
``:caption: text``
    a line of Markdown shown above the listing;
``:vary: lr=0.01,0.1``
    run the example once more per value of the literal it assigns to ``lr`` (one name per
    ``:vary:`` line; several lines give the product). These runs are the example's, planned with
    its own ``vary`` keys before anything runs, and the listing gets the control that switches them.

Anything else in the body is an error, as is an unknown option, so a typo never passes silently;
the error is that listing's (`Embed.errors`): the rest of the chapter is still read.

Relative links and pictures in the prose are kept as `Ref` records with their lines, so the book
can copy the pictures beside the page and say which links lead nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

from ..prose import title_from_name

__all__ = [
    "Chapter",
    "ChapterError",
    "Embed",
    "Prose",
    "Ref",
    "front_matter",
    "listing_options",
    "parse_chapter",
    "parse_lines",
]

FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(.*)$")
LISTING = re.compile(r"^\{listing\}(?:\s+(.*))?$")
_OPTION = re.compile(r"^:([a-z][a-z-]*):(?:\s+(.*))?$")
_HEADING = re.compile(r"^ {0,3}#\s+(.+?)\s*#*\s*$")
_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_INLINE_REF = re.compile(r"\]\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)")  # `](dest` of a link or picture
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^<>\n]*>|\S+)")  # `[label]: dest`
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:|^//")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp", ".ico"})
OPTIONS = {
    "lines": True,
    "hide-listing": False,
    "hide-intro": False,
    "caption": True,
    "vary": True,
}  # name → takes a value


class ChapterError(Exception):
    """A problem in a chapter, with the file and line it is on."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass
class Ref:
    """A relative link or picture in a chapter's prose, to a picture or to a ``.md``/``.py`` file."""

    line: int  # in the chapter file
    written: str  # as in the text, without its #fragment or ?query
    target: str | None  # relative to the examples folder; None when it leads out of it
    kind: str  # "image" (a picture's suffix) | "page" (.md or .py)


@dataclass
class Prose:
    text: str
    line: int  # first line in the file
    refs: list[Ref] = field(default_factory=list)


@dataclass
class Embed:
    path: str  # as written in the fence
    target: str  # relative to the examples folder, POSIX, normalised
    line: int  # the fence's line in the chapter
    lines: list[tuple[int, int]] | None = None  # listing line ranges to show; None: all
    hide_listing: bool = False
    hide_intro: bool = False
    caption: str = ""
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message): bad options fail this listing only
    at: dict[str, int] = field(default_factory=dict)  # option name → its line in the chapter
    vary: list[tuple[str, list[str], int]] = field(
        default_factory=list
    )  # (name, literal texts, chapter line) of each `:vary:`


@dataclass
class Chapter:
    path: str  # relative to the examples folder
    title: str
    description: str
    meta: dict[str, str]
    parts: list[Prose | Embed] = field(default_factory=list)

    @property
    def embeds(self) -> list[Embed]:
        return [p for p in self.parts if isinstance(p, Embed)]

    @property
    def prose(self) -> str:
        return "\n\n".join(p.text for p in self.parts if isinstance(p, Prose))

    @property
    def refs(self) -> list[Ref]:
        return [r for p in self.parts if isinstance(p, Prose) for r in p.refs]


def front_matter(path: str, text: str) -> tuple[dict[str, str], int]:
    """The ``key: value`` pairs between ``---`` lines at the top of TEXT, and the number of
    lines they take (0 without front matter)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    meta: dict[str, str] = {}
    for i, raw in enumerate(lines[1:], 2):
        line = raw.strip()
        if line == "---":
            return meta, i
        if not line or line.startswith("#"):
            continue
        m = _KEY.match(line)
        if not m:
            raise ChapterError(path, i, f"front matter line is not `key: value`: {raw.strip()!r}")
        key, value = m.group(1).lower(), m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key in meta:
            raise ChapterError(path, i, f"front matter sets {key!r} twice")
        meta[key] = value
    raise ChapterError(path, 1, "front matter starts with `---` but has no closing `---` line")


def parse_lines(spec: str) -> list[tuple[int, int]]:
    """``"4-12, 20"`` → ``[(4, 12), (20, 20)]``; ValueError for anything else."""
    out: list[tuple[int, int]] = []
    for part in spec.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:[-–]\s*(\d+)\s*)?", part)
        if not m:
            raise ValueError(f"bad line range {part.strip()!r} (expected e.g. 4-12, 20)")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if a < 1 or b < a:
            raise ValueError(f"bad line range {part.strip()!r}")
        out.append((a, b))
    return out


def _target(chapter: str, written: str) -> str | None:
    """WRITTEN (relative to the chapter's folder) as a path relative to the examples folder."""
    if written.startswith("/") or "\\" in written:
        return None
    parts: list[str] = list(PurePosixPath(chapter).parent.parts)
    for p in PurePosixPath(written).parts:
        if p == "..":
            if not parts:
                return None
            parts.pop()
        elif p != ".":
            parts.append(p)
    return "/".join(parts) or None


def parse_chapter(path: str, text: str) -> Chapter:
    """Read the chapter at PATH (relative to the examples folder) from its TEXT."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    meta, skip = front_matter(path, text)
    lines = text.split("\n")
    parts: list[Prose | Embed] = []
    buf: list[str] = []
    buf_start = skip + 1
    title = meta.get("title", "")
    i = skip
    fence: str | None = None
    refs: list[Ref] = []

    def flush(next_line: int) -> None:
        nonlocal buf, buf_start, refs
        if "".join(buf).strip():
            parts.append(Prose("\n".join(buf), buf_start, refs))
        buf, buf_start, refs = [], next_line, []

    while i < len(lines):
        line = lines[i]
        number = i + 1
        if fence is not None:  # inside an ordinary fenced block: {listing} there is text
            buf.append(line)
            if line.strip().startswith(fence) and not line.strip()[len(fence) :].strip():
                fence = None
            i += 1
            continue
        m = FENCE_OPEN.match(line)
        if m:
            info = m.group(2).strip()
            lm = LISTING.match(info)
            if not lm:
                fence = m.group(1)
                buf.append(line)
                i += 1
                continue
            written = (lm.group(1) or "").strip()
            if not written:
                raise ChapterError(
                    path, number, "```{listing} needs the path of an example, e.g. ```{listing} first_gradient.py"
                )
            target = _target(path, written)
            if target is None or not target.endswith(".py"):
                raise ChapterError(
                    path, number, f"```{{listing}} {written}: not a path to an example (.py) inside the examples folder"
                )
            embed = Embed(written, target, number)
            i = listing_options(path, lines, i + 1, m.group(1), embed)
            flush(i + 2)
            parts.append(embed)
            i += 1
            continue
        h = _HEADING.match(line)
        if h and (not title or _same(h.group(1), title)) and not "".join(buf).strip() and not parts:
            title = title or h.group(1).strip()  # front matter's title and the same `# H1`: shown once
            i += 1
            buf_start = i + 1
            continue
        refs += _refs(path, number, line)
        buf.append(line)
        i += 1
    flush(i + 1)
    if not title:
        stem = PurePosixPath(path).stem
        title = title_from_name(stem)
    return Chapter(path, title, meta.get("description", ""), meta, parts)


def _same(heading: str, title: str) -> bool:
    return " ".join(heading.split()).casefold() == " ".join(title.split()).casefold()


def _refs(path: str, number: int, line: str) -> list[Ref]:
    """The relative links and pictures to pictures, ``.md`` and ``.py`` files on LINE (outside code spans)."""
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    found = [m.group(1) for m in _INLINE_REF.finditer(text)]
    d = _DEFINITION.match(text)
    if d:
        found.append(d.group(1))
    out: list[Ref] = []
    for dest in found:
        dest = dest[1:-1].strip() if dest.startswith("<") else dest
        written = re.split(r"[?#]", dest, maxsplit=1)[0]
        if not written or _SCHEME.match(written):
            continue
        suffix = PurePosixPath(written).suffix.lower()
        kind = "image" if suffix in IMAGE_SUFFIXES else "page" if suffix in (".md", ".py") else ""
        if kind:
            out.append(Ref(number, written, _target(path, unquote(written)), kind))
    return out


def listing_options(path: str, lines: list[str], i: int, close: str, embed: Embed) -> int:
    """Read EMBED's options from LINES[I:] up to the line CLOSE ends its fence with (returned,
    0-based); a bad option is that listing's (``embed.errors``). ChapterError when it never closes."""
    while True:
        if i >= len(lines):
            raise ChapterError(
                path, embed.line, f"```{{listing}} {embed.path} is never closed (a line `{close}` ends it)"
            )
        body = lines[i].strip()
        if body.startswith(close[0] * len(close)) and not body.lstrip(close[0]):
            return i
        if body:
            try:
                _option(path, i + 1, embed, body)
                embed.at[body[1:].split(":", 1)[0]] = i + 1
            except ChapterError as err:  # this listing fails; the chapter is still read
                embed.errors.append((err.line or i + 1, err.message))
        i += 1


def _option(path: str, number: int, embed: Embed, body: str) -> None:
    m = _OPTION.match(body)
    if not m:
        raise ChapterError(
            path, number, f"```{{listing}} {embed.path}: expected an option such as `:lines: 4-12`, found {body!r}"
        )
    name, value = m.group(1), (m.group(2) or "").strip()
    if name not in OPTIONS:
        raise ChapterError(
            path, number, f"unknown listing option :{name}: (known: {', '.join(':' + k + ':' for k in OPTIONS)})"
        )
    if OPTIONS[name] and not value:
        raise ChapterError(path, number, f":{name}: needs a value")
    if not OPTIONS[name] and value:
        raise ChapterError(path, number, f":{name}: takes no value")
    if name == "lines":
        try:
            embed.lines = parse_lines(value)
        except ValueError as e:
            raise ChapterError(path, number, f":lines: {e}") from None
    elif name == "caption":
        embed.caption = value
    elif name == "vary":
        embed.vary.append(_vary(path, number, embed, value))
    elif name == "hide-listing":
        embed.hide_listing = True
    elif name == "hide-intro":
        embed.hide_intro = True


_VARY = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(.+)$")


def _vary(path: str, number: int, embed: Embed, value: str) -> tuple[str, list[str], int]:
    """A `:vary: NAME=V1,V2` option: the name, its values' literal texts and the line."""
    from ..directives import vary_values

    m = _VARY.match(value)
    if not m or not m.group(1).isidentifier():
        raise ChapterError(path, number, f":vary: expects NAME=V1,V2,… (e.g. `:vary: lr=0.01,0.1`), found {value!r}")
    name = m.group(1)
    if any(v[0] == name for v in embed.vary):
        raise ChapterError(path, number, f":vary: {name} is varied twice in this listing")
    try:
        return name, vary_values(m.group(2)), number
    except ValueError as e:
        raise ChapterError(path, number, f":vary: {name}: {e}") from None
