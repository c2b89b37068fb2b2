"""`[tool.tracekit]` in pyproject.toml: where examples and pages live, and how examples run.

Precedence, lowest first: built-in defaults, `[tool.tracekit]`, command-line options, then the
per-file options an example sets with `# tracekit: KEY=VALUE` (device, seed, timeout, hits, memory).
Every problem is a :class:`ConfigError` with a one-line message (the CLI exits with status 2).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .options import RunOptions
from .protocol import DEFAULT_HITS, DEFAULT_TIMEOUT

__all__ = [
    "Config",
    "ConfigError",
    "DEFAULTS",
    "KEYS",
    "find_pyproject",
    "load_config",
    "parse_device",
    "parse_memory",
    "parse_shard",
]


#: key → (description of a good value, default)
KEYS: dict[str, str] = {
    "examples": "a folder path (string)",
    "output": "a folder path (string)",
    "device": "one of cpu, cuda, cuda:N, mps, auto",
    "seed": "a non-negative integer",
    "timeout": "a positive number of seconds",
    "jobs": "a positive integer",
    "hits": "a positive integer",
    "last_hit": "true or false: also record the last hit of lines hit more often than hits (in the same run)",
    "exclude": "a list of glob patterns (strings)",
    "helpers": "a list of glob patterns (strings): modules that never get a page",
    "pages": "a list of glob patterns (strings): modules that always get a page, even when imported",
    "memory": "a size such as 512M or 2G, or a number of bytes",
    "max_output": "a size such as 1M: bytes an example and the processes it starts may write to stdout and stderr before it is stopped",
    "title": "a string: the site's title, shown on the table of contents",
    "description": "a string (Markdown): the introduction under the site's title",
    "order": "a list of glob patterns (strings): pages matching earlier patterns come first",
    "warm": "true or false: run examples in processes forked from a warm parent that imported their preload modules once",
    "preload": "a list of module names (strings) such as torch or matplotlib.pyplot: imported once per warm parent, for the examples that import them",
}

DEFAULTS: dict[str, Any] = {
    "examples": "examples",
    "output": "output",
    "device": None,
    "seed": 0,
    "timeout": DEFAULT_TIMEOUT,
    "jobs": None,  # os.cpu_count()
    "hits": DEFAULT_HITS,
    "last_hit": True,
    "exclude": [],
    "helpers": [],
    "pages": [],
    "memory": None,
    "max_output": None,  # tracekit.run's default, 10M bytes
    "title": "Examples",
    "description": "",
    "warm": True,
    "preload": ("torch", "numpy", "matplotlib", "matplotlib.pyplot"),
}

_DEVICE_RE = re.compile(r"cpu|cuda|cuda:\d+|mps|auto")
_MODULE_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_MEMORY_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class ConfigError(Exception):
    """A bad configuration value or option; the message is one line, meant for the user."""


@dataclass(frozen=True, eq=False)
class Config:
    """Resolved settings. Paths are absolute; `source` names where they came from (for messages)."""

    examples: Path
    output: Path
    device: str | None = None
    seed: int | None = 0
    timeout: float | None = DEFAULT_TIMEOUT
    jobs: int | None = None
    hits: int = DEFAULT_HITS
    last_hit: bool = True
    exclude: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    memory: int | None = None
    max_output: int | None = None
    title: str = "Examples"
    description: str = ""
    order: tuple[str, ...] = ()
    warm: bool = True
    preload: tuple[str, ...] = ("torch", "numpy", "matplotlib", "matplotlib.pyplot")
    pyproject: Path | None = None
    explicit: frozenset[str] = field(default_factory=frozenset)  # keys given on the command line

    def run_options(self) -> RunOptions:
        """The run options this configuration sets (tracekit's defaults for the others)."""
        given = {
            "device": self.device,
            "timeout": self.timeout,
            "hits": self.hits,
            "last_hit": self.last_hit,
            "memory": self.memory,
            "max_output": self.max_output,
        }
        return RunOptions(seed=self.seed, preload=self.preload if self.warm else None).merged(given)

    def with_options(self, **options: Any) -> Config:
        """A copy with command-line OPTIONS (None means: not given) applied on top."""
        given = {k: v for k, v in options.items() if v is not None and v != ()}
        for key in given:
            if key not in KEYS:
                raise ConfigError(f"unknown option {key!r}")
        values: dict[str, Any] = {}
        for key, value in given.items():
            values[key] = _validate(key, value, "command line", base=Path.cwd())
        return replace(self, **values, explicit=self.explicit | frozenset(given))


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml at START (default: the current folder) or above it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None, pyproject: Path | None = None) -> Config:
    """Read `[tool.tracekit]` from the nearest pyproject.toml (relative paths in it are relative
    to its folder); without one, the defaults relative to the current folder."""
    path = pyproject if pyproject is not None else find_pyproject(start)
    table: dict[str, Any] = {}
    base = (start or Path.cwd()).resolve()
    if path is not None:
        base = path.resolve().parent
        table = _read_table(path)
    where = f"{_show(path)} [tool.tracekit]" if path is not None else "defaults"
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"{where}: unknown key {key!r} (known: {known})")
        values[key] = _validate(key, value, where, base=base)
    for key in ("examples", "output"):
        if key not in values:
            values[key] = (base / DEFAULTS[key]) if path is not None else (Path.cwd() / DEFAULTS[key])
    globs = ("exclude", "helpers", "pages", "order")
    merged = {k: v for k, v in DEFAULTS.items() if k not in ("examples", "output", *globs)}
    merged.update({k: v for k, v in values.items()})
    for key in globs:
        merged.setdefault(key, ())
    return Config(pyproject=path, **merged)


