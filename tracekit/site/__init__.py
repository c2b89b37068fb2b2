"""Build a site of pages from a folder of examples: discover → cache check → run in parallel →
write atomically → index. Also `check` (is the committed site what a build would write now?).

Incremental and honest: every example has a cache key, a sha256 over everything that can change
its page — its source bytes, the local modules it imports (found with `ast`, recursively), the
run options (seed, hits, device, timeout, memory), tracekit's version and the hash of tracekit's
own package files, the Python, torch and numpy versions. The manifest `DIR/.tracekit-manifest.json`
lists every file tracekit wrote with its sha256, and each example's key; an example is run again
only when its key changed, when one of its files is missing or was edited, or when it failed last
time. Only files listed in the manifest (and still holding what tracekit wrote) are ever deleted.

The parent never imports torch, and a no-op build imports neither libcst nor Jinja2. Names are
imported lazily (on first use), so that importing one stage loads only what that stage needs.

Modules, in the order data flows: ``discover`` → ``plan`` (config, scope) → ``keys`` (cache
keys) → ``execute`` (one child run) → ``pages`` (render and write one example) → ``manifest``
(what was written) → ``build`` / ``check`` / ``merge``; ``uptodate`` decides that a build has
nothing to do; ``lock``, ``report``, ``paths`` and ``results``
are shared by all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# `discover` names both a submodule and its function: bound here, so that the function wins
# whatever is imported first (a lazy name would be shadowed by the submodule once it is imported).
from .discover import discover

if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from ..config import ConfigError
    from .build_site import build
    from .check_site import check
    from .keys import cache_key, local_dependencies
    from .merge_site import merge
    from .paths import MANIFEST_NAME
    from .report import Reporter
    from .results import BuildError, BuildInterrupted, BuildResult, CheckResult, Outcome, Problem

#: public name → the module of this package (or tracekit's) that defines it
_NAMES = {
    "ConfigError": "..config",
    "build": ".build_site",
    "check": ".check_site",
    "merge": ".merge_site",
    "cache_key": ".keys",
    "local_dependencies": ".keys",
    "MANIFEST_NAME": ".paths",
    "Reporter": ".report",
    "BuildError": ".results",
    "BuildInterrupted": ".results",
    "BuildResult": ".results",
    "CheckResult": ".results",
    "Outcome": ".results",
    "Problem": ".results",
}

__all__ = [
    "MANIFEST_NAME",
    "BuildError",
    "BuildInterrupted",
    "BuildResult",
    "CheckResult",
    "ConfigError",
    "Outcome",
    "Problem",
    "Reporter",
    "build",
    "cache_key",
    "check",
    "discover",
    "local_dependencies",
    "merge",
]


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
