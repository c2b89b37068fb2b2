"""The command line. `main` answers a build with nothing to do (reporting its cached failures) or
a passing check from the standard library alone (no click, libcst, Jinja2 or Markdown: such a
no-op costs little more than python's start); everything else goes to the click commands in
tracekit.commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]  # and `cli`, the click group, loaded on first use

#: set (to anything) to always take the click path, e.g. to compare the two
SLOW_PATH_VAR = "TRACEKIT_NO_FAST_PATH"


def _simple(argv: Sequence[str]) -> tuple[str, list[str], str | None, bool] | None:
    """(command, paths, output, quiet) for `build|check [PATHS…] [-o DIR] [-q]`; None for anything else."""
    if not argv or argv[0] not in ("build", "check"):
        return None
    paths: list[str] = []
    output: str | None = None
    quiet = False
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg in ("-o", "--output") and args and args[0] and not args[0].startswith("-"):
            output = args.pop(0)
        elif arg.startswith("--output=") and len(arg) > len("--output="):
            output = arg[len("--output=") :]
        elif arg in ("-q", "--quiet"):
            quiet = True
        elif arg and not arg.startswith("-"):
            paths.append(arg)
        else:
            return None
    return argv[0], paths, output, quiet


def _fast(argv: Sequence[str]) -> int | None:
    """The exit status of a build with nothing to do (its failures reported again) or of a passing
    check; None: take the click path."""
    import os

    if os.environ.get(SLOW_PATH_VAR):
        return None
    form = _simple(argv)
    if form is None:
        return None
    command, paths, output, quiet = form
    try:
        from .codecache import cache_dir

        cache_dir()  # a cache others can write to is refused, by the click path's message
        if command == "build":
            import io

            from . import noop
            from .site.report import Reporter, report_noop

            remembered = noop.answer(argv)
            result = _rebuilt(*remembered) if remembered is not None else None
            if result is None:
                from .site.uptodate import noop_build

                done = noop_build(paths, output)
                if done is None:
                    return None
                result, source, trees, files, clean = done
                noop.remember(argv, trees, files, source, clean)
                examples = len(source[2])
            else:
                examples = len(remembered[2])  # type: ignore[index]
            out, err = io.StringIO(), io.StringIO()  # all said, or nothing (the click path then says it)
            report_noop(result, examples, Reporter(verbosity=-1 if quiet else 0, out=out, err=err, tty=False))
            for stream, text in ((sys.stdout, out.getvalue()), (sys.stderr, err.getvalue())):
                stream.write(text)
                stream.flush()
            return result.exit_status
        from .site.check_site import check, report

        checked = check(paths, output=output)
        if checked.problems:
            return None  # the click path reports them, with every detail
        return report(checked, quiet=quiet)
    except KeyboardInterrupt:
        sys.stderr.write("tracekit: interrupted\n")
        return 130
    except Exception:  # anything unusual (a configuration error, a locked folder): the click path says it
        return None


def _rebuilt(output: str, root: str, examples: list[str]) -> Any:
    """The BuildResult of a remembered no-op, from the manifest in OUTPUT; None when it does not fit."""
    from pathlib import Path

    from .site.manifest import Manifest
    from .site.results import noop_result

    manifest = Manifest.load(Path(output))
    if manifest.problem or not all(rel in manifest.examples for rel in examples):
        return None
    return noop_result(Path(output), Path(root), examples, manifest)


def main() -> None:
    """Console-script entry point."""
    status = _fast(sys.argv[1:])
    if status is not None:
        sys.exit(status)
    from .commands import cli

    cli(prog_name="tracekit")


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, loaded on first use
        from .commands import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
