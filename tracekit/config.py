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

from .options import OPTIONS, RunOptions, parse_flag, parse_whole
from .options import parse_device as _device_value
from .options import parse_memory as parse_memory

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


#: the settings that are not run options (those are tracekit.options.OPTIONS): key → a good value
_SETTINGS: dict[str, str] = {
    "examples": "a folder path (string)",
    "output": "a folder path (string)",
    "jobs": "a positive integer",
    "exclude": "a list of glob patterns (strings)",
    "helpers": "a list of glob patterns (strings): modules that never get a page",
    "pages": "a list of glob patterns (strings): modules that always get a page, even when imported",
    "title": "a string: the site's title, shown on the table of contents",
    "description": "a string (Markdown): the introduction under the site's title",
    "order": "a list of glob patterns (strings): pages matching earlier patterns come first",
    "warm": (
        "true or false: run examples in processes forked from a warm parent that imported their preload modules once"
    ),
}

#: every `[tool.tracekit]` key → a description of a good value
KEYS: dict[str, str] = {**_SETTINGS, **{name: option.expected for name, option in OPTIONS.items() if option.config}}

#: the defaults of the settings that are not run options (a build's defaults of those: OPTIONS)
DEFAULTS: dict[str, Any] = {
    "examples": "examples",
    "output": "output",
    "jobs": None,  # os.cpu_count()
    "exclude": [],
    "helpers": [],
    "pages": [],
    "title": "Examples",
    "description": "",
    "warm": True,
}


class ConfigError(Exception):
    """A bad configuration value or option; the message is one line, meant for the user."""


@dataclass(frozen=True, eq=False)
class Config:
    """Resolved settings. Paths are absolute; `source` names where they came from (for messages).

    The run options are in RUN (a build's defaults, then `[tool.tracekit]`, then the command
    line), and read as attributes too: `config.timeout` is `config.run.timeout`."""

    examples: Path
    output: Path
    run: RunOptions = field(default_factory=RunOptions.for_build)
    jobs: int | None = None
    exclude: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    title: str = "Examples"
    description: str = ""
    order: tuple[str, ...] = ()
    warm: bool = True
    pyproject: Path | None = None
    explicit: frozenset[str] = field(default_factory=frozenset)  # keys given on the command line

    def __getattr__(self, name: str) -> Any:
        if name in OPTIONS:  # only called for names that are not attributes of Config itself
            return getattr(object.__getattribute__(self, "run"), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def run_options(self) -> RunOptions:
        """The run options this configuration sets (a build's defaults for the others)."""
        return replace(self.run, preload=self.run.preload if self.warm else None)

    def with_options(self, **options: Any) -> Config:
        """A copy with command-line OPTIONS (None means: not given) applied on top."""
        given = {k: v for k, v in options.items() if v is not None and v != ()}
        for key in given:
            if key not in KEYS:
                raise ConfigError(f"unknown option {key!r}")
        values: dict[str, Any] = {}
        for key, value in given.items():
            values[key] = _validate(key, value, "command line", base=Path.cwd())
        return replace(self, **_split(values, self.run), explicit=self.explicit | frozenset(given))


def _split(values: dict[str, Any], run: RunOptions) -> dict[str, Any]:
    """VALUES as Config's fields: the run options among them go into a copy of RUN."""
    settings = {k: v for k, v in values.items() if k not in OPTIONS}
    return {**settings, "run": replace(run, **{k: v for k, v in values.items() if k in OPTIONS})}


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
    return Config(pyproject=path, **_split(merged, RunOptions.for_build()))


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
        from .codecache import cache_dir

        cached = Path(cache_dir()) / "config" / (sha + ".json")
        entry = json.loads(cached.read_bytes())
        if isinstance(entry, dict) and entry.get("sha256") == sha and isinstance(entry.get("table"), dict):
            table: dict[str, Any] = entry["table"]
            return table
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
            from .child.jsonio import atomic_write

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

    if key == "device" and isinstance(value, str):
        return parse_device(value, where)  # its own message
    option = OPTIONS.get(key)
    if option is not None:
        try:
            return option.parse(value)
        except ValueError:
            raise bad() from None
    if key in ("examples", "output"):
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str) or not value.strip():
            raise bad()
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p
    if key == "jobs":
        try:
            return parse_whole(value, 1)
        except ValueError:
            raise bad() from None
    if key == "warm":
        try:
            return parse_flag(value)
        except ValueError:
            raise bad() from None
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
    raise ConfigError(f"{where}: unknown key {key!r}")  # pragma: no cover - callers check KEYS


def parse_device(value: str, where: str = "command line") -> str:
    """VALUE if it names a device tracekit knows (cpu, cuda, cuda:N, mps, auto)."""
    try:
        return _device_value(value)
    except ValueError:
        raise ConfigError(
            f"{where}: bad device {value.strip()!r} (expected one of cpu, cuda, cuda:N, mps, auto)"
        ) from None


def parse_shard(value: str) -> tuple[int, int]:
    """'i/n' (1 <= i <= n) → (i, n); ConfigError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value or "")
    if not match:
        raise ConfigError(f"bad --shard {value!r} (expected i/n, e.g. 1/4)")
    i, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ConfigError(f"bad --shard {value!r}: i must be between 1 and n")
    return i, n
