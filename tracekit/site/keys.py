"""Cache keys: a sha256 over everything that can change an example's page."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..child.jsonio import atomic_write
from ..child.version import __version__
from .files import file_sha
from .paths import is_inside

# ─────────────────────────────────────────────────────────────────────────────
# Cache keys
# ─────────────────────────────────────────────────────────────────────────────


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class StatCache:
    """sha256 of files, remembered with their size and mtime outside the output folder (in
    tracekit's cache folder), so that a no-op build need not read every page again. Like git's
    index: an entry is trusted only for a file last changed well before the entry was made, and
    `check` never uses it (it always reads the files)."""

    SLACK_NS = 2_000_000_000  # mtimes this close to now are not trusted (coarse clocks, racing edits)

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if path is not None:
            try:
                data = json.loads(path.read_bytes())
                if isinstance(data, dict):
                    self.entries = data
            except (OSError, ValueError):
                pass

    @classmethod
    def for_output(cls, out: Path) -> StatCache:
        try:
            from ..codecache import cache_dir

            name = sha256_hex(str(out.resolve()).encode())[:24]
            return cls(Path(cache_dir()) / "build-stat" / f"{name}.json")
        except Exception:  # no usable cache folder: hash every time
            return cls(None)

    def sha(self, path: Path) -> str | None:
        key = str(path)
        try:
            st = os.stat(path)
        except OSError:
            return None
        entry = self.entries.get(key)
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            known: str | None = entry[2]
            return known
        sha = file_sha(path)
        if sha is not None and st.st_mtime_ns < time.time_ns() - self.SLACK_NS:
            self.entries[key] = [st.st_size, st.st_mtime_ns, sha]
            self.dirty = True
        return sha

    def save(self) -> None:
        if self.dirty and self.path is not None:
            try:
                atomic_write(self.path, json.dumps(self.entries, sort_keys=True).encode())
            except OSError:
                pass
            self.dirty = False


#: bump when the layout of a cache key changes
KEY_FORMAT = 1
#: tracekit's package folder: every file in it is part of every cache key
PACKAGE = Path(__file__).resolve().parent.parent

_tool_hash_cache: str | None = None


def tool_hash(stats: StatCache | None = None) -> str:
    """sha256 over every file of tracekit's package (code, templates, assets, schema, any new kind)."""
    global _tool_hash_cache
    if _tool_hash_cache is None:
        h = hashlib.sha256()
        for folder, dirs, files in os.walk(PACKAGE):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                    continue  # compiled caches and editor droppings are not tracekit's files
                p = Path(folder) / name
                sha = stats.sha(p) if stats is not None else file_sha(p)
                h.update(f"{p.relative_to(PACKAGE).as_posix()}\0{sha}\0".encode())
        _tool_hash_cache = h.hexdigest()
    return _tool_hash_cache


def _dist_versions(names: Iterable[str]) -> dict[str, str | None]:
    """Installed versions of distributions NAMES, from their .dist-info folder names on sys.path
    (what importlib.metadata reads, without its import cost); importlib.metadata as a fallback."""
    wanted = {n.lower().replace("-", "_"): n for n in names}
    found: dict[str, str | None] = {}
    for entry in sys.path:
        if len(found) == len(wanted):
            break
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            if not item.endswith(".dist-info"):
                continue
            dist, _, version = item[: -len(".dist-info")].rpartition("-")
            key = dist.lower().replace("-", "_").replace(".", "_")
            if key in wanted and wanted[key] not in found:
                found[wanted[key]] = version
    for name in wanted.values():
        if name not in found:
            try:
                from importlib.metadata import PackageNotFoundError
                from importlib.metadata import version as dist_version

                try:
                    found[name] = dist_version(name)
                except PackageNotFoundError:
                    found[name] = None
            except Exception:  # pragma: no cover - a broken environment only costs precision
                found[name] = None
    return found


def environment(stats: StatCache | None = None) -> dict[str, Any]:
    """What, beyond an example and its options, changes its page: computed once per build."""
    versions = _dist_versions(["torch", "numpy"])
    return {
        "tracekit": __version__,
        "tool": tool_hash(stats),
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "torch": versions["torch"],
        "numpy": versions["numpy"],
    }


def cuda_fingerprint() -> list[str]:
    """A cheap stand-in for 'is CUDA here', for examples whose device is `auto`."""
    import glob

    return [os.environ.get("CUDA_VISIBLE_DEVICES", "-")] + sorted(glob.glob("/dev/nvidia[0-9]*"))


def cache_key(
    rel: str,
    source_sha: str,
    deps: dict[str, str],
    env: dict[str, Any],
    options: dict[str, Any],
    auto: Any = None,
    vary: dict[str, list[str]] | None = None,
) -> str:
    """The example's cache key (sha256 hex); VARY: the values chapters' `:vary:` options add."""
    payload = {
        "format": KEY_FORMAT,
        "path": rel,
        "source": source_sha,
        "deps": deps,
        "env": env,
        "options": options,
        "auto": auto,
    }
    if vary:  # only then: the key of an example no chapter varies stays what it was
        payload["vary"] = vary
    return sha256_hex(json.dumps(payload, sort_keys=True).encode())


class Imports:
    """Local modules a file imports, resolved as a script in its folder would find them.

    The import names of a file depend on its bytes only, so they are remembered by sha256
    (`known`, kept in the manifest): a file is parsed with `ast` only when its bytes are new.
    """

    def __init__(self, root: Path, known: dict[str, list[Any]] | None = None) -> None:
        self.root = root
        self.known: dict[str, list[Any]] = dict(known or {})
        self.used: dict[str, list[Any]] = {}
        self.sha256_hex: dict[Path, str | None] = {}

    def sha(self, path: Path, data: bytes | None = None) -> str | None:
        if path not in self.sha256_hex:
            self.sha256_hex[path] = sha256_hex(data) if data is not None else file_sha(path)
        return self.sha256_hex[path]

    def names(self, path: Path, source: bytes | None = None) -> list[tuple[int, str]]:
        """(level, dotted name) for every import in PATH (`from X import a` gives X and X.a)."""
        sha = self.sha(path, source)
        if sha is None:
            return []
        names = self.known.get(sha)
        if names is None:
            names = self._parse(path, source)
            self.known[sha] = names
        self.used[sha] = names
        return [(int(level), str(name)) for level, name in names]

    @staticmethod
    def _parse(path: Path, source: bytes | None) -> list[Any]:
        import ast

        out: list[Any] = []
        try:
            if source is None:
                source = path.read_bytes()
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, ValueError, OSError):
            return out
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out.extend([0, alias.name] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if base:
                    out.append([node.level, base])
                for alias in node.names:
                    if alias.name != "*":
                        out.append([node.level, f"{base}.{alias.name}" if base else alias.name])
        unique: list[Any] = []
        for item in out:
            if item not in unique:
                unique.append(item)
        return unique

    @staticmethod
    def _resolve_in(folder: Path, dotted: str) -> list[Path]:
        """Files executed by importing DOTTED from FOLDER (packages' __init__ included)."""
        files: list[Path] = []
        here = folder
        parts = dotted.split(".")
        for part in parts:
            if not part.isidentifier():
                return files
            module = here / f"{part}.py"
            package = here / part
            if module.is_file():
                files.append(module)
                return files  # a module has no submodules
            if package.is_dir():
                init = package / "__init__.py"
                if init.is_file():
                    files.append(init)
                here = package
                continue
            return files
        return files

    def resolve(self, importer: Path, level: int, dotted: str, search: list[Path]) -> list[Path]:
        if level > 0:
            base = importer.parent
            for _ in range(level - 1):
                base = base.parent
            return self._resolve_in(base, dotted) if dotted else []
        for folder in search:
            files = self._resolve_in(folder, dotted)
            if files:
                return files
        return []


def local_dependencies(
    path: Path, root: Path, source: bytes | None = None, imports: Imports | None = None
) -> dict[str, str]:
    """Local modules PATH imports, recursively: {path relative to ROOT: sha256}. A name is looked
    up in the example's folder (sys.path[0] of its run), then in ROOT; only files inside ROOT count."""
    imports = imports or Imports(root)
    path = path.resolve()
    root = root.resolve()
    search = [path.parent] + ([root] if root != path.parent else [])
    deps: dict[str, str] = {}
    seen = {path}
    todo: list[tuple[Path, bytes | None]] = [(path, source)]
    while todo:
        current, data = todo.pop()
        for level, dotted in imports.names(current, data):
            for dep in imports.resolve(current, level, dotted, search):
                dep = dep.resolve()
                if dep in seen or not is_inside(dep, root):
                    continue
                seen.add(dep)
                sha = imports.sha(dep)
                if sha is None:
                    continue
                deps[dep.relative_to(root).as_posix()] = sha
                todo.append((dep, None))
    return dict(sorted(deps.items()))
