"""Build a site of pages from a folder of examples: discover → cache check → run in parallel →
write atomically → index. Also `check` (is the committed site what a build would write now?).

Incremental and honest: every example has a cache key, a sha256 over everything that can change
its page — its source bytes, the local modules it imports (found with `ast`, recursively), the
run options (seed, hits, device, timeout, memory), tracekit's version and the hash of tracekit's
own package files, the Python, torch and numpy versions. The manifest `DIR/.tracekit-manifest.json`
lists every file tracekit wrote with its sha256, and each example's key; an example is run again
only when its key changed, when one of its files is missing or was edited, or when it failed last
time. Only files listed in the manifest (and still holding what tracekit wrote) are ever deleted.

The parent never imports torch, and a no-op build imports neither libcst nor Jinja2.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from ._jsonio import atomic_write, dumps
from ._version import __version__
from .config import Config, ConfigError, load_config, parse_shard

__all__ = [
    "BuildError",
    "ConfigError",
    "BuildInterrupted",
    "BuildResult",
    "CheckResult",
    "Outcome",
    "Problem",
    "Reporter",
    "build",
    "cache_key",
    "check",
    "discover",
    "local_dependencies",
    "MANIFEST_NAME",
]

MANIFEST_NAME = ".tracekit-manifest.json"
LOCK_NAME = ".tracekit.lock"
MANIFEST_LOCK_NAME = ".tracekit-manifest.lock"
MANIFEST_FORMAT = 1
FIGURES_DIR = "figures"  # PNGs of figures and image values, named by content hash, shared by all pages
KEY_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent
_TOOL_SUFFIXES = {".py", ".html", ".css", ".js", ".svg", ".json"}


class BuildError(Exception):
    """A usage or environment problem (exit status 2): the message is one line for the user."""

    exit_status = 2


class BuildInterrupted(Exception):
    """SIGINT or SIGTERM arrived; pages written so far are complete, earlier ones intact."""

    def __init__(self, signum: int, written: int = 0) -> None:
        import signal

        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        super().__init__(f"interrupted by {name}; {written} page(s) written, earlier pages left intact")
        self.signum = signum
        self.exit_status = 128 + signum


# ─────────────────────────────────────────────────────────────────────────────
# Results
# ─────────────────────────────────────────────────────────────────────────────


@dataclass(eq=False)
class Failure:
    """Why an example failed: a message, and the source line when one is known."""

    line: int | None
    message: str

    def to_dict(self) -> dict:
        return {"line": self.line, "message": self.message}


@dataclass(eq=False)
class Outcome:
    """What happened to one example in this build."""

    path: str  # relative to the examples root, POSIX
    display: str  # the source file as the user names it (relative to the current folder)
    status: str  # ok | expected error | failed | skipped
    cached: bool = False
    seconds: float | None = None
    hits: int | None = None
    failures: list[Failure] = field(default_factory=list)
    note: str = ""  # why it was skipped
    detail: str = ""  # for -v: the whole error message, or the end of the example's stderr

    def lines(self) -> list[str]:
        """`file:line: reason` for each failure."""
        out = []
        for f in self.failures:
            where = f"{self.display}:{f.line}" if f.line else self.display
            out.append(f"{where}: {f.message}")
        return out


@dataclass(eq=False)
class BuildResult:
    output: Path
    outcomes: list[Outcome]
    written: list[str] = field(default_factory=list)  # files written, relative to output
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # files tracekit would delete but were changed by hand
    index_written: bool = False

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ran(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.cached]

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0


@dataclass(eq=False)
class Problem:
    kind: str  # stale | missing | orphaned | failing
    path: str  # what it is about, as the user names it
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:9} {self.path}: {self.detail}"


@dataclass(eq=False)
class CheckResult:
    output: Path
    examples: int
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return 1 if self.problems else 0


# ─────────────────────────────────────────────────────────────────────────────
# Discovery
# ─────────────────────────────────────────────────────────────────────────────


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
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


def _skip_dir(name: str) -> bool:
    return name.startswith(("_", ".")) or name in ("__pycache__", "node_modules")


def _refuse_outside_link(path: Path, root: Path) -> None:
    """A symlink whose target lies outside the examples folder is refused: tracekit would run it."""
    if path.is_symlink() and not _is_inside(path.resolve(), root):
        raise BuildError(f"{_display(path)} is a symlink to {path.resolve()}, outside the examples folder {_display(root)}: refused")


def discover(root: Path, paths: Sequence[Path] = (), *, exclude: Sequence[str] = (), skip: Sequence[Path] = ()) -> list[str]:
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
            if start.suffix != ".py":
                raise BuildError(f"{_display(start)} is not a Python file")
            if any(part.startswith("_") for part in rel.split("/")):
                raise BuildError(f"{_display(start)} is a helper module (its name starts with '_'), not an example")
            found.add(rel)
            continue
        for folder, dirs, files in os.walk(start):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not _skip_dir(d) and not any((here / d).resolve() == s for s in skip_resolved))
            for name in sorted(files):
                if not name.endswith(".py") or name.startswith(("_", ".")):
                    continue
                _refuse_outside_link(here / name, root)
                rel = (here / name).relative_to(root).as_posix()
                if not any(part.startswith(("_", ".")) for part in rel.split("/")):
                    found.add(rel)
    return sorted(rel for rel in found if not _excluded(rel, exclude))


# ─────────────────────────────────────────────────────────────────────────────
# Cache keys
# ─────────────────────────────────────────────────────────────────────────────


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return _sha(f.read())
    except OSError:
        return None


class _StatCache:
    """sha256 of files, remembered with their size and mtime outside the output folder (in
    tracekit's cache folder), so that a no-op build need not read every page again. Like git's
    index: an entry is trusted only for a file last changed well before the entry was made, and
    `check` never uses it (it always reads the files)."""

    SLACK_NS = 2_000_000_000  # mtimes this close to now are not trusted (coarse clocks, racing edits)

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list] = {}
        self.dirty = False
        if path is not None:
            try:
                data = json.loads(path.read_bytes())
                if isinstance(data, dict):
                    self.entries = data
            except (OSError, ValueError):
                pass

    @classmethod
    def for_output(cls, out: Path) -> _StatCache:
        try:
            from ._codecache import cache_dir

            name = _sha(str(out.resolve()).encode())[:24]
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
            return entry[2]
        sha = _file_sha(path)
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


_tool_hash_cache: str | None = None


def tool_hash(stats: _StatCache | None = None) -> str:
    """sha256 over tracekit's own package files (code, templates, assets, schema)."""
    global _tool_hash_cache
    if _tool_hash_cache is None:
        h = hashlib.sha256()
        for folder, dirs, files in os.walk(_PACKAGE):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(files):
                if os.path.splitext(name)[1] not in _TOOL_SUFFIXES:
                    continue
                p = Path(folder) / name
                sha = stats.sha(p) if stats is not None else _file_sha(p)
                h.update(f"{p.relative_to(_PACKAGE).as_posix()}\0{sha}\0".encode())
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
                from importlib.metadata import PackageNotFoundError, version

                try:
                    found[name] = version(name)
                except PackageNotFoundError:
                    found[name] = None
            except Exception:  # pragma: no cover - a broken environment only costs precision
                found[name] = None
    return found


def environment(stats: _StatCache | None = None) -> dict[str, Any]:
    """What, beyond an example and its options, changes its page: computed once per build."""
    versions = _dist_versions(["torch", "numpy"])
    return {
        "tracekit": __version__,
        "tool": tool_hash(stats),
        "python": "%d.%d.%d" % sys.version_info[:3],
        "torch": versions["torch"],
        "numpy": versions["numpy"],
    }


def _cuda_fingerprint() -> list[str]:
    """A cheap stand-in for 'is CUDA here', for examples whose device is `auto`."""
    import glob

    return [os.environ.get("CUDA_VISIBLE_DEVICES", "-")] + sorted(glob.glob("/dev/nvidia[0-9]*"))


_AUTO_PATTERN = rb"#\s*tracekit\s*:[^\n]*\bdevice\s*=\s*auto\b"


def cache_key(rel: str, source_sha: str, deps: dict[str, str], env: dict, options: dict, auto: Any = None) -> str:
    """The example's cache key (sha256 hex)."""
    payload = {
        "format": KEY_FORMAT,
        "path": rel,
        "source": source_sha,
        "deps": deps,
        "env": env,
        "options": options,
        "auto": auto,
    }
    return _sha(json.dumps(payload, sort_keys=True).encode())


class _Imports:
    """Local modules a file imports, resolved as a script in its folder would find them.

    The import names of a file depend on its bytes only, so they are remembered by sha256
    (`known`, kept in the manifest): a file is parsed with `ast` only when its bytes are new.
    """

    def __init__(self, root: Path, known: dict[str, list] | None = None) -> None:
        self.root = root
        self.known: dict[str, list] = dict(known or {})
        self.used: dict[str, list] = {}
        self._sha: dict[Path, str | None] = {}

    def sha(self, path: Path, data: bytes | None = None) -> str | None:
        if path not in self._sha:
            self._sha[path] = _sha(data) if data is not None else _file_sha(path)
        return self._sha[path]

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
    def _parse(path: Path, source: bytes | None) -> list:
        import ast

        out: list = []
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
        unique: list = []
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
        for i, part in enumerate(parts):
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


def local_dependencies(path: Path, root: Path, source: bytes | None = None, imports: _Imports | None = None) -> dict[str, str]:
    """Local modules PATH imports, recursively: {path relative to ROOT: sha256}. A name is looked
    up in the example's folder (sys.path[0] of its run), then in ROOT; only files inside ROOT count."""
    imports = imports or _Imports(root)
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
                if dep in seen or not _is_inside(dep, root):
                    continue
                seen.add(dep)
                sha = imports.sha(dep)
                if sha is None:
                    continue
                deps[dep.relative_to(root).as_posix()] = sha
                todo.append((dep, None))
    return dict(sorted(deps.items()))


# ─────────────────────────────────────────────────────────────────────────────
# Manifest
# ─────────────────────────────────────────────────────────────────────────────


def _safe_rel(rel: Any) -> bool:
    """A manifest path tracekit may touch: relative, POSIX, no `..`, not a Python file."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    parts = rel.split("/")
    return all(p not in ("", ".", "..") for p in parts) and not rel.endswith((".py", ".pyc"))


@dataclass(repr=False, eq=False)
class Manifest:
    examples: dict[str, dict] = field(default_factory=dict)
    site: dict[str, str] = field(default_factory=dict)  # index.html and assets → sha256
    index_of: str | None = None  # hash of what the index was rendered from
    env: dict = field(default_factory=dict)
    imports: dict[str, list] = field(default_factory=dict)  # file sha256 → its import names
    problem: str = ""  # why an existing manifest could not be read

    @classmethod
    def load(cls, out: Path) -> Manifest:
        path = out / MANIFEST_NAME
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as e:
            return cls(problem=f"cannot read {MANIFEST_NAME}: {e.strerror}")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
                raise ValueError("unknown format")
            examples = {rel: rec for rel, rec in (data.get("examples") or {}).items() if isinstance(rec, dict) and isinstance(rel, str)}
            for rec in examples.values():
                files = rec.get("files") if isinstance(rec.get("files"), dict) else {}
                rec["files"] = {p: s for p, s in files.items() if _safe_rel(p) and isinstance(s, str)}
            site_data = data.get("site") or {}
            site = {p: s for p, s in (site_data.get("files") or {}).items() if _safe_rel(p) and isinstance(s, str)}
            imports = {k: v for k, v in (data.get("imports") or {}).items() if isinstance(v, list)}
            return cls(examples, site, site_data.get("index_of"), data.get("env") or {}, imports)
        except (ValueError, AttributeError, TypeError) as e:
            return cls(problem=f"{MANIFEST_NAME} is not a tracekit manifest ({e}); nothing in the folder will be deleted")

    def files(self) -> dict[str, str]:
        """Every file listed: relative path → sha256."""
        out: dict[str, str] = {}
        for rec in self.examples.values():
            out.update(rec.get("files") or {})
        out.update(self.site)
        return out

    def prune_imports(self) -> None:
        """Keep the import names of the files the records refer to, and only those."""
        used = set()
        for rec in self.examples.values():
            used.add(rec.get("source"))
            used.update((rec.get("deps") or {}).values())
        self.imports = {sha: names for sha, names in self.imports.items() if sha in used}

    def to_bytes(self) -> bytes:
        data = {
            "format": MANIFEST_FORMAT,
            "tracekit": __version__,
            "env": self.env,
            "examples": self.examples,
            "imports": self.imports,
            "site": {"files": self.site, "index_of": self.index_of},
            "files": self.files(),
        }
        return dumps(data).encode("utf-8")


def _index_entries(examples: dict[str, dict]) -> list[dict]:
    entries = []
    for rel in sorted(examples):
        rec = examples[rel]
        entries.append(
            {
                "title": rec.get("title") or PurePosixPath(rel).stem,
                "intro": rec.get("intro") or "",
                "html": rec.get("html") or _page_paths(rel)[0],
                "status": rec.get("status") or "failed",
                "path": rel,
            }
        )
    return entries


def _index_of(examples: dict[str, dict], env: dict) -> str:
    return _sha(json.dumps({"entries": _index_entries(examples), "tool": env.get("tool")}, sort_keys=True).encode())


# ─────────────────────────────────────────────────────────────────────────────
# Locks (POSIX flock; released by the kernel when the process exits, however it exits)
# ─────────────────────────────────────────────────────────────────────────────


class _Lock:
    """A lock file in the output folder (flock: the kernel releases it however the process ends).

    The last holder removes the file, so a finished build leaves none behind; a holder checks
    after locking that the path still names the file it locked (else it locked a removed file
    and tries again)."""

    def __init__(self, path: Path, *, shared: bool = False, blocking: bool = False, create: bool = True) -> None:
        self.path = path
        self.shared = shared
        self.blocking = blocking
        self.create = create
        self.fd: int | None = None

    def __enter__(self) -> _Lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            return self
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        for _ in range(100):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT if self.create else os.O_RDONLY, 0o644)
            except FileNotFoundError:
                if self.create:
                    raise BuildError(f"output folder {_display(self.path.parent)} does not exist") from None
                return self  # nothing to wait for: no build is running
            except OSError as e:
                raise BuildError(f"output folder {_display(self.path.parent)} is not writable: {e.strerror}") from None
            try:
                fcntl.flock(fd, mode | (0 if self.blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                raise BuildError(f"another tracekit build is writing to {_display(self.path.parent)}; wait for it to finish and try again") from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except OSError:
                same = False
            if same:
                self.fd = fd
                return self
            os.close(fd)  # the previous holder removed the file after we opened it: lock the new one
        raise BuildError(f"cannot lock {_display(self.path)}")

    def __exit__(self, *exc: object) -> None:
        if self.fd is None:
            return
        import fcntl

        try:
            if self.create:
                # The last holder (an exclusive lock is possible) removes the file.
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
        except OSError:
            pass  # others still hold it (shards): the last one removes it
        finally:
            os.close(self.fd)  # closing releases the flock
            self.fd = None


# ─────────────────────────────────────────────────────────────────────────────
# Progress
# ─────────────────────────────────────────────────────────────────────────────


class Reporter:
    """Progress and summary. On a TTY: a live line and a final table; otherwise one plain line
    per example. verbosity: -1 quiet (errors only), 0 normal, 1 verbose. Errors go to stderr."""

    def __init__(self, verbosity: int = 0, out: TextIO | None = None, err: TextIO | None = None, tty: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.verbosity = verbosity
        if tty is None:
            try:
                tty = self.out.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.tty = tty
        self.total = 0
        self.done = 0
        self._live = False
        self._shown = ""
        self._lock = threading.Lock()

    # live line
    def _clear(self) -> None:
        if self._live:
            self.out.write("\r\033[K")
            self.out.flush()
            self._live = False

    def progress(self, running: Sequence[str]) -> None:
        if not self.tty or self.verbosity < 0 or not self.total:
            return
        with self._lock:
            names = ", ".join(running[:3]) + (f" +{len(running) - 3}" if len(running) > 3 else "")
            text = f"[{self.done}/{self.total}] {names}"
            width = _terminal_width() - 1
            if len(text) > width:
                text = text[: max(width - 1, 0)] + "…"
            if self._live and text == self._shown:
                return
            self.out.write("\r\033[K" + text)
            self.out.flush()
            self._live = True
            self._shown = text

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            with self._lock:
                self._clear()
                self.out.write(text + "\n")
                self.out.flush()

    def detail(self, text: str) -> None:
        if self.verbosity >= 1:
            self.info(text)

    def warn(self, text: str) -> None:
        with self._lock:
            self._clear()
            self.err.write(f"tracekit: {text}\n")
            self.err.flush()

    def plan(self, to_run: int, cached: int) -> None:
        self.total = to_run
        self.done = 0
        if to_run:
            self.detail(f"{to_run} example(s) to run, {cached} up to date")

    def finished(self, outcome: Outcome) -> None:
        self.done += 1
        if self.verbosity < 0:
            return
        if not self.tty or self.verbosity >= 1:
            self.info(_outcome_line(outcome))
        if outcome.failures and self.verbosity >= 1 and outcome.detail:
            with self._lock:
                self._clear()
                for line in outcome.detail.rstrip().splitlines():
                    self.err.write(f"    {line}\n")
                self.err.flush()

    def cached(self, outcome: Outcome) -> None:
        self.detail(_outcome_line(outcome))

    def summary(self, result: BuildResult) -> None:
        with self._lock:
            self._clear()
        if self.tty and self.verbosity >= 0 and result.ran:
            rows = [("example", "status", "seconds", "hits")]
            for o in result.outcomes:
                if o.cached and self.verbosity < 1:
                    continue
                rows.append(
                    (
                        o.path,
                        o.status + (" (cached)" if o.cached else ""),
                        "-" if o.seconds is None else f"{o.seconds:.2f}",
                        "-" if o.hits is None else str(o.hits),
                    )
                )
            widths = [max(len(r[i]) for r in rows) for i in range(4)]
            for r in rows:
                self.out.write(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}".rstrip() + "\n")
        if self.verbosity >= 0:
            counts: dict[str, int] = {}
            for o in result.outcomes:
                counts[o.status] = counts.get(o.status, 0) + 1
            cached = sum(1 for o in result.outcomes if o.cached)
            bits = [f"{n} {s}" for s, n in sorted(counts.items())]
            ran = len(result.outcomes) - cached
            head = f"{len(result.outcomes)} example(s): {ran} run, {cached} up to date"
            self.out.write(f"{head}" + (f" ({', '.join(bits)})" if bits else "") + f" → {_display(result.output)}\n")
            self.out.flush()
        for o in result.outcomes:
            if o.status == "skipped":
                self.warn(f"skipped {o.display}: {o.note}")
        for rel in result.kept:
            self.warn(f"left {rel} in place: it changed since tracekit wrote it")
        if result.failed:
            self.warn(f"{len(result.failed)} example(s) failed:")
            with self._lock:
                for o in result.failed:
                    for line in o.lines() or [f"{o.display}: failed"]:
                        self.err.write(f"  {line}\n")
                self.err.flush()


def _outcome_line(o: Outcome) -> str:
    if o.cached:
        return f"{'up to date':14} {o.display}"
    secs = "" if o.seconds is None else f" {o.seconds:.2f}s"
    hits = "" if o.hits is None else f", {o.hits} hits"
    extra = f" — {o.failures[0].message.splitlines()[0]}" if o.failures else (f" — {o.note}" if o.note else "")
    return f"{o.status:14} {o.display}{secs}{hits}{extra}"


def _terminal_width() -> int:
    import shutil

    columns = shutil.get_terminal_size((80, 24)).columns
    return columns if columns >= 20 else 80


# ─────────────────────────────────────────────────────────────────────────────
# Planning
# ─────────────────────────────────────────────────────────────────────────────


def _display(path: Path | str) -> str:
    """PATH relative to the current folder when it is below it, else absolute."""
    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _page_paths(rel: str) -> tuple[str, str]:
    p = PurePosixPath(rel)
    return str(p.with_suffix(".html")), str(p.with_suffix(".json"))


@dataclass(repr=False, eq=False)
class _Plan:
    config: Config
    root: Path
    out: Path
    scope: list[str]  # relative paths (files or folders) the run covers; "" is everything
    all_examples: list[str]
    examples: list[str]  # this shard's share
    overlap: bool  # output and examples folders overlap: never overwrite foreign files


def _choose_root(paths: Sequence[Path], configured: Path) -> Path:
    if not paths:
        return configured
    resolved = [p.resolve() for p in paths]
    conf = configured.resolve()
    if all(_is_inside(p, conf) for p in resolved):
        return conf
    if len(resolved) == 1:
        return resolved[0] if resolved[0].is_dir() else resolved[0].parent
    return Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))


def _plan(config: Config, paths: Sequence[str | os.PathLike], output: str | os.PathLike | None, shard: tuple[int, int] | None) -> _Plan:
    given = [Path(p) for p in paths]
    for p in given:
        if not p.exists():
            raise BuildError(f"{p}: no such file or folder")
    if not given and not config.examples.is_dir():
        where = f" (set `examples` in [tool.tracekit] of {_display(config.pyproject)})" if config.pyproject else ""
        raise BuildError(f"examples folder {_display(config.examples)} does not exist{where}")
    root = _choose_root(given, config.examples).resolve()
    out = Path(output).expanduser().resolve() if output is not None else config.output.resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"output {_display(out)} is not a folder")
    scope = []
    for p in given:
        rel = p.resolve().relative_to(root).as_posix()
        scope.append("" if rel == "." else rel)
    if not given:
        scope = [""]
    overlap = _is_inside(out, root) or _is_inside(root, out)
    all_examples = discover(root, given, exclude=config.exclude, skip=[out])
    examples = all_examples
    if shard is not None:
        i, n = shard
        examples = [rel for k, rel in enumerate(all_examples) if k % n == i - 1]
    return _Plan(config, root, out, scope, all_examples, examples, overlap)


def _in_scope(rel: str, scope: Sequence[str]) -> bool:
    return any(s == "" or rel == s or rel.startswith(s + "/") for s in scope)


def _options(config: Config) -> dict:
    return {
        "device": config.device,
        "seed": config.seed,
        "hits": config.hits,
        "timeout": config.timeout,
        "memory": config.memory,
        "max_output": config.max_output,
    }


@dataclass(repr=False, eq=False)
class _Keyed:
    rel: str
    path: Path
    key: str
    source: str
    deps: dict[str, str]


def _keys(plan: _Plan, env: dict, examples: Sequence[str], imports: _Imports) -> dict[str, _Keyed]:
    options = _options(plan.config)
    out: dict[str, _Keyed] = {}
    cuda: list[str] | None = None
    for rel in examples:
        path = plan.root / rel
        try:
            data = path.read_bytes()
        except OSError as e:
            raise BuildError(f"cannot read {_display(path)}: {e.strerror}") from None
        source_sha = imports.sha(path.resolve(), data)
        deps = local_dependencies(path, plan.root, data, imports)
        auto = None
        if plan.config.device == "auto" or (b"auto" in data and re.search(_AUTO_PATTERN, data)):
            cuda = cuda if cuda is not None else _cuda_fingerprint()
            auto = cuda
        out[rel] = _Keyed(rel, path, cache_key(rel, source_sha, deps, env, options, auto), source_sha, deps)
    return out


def _files_intact(out: Path, files: dict[str, str], stats: _StatCache | None = None) -> bool:
    read = stats.sha if stats is not None else _file_sha
    return all(read(out / rel) == sha for rel, sha in files.items())


# ─────────────────────────────────────────────────────────────────────────────
# Running one example (in a worker thread)
# ─────────────────────────────────────────────────────────────────────────────


_parse_lock = threading.Lock()
_BUILD_TOKEN_VAR = "TRACEKIT_BUILD_TOKEN"


@dataclass(repr=False, eq=False)
class _Ran:
    kind: str  # ran | authoring | skipped
    example: Any = None
    result: Any = None  # RunResult
    error: Any = None  # AuthoringError
    message: str = ""
    device: str | None = None
    seconds: float = 0.0


def _run_example(plan: _Plan, rel: str, env_vars: dict, cancel: threading.Event, running: set, running_lock: threading.Lock) -> _Ran | None:
    if cancel.is_set():
        return None
    with running_lock:
        running.add(rel)
    started = time.monotonic()
    try:
        from .run import DeviceUnavailable, trace_file
        from .source import AuthoringError, read_example

        path = plan.root / rel
        with _parse_lock:
            try:
                example = read_example(path, plan.root)
            except AuthoringError as e:
                return _Ran("authoring", error=e, seconds=time.monotonic() - started)
        options = _options(plan.config)
        options.update({k: v for k, v in (example.options or {}).items() if k in options})
        kwargs: dict[str, Any] = dict(
            capture=True,
            probes=example.probes,
            seed=options["seed"],
            device=options["device"],
            timeout=options["timeout"],
            hits=options["hits"],
            cwd=str(plan.root),
            env=env_vars,
        )
        if options.get("memory") is not None:
            kwargs["memory"] = options["memory"]
        if options.get("max_output") is not None:
            kwargs["max_output"] = options["max_output"]
        image_lines = [item.line for item in example.items if item.image]
        if image_lines:
            kwargs["image_lines"] = image_lines
        if cancel.is_set():
            return None
        try:
            result = trace_file(path, **kwargs)
        except DeviceUnavailable as e:
            return _Ran("skipped", example=example, message=str(e), device=options["device"], seconds=time.monotonic() - started)
        return _Ran("ran", example=example, result=result, device=options["device"], seconds=time.monotonic() - started)
    finally:
        with running_lock:
            running.discard(rel)


def _kill_children(token: str) -> None:
    """SIGKILL the process groups of the children this build started (marked by TOKEN in their
    environment). Linux /proc; elsewhere the children end by their own timeout."""
    import signal

    me = os.getpid()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return
    marker = f"{_BUILD_TOKEN_VAR}={token}".encode()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat.rsplit(b")", 1)[1].split()[1])
            if ppid != me:
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker not in f.read().split(b"\0"):
                    continue
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue


# ─────────────────────────────────────────────────────────────────────────────
# Turning a run into pages
# ─────────────────────────────────────────────────────────────────────────────


def _classify(example: Any, trace: dict) -> tuple[str, list[Failure]]:
    from .render import page_status

    status = page_status(example, trace)
    failures: list[Failure] = []
    if status == "failed":
        err = trace.get("error") or {}
        kind = trace.get("status")
        message = str(err.get("message") or "").strip()
        first = message.splitlines()[0] if message else ""
        if kind == "timeout":
            text = first or "timed out"
        elif kind == "crashed":
            text = f"crashed: {first}" if first else "crashed"
        elif kind == "limit":
            text = f"over a limit: {first}" if first else "over a limit"
        else:
            etype = str(err.get("type") or "error")
            text = f"{etype}: {first}" if first else etype
            if kind == "error" and err.get("reason") not in ("syntax", "exit", "placeholder"):
                text += " (unexpected exception; mark the line `# tracekit: raises=" + etype.rsplit(".", 1)[-1] + "` if it is meant to raise)"
        line = err.get("line")
        failures.append(Failure(int(line) if isinstance(line, int) else None, text))
    for pe in trace.get("placeholder_errors") or []:
        failures.append(Failure(pe.get("line"), f"placeholder {{{pe.get('placeholder')}}} failed: {pe.get('error')}"))
    if failures:
        status = "failed"
    return status, failures


def _authoring_page(rel: str, path: Path, error: Any, env: dict, options: dict) -> tuple[Any, dict]:
    """An Example and a trace that render as the failure page of an example tracekit could not read."""
    from .source import Example, ListingLine

    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = text.splitlines()
    listing = [ListingLine(n, n, line.rstrip()) for n, line in enumerate(lines, 1)]
    example = Example(
        path=rel, title=PurePosixPath(rel).stem.replace("_", " ").strip().capitalize() or rel, intro="", options={}, listing=listing, items=[], probes={}
    )
    trace = {
        "schema": 1,
        "meta": {
            "tracekit": __version__,
            "python": env["python"],
            "torch": None,
            "numpy": None,
            "device": options.get("device") or "cpu",
            "device_name": None,
            "seed": options.get("seed"),
            "hits": options.get("hits"),
            "timeout": options.get("timeout"),
        },
        "source": {"path": rel, "sha256": _sha(data)},
        "status": "error",
        "exit_status": 1,
        "stdout": "",
        "stderr": "",
        "error": {
            "type": "AuthoringError",
            "message": getattr(error, "message", str(error)),
            "line": getattr(error, "line", None),
            "reason": "authoring",
            "traceback": [],
        },
        "lines": [],
    }
    return example, trace


class _Builder:
    def __init__(self, plan: _Plan, reporter: Reporter, *, force: bool, fail_fast: bool, jobs: int) -> None:
        self.plan = plan
        self.out = plan.out
        self.reporter = reporter
        self.force = force
        self.fail_fast = fail_fast
        self.jobs = jobs
        self.updates: dict[str, dict | None] = {}
        self.written: list[str] = []
        self.deleted: list[str] = []
        self.kept: list[str] = []
        self.signal: int | None = None
        self.critical = 0
        self.assets: dict[str, str] | None = None
        self.imports: _Imports | None = None
        self.unlisted: dict[str, str] = {}  # files that may have to go: rel → sha tracekit wrote
        self.stats: _StatCache | None = None
        self.asset_files: dict[str, bytes] = {}

    # signals: the handler raises unless a write is in progress; then it is raised right after
    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signal = signum
        if not self.critical:
            raise BuildInterrupted(signum)

    def _enter(self) -> None:
        self.critical += 1

    def _leave(self) -> None:
        self.critical -= 1
        if not self.critical and self.signal is not None:
            raise BuildInterrupted(self.signal)

    def display(self, rel: str) -> str:
        return _display(self.plan.root / rel)

    # writing
    def may_write(self, rel: str, manifest_files: dict[str, str]) -> bool:
        """May OUT/REL be replaced? Only if it is missing or tracekit wrote it (it is in the manifest).

        Where the output and examples folders overlap, the file must also still hold what tracekit
        wrote: a source that happens to share a page's name is never overwritten.
        """
        target = self.out / rel
        if not os.path.lexists(target):
            return True
        written = manifest_files.get(rel)
        if written is None:
            return False
        return not self.plan.overlap or written == _file_sha(target)

    def write(self, rel: str, data: bytes) -> str:
        atomic_write(self.out / rel, data)
        self.written.append(rel)
        return _sha(data)

    def delete(self, rel: str, sha: str) -> None:
        """Delete OUT/REL if it still holds what tracekit wrote (SHA); never anything else."""
        if not _safe_rel(rel):
            return
        target = self.out / rel
        try:
            resolved = target.parent.resolve() / target.name
        except OSError:
            return
        if not _is_inside(resolved, self.out.resolve()) or resolved == self.out.resolve():
            return
        if not os.path.lexists(target):
            return
        if target.is_symlink() or not target.is_file() or _file_sha(target) != sha:
            self.kept.append(rel)
            return
        try:
            target.unlink()
        except OSError:
            self.kept.append(rel)
            return
        self.deleted.append(rel)
        parent = target.parent
        while parent != self.out and _is_inside(parent, self.out):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent

    def load_assets(self) -> dict[str, str]:
        """Logical asset name → path relative to the output; the files are staged, not written."""
        if self.assets is None:
            import tempfile

            from .render import write_assets

            with tempfile.TemporaryDirectory(prefix="tracekit-assets-") as tmp:
                self.assets = dict(write_assets(Path(tmp)))
                for rel in self.assets.values():
                    self.asset_files[rel] = (Path(tmp) / rel).read_bytes()
        return self.assets

    # one finished run → pages + record
    def finish(self, rel: str, keyed: _Keyed, ran: _Ran, manifest: Manifest, env: dict) -> Outcome:
        display = self.display(rel)
        old = manifest.examples.get(rel)
        record_base = {"key": keyed.key, "source": keyed.source, "deps": keyed.deps}
        if ran.kind == "skipped":
            outcome = Outcome(rel, display, "skipped", seconds=ran.seconds, note=ran.message)
            if old is None:
                self.updates[rel] = {
                    **record_base,
                    "status": "skipped",
                    "title": PurePosixPath(rel).stem,
                    "intro": "",
                    "html": None,
                    "hits": None,
                    "failures": [],
                    "files": {},
                }
            return outcome
        if ran.kind == "authoring":
            err = ran.error
            example, trace = _authoring_page(rel, keyed.path, err, env, _options(self.plan.config))
            status = "failed"
            message = str(getattr(err, "message", err))
            failures = [Failure(getattr(err, "line", None), message.splitlines()[0])]
            hits = None
            detail = message
        else:
            example = ran.example
            trace = dict(ran.result.trace)
            trace["source"] = dict(trace.get("source") or {}, path=rel)
            status, failures = _classify(example, trace)
            hits = sum(int(line.get("hits") or 0) for line in trace.get("lines") or [])
            detail = "\n".join(str(trace.get("stderr") or "").rstrip().splitlines()[-20:])
        html_rel, json_rel = _page_paths(rel)
        outcome = Outcome(rel, display, status, seconds=ran.seconds, hits=hits, failures=failures, detail=detail if failures else "")
        manifest_files = manifest.files()
        figures = {}
        if ran.kind == "ran":
            for name, data in sorted((getattr(ran.result, "figures", None) or {}).items()):
                if _safe_rel(name) and "/" not in name:
                    figures[f"{FIGURES_DIR}/{name}"] = data
        blocked = [p for p in (html_rel, json_rel) if not self.may_write(p, manifest_files)]
        blocked += [p for p, data in figures.items() if _file_sha(self.out / p) != _sha(data) and not self.may_write(p, manifest_files)]
        if html_rel == "index.html":
            blocked = [html_rel]
        if blocked:
            outcome.status = "failed"
            what = "the site index" if html_rel == "index.html" else f"{_display(self.out / blocked[0])}, which tracekit did not write"
            outcome.failures = [Failure(None, f"refusing to overwrite {what}; rename the example or choose another output folder")]
            self.updates[rel] = {
                **record_base,
                "status": "failed",
                "title": PurePosixPath(rel).stem,
                "intro": "",
                "html": None,
                "hits": hits,
                "failures": [f.to_dict() for f in outcome.failures],
                "files": (old or {}).get("files", {}) if old else {},
            }
            return outcome
        from .render import page_json, render_page

        depth = rel.count("/")
        html = render_page(example, trace, assets=self.load_assets(), root_rel="../" * depth, json_name=PurePosixPath(json_rel).name)
        page = page_json(example, dict(trace, build={"cache_key": keyed.key}))
        intro = (example.intro or "").strip()
        record = {
            **record_base,
            "status": status,
            "title": example.title,
            "intro": " ".join(intro.split("\n\n", 1)[0].split()) if intro else "",  # the first paragraph
            "html": html_rel,
            "hits": hits,
            "failures": [f.to_dict() for f in failures],
        }
        self._enter()
        try:
            files = {}
            for fig_rel, data in figures.items():  # first the figures, then the pages showing them
                sha = _sha(data)
                if _file_sha(self.out / fig_rel) != sha:
                    self.write(fig_rel, data)
                files[fig_rel] = sha
            files[html_rel] = self.write(html_rel, html.encode("utf-8"))
            files[json_rel] = self.write(json_rel, page.encode("utf-8"))
            record["files"] = dict(sorted(files.items()))
            self.updates[rel] = record
            for stale_rel, sha in ((old or {}).get("files") or {}).items():
                if stale_rel not in files:
                    self.unlisted[stale_rel] = sha
        finally:
            self._leave()
        return outcome

    def commit(self, env: dict, *, site: dict[str, str] | None = None, index_of: str | None = None) -> Manifest:
        """Merge this build's records into the manifest on disk (under the manifest lock)."""
        self._enter()
        try:
            with _Lock(self.out / MANIFEST_LOCK_NAME, blocking=True):
                current = Manifest.load(self.out)
                for rel, rec in self.updates.items():
                    if rec is None:
                        current.examples.pop(rel, None)
                    else:
                        current.examples[rel] = rec
                if site is not None:
                    current.site = site
                    current.index_of = index_of
                current.env = env
                if self.imports is not None:
                    current.imports.update(self.imports.used)
                current.prune_imports()
                # Files no record lists any more go, if they still hold what tracekit wrote (a
                # figure another page shows stays).
                listed = current.files()
                for rel, sha in sorted(self.unlisted.items()):
                    if rel not in listed:
                        self.delete(rel, sha)
                self.unlisted = {}
                data = current.to_bytes()
                path = self.out / MANIFEST_NAME
                try:
                    same = path.read_bytes() == data
                except OSError:
                    same = False
                if not same:
                    atomic_write(path, data)
                return current
        finally:
            self._leave()

    def write_site(self, manifest: Manifest, env: dict) -> tuple[dict[str, str], str]:
        """Write the assets and index.html for MANIFEST's examples; return (site files, index_of)."""
        from .render import render_index

        assets = self.load_assets()
        site: dict[str, str] = {}
        old_files = manifest.files()
        self._enter()
        try:
            for rel in sorted(self.asset_files):
                data = self.asset_files[rel]
                sha = _sha(data)
                if _file_sha(self.out / rel) != sha:
                    if not self.may_write(rel, old_files):
                        raise BuildError(f"refusing to overwrite {_display(self.out / rel)}, which tracekit did not write")
                    self.write(rel, data)
                site[rel] = sha
            html = render_index(_index_entries(manifest.examples), assets=assets).encode("utf-8")
            if _file_sha(self.out / "index.html") != _sha(html):
                if not self.may_write("index.html", old_files):
                    raise BuildError(f"refusing to overwrite {_display(self.out / 'index.html')}, which tracekit did not write")
                self.write("index.html", html)
            site["index.html"] = _sha(html)
            for rel, sha in manifest.site.items():
                if rel not in site:
                    self.unlisted[rel] = sha
        finally:
            self._leave()
        return site, _index_of(manifest.examples, env)


# ─────────────────────────────────────────────────────────────────────────────
# The build
# ─────────────────────────────────────────────────────────────────────────────


def _prepare_output(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"cannot create output folder {_display(out)}: {e.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise BuildError(f"output folder {_display(out)} is not writable")


def _resolve_config(config: Config | None, options: dict) -> Config:
    cfg = config if config is not None else load_config()
    return cfg.with_options(**options)


def build(
    paths: Sequence[str | os.PathLike] = (),
    *,
    output: str | os.PathLike | None = None,
    config: Config | None = None,
    jobs: int | None = None,
    force: bool = False,
    fail_fast: bool = False,
    shard: str | tuple[int, int] | None = None,
    index_only: bool = False,
    reporter: Reporter | None = None,
    device: str | None = None,
    seed: int | None = None,
    timeout: float | None = None,
    hits: int | None = None,
    memory: Any = None,
    max_output: Any = None,
    exclude: Sequence[str] | None = None,
) -> BuildResult:
    """Build the pages of the examples under PATHS (default: the configured examples folder)
    into OUTPUT. Raises ConfigError/BuildError (exit status 2) and BuildInterrupted (130/143)."""
    reporter = reporter or Reporter()
    cfg = _resolve_config(
        config,
        dict(
            device=device, seed=seed, timeout=timeout, hits=hits, memory=memory, max_output=max_output, jobs=jobs, exclude=tuple(exclude) if exclude else None
        ),
    )
    if isinstance(shard, str):
        shard = parse_shard(shard)
    if shard is not None and index_only:
        raise BuildError("--shard and --index-only do not go together")
    plan = _plan(cfg, paths, output, shard)
    _prepare_output(plan.out)
    builder = _Builder(plan, reporter, force=force, fail_fast=fail_fast, jobs=cfg.jobs or os.cpu_count() or 1)

    import signal

    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            handlers[signum] = signal.signal(signum, builder._on_signal)
    try:
        with _Lock(plan.out / LOCK_NAME, shared=shard is not None):
            manifest = Manifest.load(plan.out)
            if manifest.problem:
                reporter.warn(manifest.problem)
            stats = _StatCache.for_output(plan.out)
            env = environment(stats)
            builder.stats = stats
            if index_only:
                site, index_of = builder.write_site(manifest, env)
                builder.commit(env, site=site, index_of=index_of)
                outcomes = [Outcome(rel, builder.display(rel), rec.get("status") or "failed", cached=True) for rel, rec in sorted(manifest.examples.items())]
                result = BuildResult(plan.out, outcomes, builder.written, builder.deleted, builder.kept, index_written=True)
                reporter.info(f"index of {len(outcomes)} example(s) → {_display(plan.out / 'index.html')}")
                return result
            try:
                return _build(builder, manifest, env, shard is not None)
            finally:
                stats.save()
    finally:
        for signum, old in handlers.items():
            signal.signal(signum, old)


def _build(builder: _Builder, manifest: Manifest, env: dict, sharded: bool) -> BuildResult:
    plan, reporter, out = builder.plan, builder.reporter, builder.out
    builder.imports = _Imports(plan.root, manifest.imports)
    keyed = _keys(plan, env, plan.examples, builder.imports)
    todo: list[str] = []
    for rel in plan.examples:
        rec = manifest.examples.get(rel)
        if (
            builder.force
            or rec is None
            or rec.get("key") != keyed[rel].key
            or rec.get("status") not in ("ok", "expected error")
            or not _files_intact(out, rec.get("files") or {}, builder.stats)
        ):
            todo.append(rel)
    orphans = [rel for rel in manifest.examples if _in_scope(rel, plan.scope) and rel not in set(plan.all_examples)]
    for rel in orphans:
        builder.updates[rel] = None
        builder.unlisted.update(manifest.examples[rel].get("files") or {})
    outcomes: dict[str, Outcome] = {}
    for rel in plan.examples:
        if rel not in todo:
            rec = manifest.examples[rel]
            outcomes[rel] = Outcome(rel, builder.display(rel), rec.get("status") or "ok", cached=True, hits=rec.get("hits"))
            reporter.cached(outcomes[rel])
    reporter.plan(len(todo), len(plan.examples) - len(todo))

    site_ok = sharded or (
        not builder.force
        and manifest.site
        and manifest.index_of == _index_of(manifest.examples, env)
        and _files_intact(out, manifest.site, builder.stats)
        and manifest.env == env
    )
    if not todo and not orphans and site_ok:
        result = BuildResult(out, [outcomes[rel] for rel in plan.examples])
        reporter.info(f"{len(plan.examples)} example(s) up to date → {_display(out)}")
        return result

    interrupted: BuildInterrupted | None = None
    abort: BuildError | None = None
    try:
        if todo:
            abort = _run_all(builder, todo, keyed, manifest, env, outcomes)
    except BuildInterrupted as e:
        interrupted = e
    # merge what was finished, even when interrupted or aborted
    builder.signal, saved = None, builder.signal
    merged = builder.commit(env)
    if interrupted is None and abort is None and not sharded:
        try:
            site, index_of = builder.write_site(merged, env)
            builder.commit(env, site=site, index_of=index_of)
        except BuildInterrupted as e:
            interrupted = e
    if saved is not None and interrupted is None:
        interrupted = BuildInterrupted(saved)
    if interrupted is not None:
        pages = sum(1 for r in builder.written if r.endswith(".html") and r != "index.html")
        raise BuildInterrupted(interrupted.signum, pages)
    if abort is not None:
        raise abort
    result = BuildResult(
        out, [outcomes[rel] for rel in plan.examples if rel in outcomes], builder.written, builder.deleted, builder.kept, index_written=not sharded
    )
    reporter.summary(result)
    return result


def _run_all(builder: _Builder, todo: list[str], keyed: dict[str, _Keyed], manifest: Manifest, env: dict, outcomes: dict[str, Outcome]) -> BuildError | None:
    """Run TODO in parallel, turning each finished run into pages; returns a BuildError that
    should end the build (explicit device unavailable) after what finished is merged."""
    import secrets
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    plan, reporter = builder.plan, builder.reporter
    token = secrets.token_hex(8)
    env_vars = dict(os.environ)
    env_vars[_BUILD_TOKEN_VAR] = token
    env_vars.setdefault("PYTHONHASHSEED", "0")  # set and dict orders of str: same on every build
    env_vars.setdefault("SOURCE_DATE_EPOCH", "0")  # tools that stamp files (matplotlib's SVG/PDF) use it
    cancel = threading.Event()
    running: set[str] = set()
    running_lock = threading.Lock()
    abort: BuildError | None = None
    pool = ThreadPoolExecutor(max_workers=max(1, min(builder.jobs, len(todo))), thread_name_prefix="tracekit")
    futures: dict[Future, str] = {}
    queue = list(reversed(todo))
    workers = max(1, min(builder.jobs, len(todo)))
    pending: set[Future] = set()
    try:
        while queue or pending:
            # Keep as many runs in flight as there are workers, no more: a failure is seen
            # (and --fail-fast obeyed) before the next example starts.
            while queue and len(pending) < workers and not cancel.is_set():
                rel = queue.pop()
                fut = pool.submit(_run_example, plan, rel, env_vars, cancel, running, running_lock)
                futures[fut] = rel
                pending.add(fut)
            if not pending:
                break
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: futures[f]):
                rel = futures[fut]
                if cancel.is_set():
                    continue
                try:
                    ran = fut.result()
                except Exception as e:  # an internal error: that example fails, the build goes on
                    outcome = Outcome(rel, builder.display(rel), "failed", failures=[Failure(None, f"internal error: {type(e).__name__}: {e}")])
                    ran = None
                else:
                    if ran is None:
                        continue
                    if ran.kind == "skipped" and "device" in plan.config.explicit and ran.device == plan.config.device:
                        abort = BuildError(f"device {plan.config.device!r} is not available: {ran.message}")
                        cancel.set()
                        _kill_children(token)
                        continue
                    outcome = builder.finish(rel, keyed[rel], ran, manifest, env)
                outcomes[rel] = outcome
                reporter.finished(outcome)
                if outcome.status == "failed" and builder.fail_fast:
                    cancel.set()
                    _kill_children(token)
            with running_lock:
                names = sorted(running)
            reporter.progress(names)
    except BaseException:
        cancel.set()
        _drain(pool, futures, token)
        raise
    _drain(pool, futures, token if cancel.is_set() else None)
    return abort


def _drain(pool: Any, futures: dict, token: str | None) -> None:
    """Cancel what has not started; with TOKEN, kill the children still running (again and again,
    so that one a worker was just starting dies too) until every worker has returned."""
    from concurrent.futures import wait

    pool.shutdown(wait=False, cancel_futures=True)
    pending = {f for f in futures if not f.done()}
    while pending:
        if token is not None:
            _kill_children(token)
        _, pending = wait(pending, timeout=0.1)
    pool.shutdown(wait=True)


# ─────────────────────────────────────────────────────────────────────────────
# Check
# ─────────────────────────────────────────────────────────────────────────────


def check(
    paths: Sequence[str | os.PathLike] = (),
    *,
    output: str | os.PathLike | None = None,
    config: Config | None = None,
    device: str | None = None,
    seed: int | None = None,
    timeout: float | None = None,
    hits: int | None = None,
    memory: Any = None,
    max_output: Any = None,
    exclude: Sequence[str] | None = None,
) -> CheckResult:
    """Is every page in OUTPUT what a build would write now, and does every example pass?
    Runs nothing: compares cache keys, and the files on disk with the manifest's hashes."""
    cfg = _resolve_config(
        config, dict(device=device, seed=seed, timeout=timeout, hits=hits, memory=memory, max_output=max_output, exclude=tuple(exclude) if exclude else None)
    )
    plan = _plan(cfg, paths, output, None)
    out = plan.out
    problems: list[Problem] = []
    notes: list[str] = []
    with _Lock(out / LOCK_NAME, shared=True, create=False):
        manifest = Manifest.load(out)
        if manifest.problem:
            problems.append(Problem("stale", _display(out / MANIFEST_NAME), manifest.problem))
        env = environment()
        keyed = _keys(plan, env, plan.examples, _Imports(plan.root, manifest.imports))
        for rel in plan.examples:
            k = keyed[rel]
            display = _display(plan.root / rel)
            rec = manifest.examples.get(rel)
            if rec is None:
                html = _display(out / _page_paths(rel)[0])
                problems.append(Problem("missing", html, f"no page for {display}; run `tracekit build`"))
                continue
            if rec.get("key") != k.key:
                problems.append(Problem("stale", display, _stale_reason(rec, k, manifest.env, env)))
                continue
            bad_file = False
            for file_rel, sha in sorted((rec.get("files") or {}).items()):
                on_disk = _file_sha(out / file_rel)
                if on_disk is None:
                    problems.append(Problem("missing", _display(out / file_rel), f"page of {display} is missing"))
                    bad_file = True
                elif on_disk != sha:
                    problems.append(Problem("stale", _display(out / file_rel), "changed since tracekit wrote it (edited by hand?)"))
                    bad_file = True
            status = rec.get("status")
            if status == "failed":
                for f in rec.get("failures") or [{"line": None, "message": "failed"}]:
                    where = f"{display}:{f.get('line')}" if f.get("line") else display
                    problems.append(Problem("failing", where, str(f.get("message") or "failed").splitlines()[0]))
            elif status == "skipped":
                notes.append(f"{display}: skipped (its device is not available here)")
            elif not bad_file and status not in ("ok", "expected error"):
                problems.append(Problem("failing", display, f"status {status!r}"))
        for rel in sorted(manifest.examples):
            if _in_scope(rel, plan.scope) and rel not in set(plan.all_examples):
                files = sorted(manifest.examples[rel].get("files") or {})
                shown = ", ".join(_display(out / f) for f in files) or "(no files)"
                problems.append(Problem("orphaned", shown, f"its example {_display(plan.root / rel)} no longer exists"))
        if not manifest.site:
            problems.append(Problem("missing", _display(out / "index.html"), "no index; run `tracekit build` (or `tracekit build --index-only`)"))
        else:
            for file_rel, sha in sorted(manifest.site.items()):
                on_disk = _file_sha(out / file_rel)
                if on_disk is None:
                    problems.append(Problem("missing", _display(out / file_rel), "part of the site is missing"))
                elif on_disk != sha:
                    problems.append(Problem("stale", _display(out / file_rel), "changed since tracekit wrote it (edited by hand?)"))
            if manifest.index_of != _index_of(manifest.examples, env) or manifest.env.get("tool") != env["tool"]:
                problems.append(Problem("stale", _display(out / "index.html"), "does not list the pages as they are now; run `tracekit build`"))
    return CheckResult(out, len(plan.examples), problems, notes)


def _stale_reason(rec: dict, k: _Keyed, old_env: dict, env: dict) -> str:
    if rec.get("source") != k.source:
        return "the example changed since its page was built"
    old_deps = rec.get("deps") or {}
    changed = sorted(set(old_deps) ^ set(k.deps) | {d for d in k.deps if old_deps.get(d) not in (None, k.deps[d])})
    if changed:
        return f"its local module(s) {', '.join(changed)} changed since its page was built"
    diffs = [f"{name} {old_env.get(name)} → {env.get(name)}" for name in ("tracekit", "python", "torch", "numpy") if old_env.get(name) != env.get(name)]
    if old_env.get("tool") != env.get("tool") and not diffs:
        diffs.append("tracekit's own files changed")
    if diffs:
        return "built with " + ", ".join(diffs)
    return "built with other options (seed, hits, device, timeout, memory or max_output)"


class _CallableModule(type(sys)):  # type: ignore[misc]
    """`tracekit.build(...)` calls :func:`build` even once this module is the package attribute."""

    def __call__(self, *args: Any, **kwargs: Any) -> BuildResult:
        return build(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
