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
