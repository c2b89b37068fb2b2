"""Discovery: which files under the examples folder are examples."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .files import link_out, regular
from .paths import display_path
from .results import BuildError

# ─────────────────────────────────────────────────────────────────────────────
# Discovery
# ─────────────────────────────────────────────────────────────────────────────


#: what an example is: a Python script, or a Jupyter notebook (read as its percent script)
EXAMPLE_SUFFIXES = (".py", ".ipynb")


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    from fnmatch import fnmatchcase

    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if pattern.startswith("./"):
            pattern = pattern[2:]
        for prefix in prefixes:
            if fnmatchcase(prefix, pattern) or fnmatchcase(prefix.rsplit("/", 1)[-1], pattern):
                return True
        if fnmatchcase(rel, pattern):
            return True
    return False


def skip_dir(name: str) -> bool:
    return name.startswith(("_", ".")) or name in ("__pycache__", "node_modules")


def _refuse_outside_link(path: Path, root: Path) -> None:
    """A symlink whose target lies outside the examples folder is refused: tracekit would run it."""
    target = link_out(path, root)
    if target is not None:
        raise BuildError(
            f"{display_path(path)} is a symlink to {target}, outside the examples folder {display_path(root)}: refused"
        )


def discover(
    root: Path,
    paths: Sequence[Path] = (),
    *,
    exclude: Sequence[str] = (),
    skip: Sequence[Path] = (),
    irregular: list[Path] | None = None,
) -> list[str]:
    """Examples under ROOT (or under PATHS inside it) as sorted POSIX paths relative to ROOT.

    A file or folder whose name starts with `_` (or `.`) is a helper, not an example; EXCLUDE
    globs match a relative path or any of its folders; folders in SKIP (the output) are left out.
    """
    root = root.resolve()
    skip_resolved = [s.resolve() for s in skip if s.resolve() != root]
    found: set[str] = set()
    for start in paths or [root]:
        _refuse_outside_link(start, root)
        start = start.resolve()
        if start.is_file():
            rel = start.relative_to(root).as_posix()
            if start.suffix not in EXAMPLE_SUFFIXES:
                raise BuildError(f"{display_path(start)} is not a Python file or a Jupyter notebook")
            if any(part.startswith("_") for part in rel.split("/")):
                raise BuildError(f"{display_path(start)} is a helper module (its name starts with '_'), not an example")
            found.add(rel)
            continue
        for folder, dirs, files in os.walk(start):
            here = Path(folder)
            dirs[:] = sorted(
                d for d in dirs if not skip_dir(d) and not any((here / d).resolve() == s for s in skip_resolved)
            )
            for name in sorted(files):
                if not name.endswith(EXAMPLE_SUFFIXES) or name.startswith(("_", ".")):
                    continue
                _refuse_outside_link(here / name, root)
                if not regular(here / name):  # a FIFO would block the build reading it
                    if irregular is not None:
                        irregular.append(here / name)
                    continue
                rel = (here / name).relative_to(root).as_posix()
                if not any(part.startswith(("_", ".")) for part in rel.split("/")):
                    found.add(rel)
    return sorted(rel for rel in found if not excluded(rel, exclude))
