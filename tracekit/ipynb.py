"""A Jupyter notebook in the examples folder, read as the percent script its cells make.

Markdown cells become `# %% [markdown]` cells (their lines commented), code cells `# %%` cells,
raw cells `# %% [raw]` cells; saved outputs are ignored (the page shows tracekit's run). IPython
line magics and shell escapes (`%matplotlib inline`, `!ls`, `files = !ls`) are commented out as
Jupytext does, so they are shown and not run; a cell magic whose body is Python (`%%time`) keeps
its body, any other cell magic (`%%bash`) comments out the whole cell. The script's lines are
the notebook's code numbered as one script; `cell_of` maps a line back to its cell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .prose import MAGIC

__all__ = ["NotebookError", "cell_of", "is_notebook", "reads", "script_bytes", "to_script"]

#: cell magics whose body is Python: the body runs, the magic line is shown and not run
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})


class NotebookError(ValueError):
    """A notebook that nbformat cannot read or that does not validate, with the line to blame."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def is_notebook(path: str | Path) -> bool:
    """True if PATH names a Jupyter notebook."""
    return str(path).endswith(".ipynb")


def read(data: bytes) -> Any:
    """Notebook DATA as nbformat reads and validates it, as version 4; NotebookError if it is not one."""
    import nbformat

    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except UnicodeDecodeError as error:
        raise NotebookError(
            data.count(b"\n", 0, error.start) + 1, f"not a notebook: cannot decode as UTF-8: {error.reason}"
        ) from None
    except json.JSONDecodeError as error:
        raise NotebookError(
            error.lineno, f"not a notebook: invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    try:
        notebook = reads(text, raw)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = "/".join(str(part) for part in error.path) or "the top level"
        raise NotebookError(1, f"not a valid notebook (nbformat): {error.message} at {where}") from None
    except Exception as error:  # nbformat's own reader errors: NotJSONError, version errors
        raise NotebookError(1, f"not a valid notebook (nbformat): {error}") from None
    return notebook


def fill_cell_ids(cells: list[Any]) -> None:
    """Give each cell without an id the first unused `cell-K`, K from its own number up, as
    nbformat's `normalize` would; cells that have one keep it."""
    used = {c.get("id") for c in cells if isinstance(c, dict)}
    for n, cell in enumerate(cells, 1):
        if isinstance(cell, dict) and not cell.get("id"):
            cell["id"] = next(f"cell-{k}" for k in range(n, n + len(cells) + 1) if f"cell-{k}" not in used)
            used.add(cell["id"])


def reads(text: str, raw: object = None) -> Any:
    """nbformat's reading of notebook TEXT (RAW: its JSON, if parsed already), as version 4.
    Cells of an nbformat 4.5+ notebook without an id get one first (`cell-N`, unused), as
    nbformat's `normalize` does, so nbformat has nothing to warn about on stderr."""
    import nbformat

    raw = json.loads(text) if raw is None else raw
    cells = raw.get("cells") if isinstance(raw, dict) and raw.get("nbformat") == 4 else None
    minor = raw.get("nbformat_minor") if isinstance(raw, dict) else None
    if isinstance(cells, list) and isinstance(minor, int) and minor >= 5:
        if any(isinstance(c, dict) and "id" not in c for c in cells):
            fill_cell_ids(cells)
            text = json.dumps(raw)
    return nbformat.reads(text, as_version=4)


def _code(source: str) -> list[str]:
    """A code cell's lines, with magics and shell escapes commented out."""
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if name in _PYTHON_CELL_MAGICS:
            return ["# " + first, *lines[1:]]
        return ["# " + line if line.strip() else line for line in lines]
    out = []
    for line in lines:
        if MAGIC.match(line):
            indent = len(line) - len(line.lstrip())
            out.append(line[:indent] + "# " + line[indent:])
        else:
            out.append(line)
    return out


def to_script(data: bytes) -> tuple[str, list[tuple[int, int, int]]]:
    """The percent script of notebook DATA, and its cells as (cell number, first line, last line)."""
    return script_of(read(data).cells)


def script_of(cells: list[Any]) -> tuple[str, list[tuple[int, int, int]]]:
    """The percent script of a read notebook's CELLS, and its cells as (cell number, first line, last line)."""
    out: list[str] = []
    spans: list[tuple[int, int, int]] = []
    for number, cell in enumerate(cells, 1):
        source = cell.get("source") or ""
        body = source.rstrip("\n")
        if cell.get("cell_type") == "code":
            marker, lines = "# %%", _code(body)
        else:
            kind = "markdown" if cell.get("cell_type") == "markdown" else "raw"
            marker, lines = f"# %% [{kind}]", [("# " + line).rstrip() for line in body.split("\n")]
        if out:
            out.append("")
        first = len(out) + 1
        out.append(marker)
        out.extend(lines if body else [])
        spans.append((number, first, len(out)))
    return "\n".join(out) + "\n", spans


def cell_of(spans: list[tuple[int, int, int]], line: int) -> tuple[int, int] | None:
    """(cell number, line within the cell) of script LINE; None on a line between cells."""
    for number, first, last in spans:
        if first < line <= last:
            return number, line - first
    return None


def script_bytes(path: str | Path) -> bytes:
    """The Python source tracekit runs for PATH: the file itself, or a notebook's percent script."""
    data = Path(path).read_bytes()
    if not is_notebook(path):
        return data
    return to_script(data)[0].encode("utf-8")
