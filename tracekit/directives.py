"""The `# tracekit: KEY[=VALUE] …` directive syntax, shared by the source reader and the cache keys.

Standard library only, so that a build with nothing to do can read what a key needs (the device)
without loading libcst; both sides split a directive the same way (shlex), so they cannot drift.
"""

from __future__ import annotations

import io
import re
import shlex
import tokenize

DIRECTIVE_RE = re.compile(r"#\s*tracekit\s*:")


def split_words(body: str) -> list[str]:
    """The words of a directive's body, quoted as a shell would (raises ValueError when malformed)."""
    return shlex.split(body, comments=False, posix=True)


def directive_values(comment: str) -> dict[str, str | None]:
    """KEY → raw VALUE (None for a bare KEY) of one directive comment; {} when it is not one or is malformed."""
    match = DIRECTIVE_RE.match(comment)
    if match is None:
        return {}
    try:
        words = split_words(comment[match.end() :].strip())
    except ValueError:
        return {}
    out: dict[str, str | None] = {}
    for word in words:
        key, eq, value = word.partition("=")
        out.setdefault(key, value.strip() if eq else None)
    return out


def requested_devices(source: bytes) -> set[str]:
    """Every device a file's directives ask for (any comment line `# tracekit: … device=X …`)."""
    found: set[str] = set()
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type == tokenize.COMMENT and DIRECTIVE_RE.match(tok.string):
                device = directive_values(tok.string).get("device")
                if device:
                    found.add(device)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, ValueError):
        pass  # the source reader reports what is wrong with the file
    return found


def vary_values(body: str) -> list[str]:
    """The source text of each Python literal in a `vary=V1,V2,…` value (raises ValueError when one is not a
    literal)."""
    import ast

    try:
        tree = ast.parse(f"({body},)", mode="eval")
    except SyntaxError:
        raise ValueError("not a comma-separated list of Python literals") from None
    elts = tree.body.elts if isinstance(tree.body, ast.Tuple) else []
    texts: list[str] = []
    for elt in elts:
        text = ast.get_source_segment(f"({body},)", elt) or ""
        try:
            ast.literal_eval(elt)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"{text!r} is not a Python literal") from None
        if "\n" in text:
            raise ValueError(f"{text!r} spans lines")
        texts.append(text.strip())
    if not texts:
        raise ValueError("no values")
    return texts
