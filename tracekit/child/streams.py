"""A build's sys.stdout: the script's text goes to a pipe of its own, everything else stays on fd 1.

The supervisor reads the two apart, so what a script writes below sys.stdout (``os.write(1, …)``,
``sys.stdout.buffer``, subprocesses, ``os.system``, C's ``printf``) can be told from what the
recorder attributed to lines, and the page shows it. Standard library only: the child imports
this before the script runs.
"""

from __future__ import annotations

import io

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class SplitStdout:
    """Stands in for sys.stdout (the recorder's tee wraps it): text is written to FD, while
    ``fileno()`` and ``buffer`` are fd 1's, as they are under python."""

    def __init__(self, below: Any, fd: int) -> None:
        raw = io.FileIO(fd, "w", closefd=False)
        raw.name = getattr(below, "name", "<stdout>")
        self._below = below
        self._text = io.TextIOWrapper(
            io.BufferedWriter(raw),
            encoding=below.encoding,
            errors=below.errors,
            newline="\n",
            line_buffering=below.line_buffering,
            write_through=below.write_through,
        )
        self._text.mode = getattr(below, "mode", "w")  # type: ignore[misc]

    def write(self, s: Any) -> int:
        return self._text.write(s)

    def writelines(self, lines: Any) -> None:
        self._text.writelines(lines)

    def flush(self) -> None:
        self._text.flush()
        self._below.flush()

    @property
    def buffer(self) -> Any:
        return self._below.buffer

    def fileno(self) -> int:
        fd: int = self._below.fileno()
        return fd

    def reconfigure(self, **kwargs: Any) -> None:
        self._text.reconfigure(**kwargs)
        self._below.reconfigure(**kwargs)

    def close(self) -> None:
        self.flush()
        self._text.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._text, name)

    def __repr__(self) -> str:
        return repr(self._below)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
