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

Modules, in the order data flows: ``discover`` → ``plan`` (config, scope) → ``keys`` (cache
keys) → ``execute`` (one child run) → ``pages`` (render and write one example) → ``manifest``
(what was written) → ``build`` / ``check``; ``lock``, ``report``, ``paths`` and ``results``
are shared by all.
"""

from ..config import ConfigError
from .build_site import build
from .check_site import check
from .discover import discover
from .keys import cache_key, local_dependencies
from .merge import merge
from .paths import MANIFEST_NAME
from .report import Reporter
from .results import BuildError, BuildInterrupted, BuildResult, CheckResult, Outcome, Problem

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