def _read_table(path: Path) -> dict[str, Any]:
    """The `[tool.tracekit]` table of PATH. Parsed tables are remembered in tracekit's cache
    folder by the sha256 of the file, so that a no-op build does not pay for tomllib; an entry
    is believed only when it names that same sha256 (one for other text is not this file's)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{_show(path)}: cannot read: {e.strerror}") from None
    if b"tracekit" not in raw:
        return {}
    import hashlib
    import json

    cached: Path | None = None
    sha = hashlib.sha256(raw).hexdigest()
    try:
        from ._codecache import cache_dir

        cached = Path(cache_dir()) / "config" / (sha + ".json")
        entry = json.loads(cached.read_bytes())
        if isinstance(entry, dict) and entry.get("sha256") == sha and isinstance(entry.get("table"), dict):
            return entry["table"]
    except Exception:
        pass
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{_show(path)}: not valid TOML: {e}") from None
    tool = data.get("tool", {})
    table = tool.get("tracekit", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{_show(path)}: [tool.tracekit] must be a table")
    if cached is not None:
        try:
            from ._jsonio import atomic_write

            atomic_write(cached, json.dumps({"sha256": sha, "table": table}, sort_keys=True).encode())
        except (OSError, TypeError, ValueError):
            pass  # TOML dates are not JSON; an unwritable cache only costs speed
    return table


def _show(path: Path | None) -> str:
    if path is None:
        return "pyproject.toml"
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def _validate(key: str, value: Any, where: str, *, base: Path) -> Any:
    """The checked, normalised VALUE of KEY; ConfigError naming WHERE otherwise."""

    def bad() -> ConfigError:
        return ConfigError(f"{where}: bad value for {key!r}: {value!r} (expected {KEYS[key]})")

    if key in ("examples", "output"):
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str) or not value.strip():
            raise bad()
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p
    if key == "device":
        if not isinstance(value, str):
            raise bad()
        return parse_device(value, where)
    if key in ("seed", "jobs", "hits"):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
                value = int(value)
            else:
                raise bad()
        if value < (0 if key == "seed" else 1):
            raise bad()
        return value
    if key == "preload":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and _MODULE_RE.fullmatch(v) for v in value):
            raise bad()
        return tuple(value)
    if key in ("last_hit", "warm"):
        if not isinstance(value, bool):
            raise bad()
        return value
    if key == "timeout":
        if isinstance(value, bool):
            raise bad()
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise bad() from None
        if not (0 < seconds < float("inf")):
            raise bad()
        return seconds
    if key in ("title", "description"):
        if not isinstance(value, str) or (key == "title" and not value.strip()):
            raise bad()
        return value.strip()
    if key in ("exclude", "helpers", "pages", "order"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise bad()
        return tuple(value)
    if key in ("memory", "max_output"):
        try:
            return parse_memory(value)
        except ValueError:
            raise bad() from None
    raise ConfigError(f"{where}: unknown key {key!r}")  # pragma: no cover - callers check KEYS


def parse_device(value: str, where: str = "command line") -> str:
    """VALUE if it names a device tracekit knows (cpu, cuda, cuda:N, mps, auto)."""
    value = value.strip()
    if not _DEVICE_RE.fullmatch(value):
        raise ConfigError(f"{where}: bad device {value!r} (expected one of cpu, cuda, cuda:N, mps, auto)")
    return value


def parse_memory(value: Any) -> int:
    """Bytes from an int or a size string such as '512M', '2G', '1.5GiB'; ValueError if bad."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(value)
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    match = _MEMORY_RE.fullmatch(value.strip())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(value)
    size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size <= 0:  # rounds to no byte at all: it would mean no limit
        raise ValueError(value)
    return size


def parse_shard(value: str) -> tuple[int, int]:
    """'i/n' (1 <= i <= n) → (i, n); ConfigError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value or "")
    if not match:
        raise ConfigError(f"bad --shard {value!r} (expected i/n, e.g. 1/4)")
    i, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ConfigError(f"bad --shard {value!r}: i must be between 1 and n")
    return i, n
