"""tracekit: turn example scripts into annotated, line-by-line execution-state pages from a real run."""

from .child.version import __version__

__all__ = ["__version__", "build", "check", "trace_file"]


def __getattr__(name: str) -> object:
    # Lazy, so that the child process and `python -m tracekit` start without loading the whole package.
    if name == "trace_file":
        from .run import trace_file

        return trace_file
    if name == "build":
        from .site import build

        return build
    if name == "check":
        from .site import check

        return check
    raise AttributeError(f"module 'tracekit' has no attribute {name!r}")
