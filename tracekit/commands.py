"""The click commands: a thin layer over tracekit's Python API (`tracekit.cli.main` runs them)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from .child.version import __version__

__all__ = ["cli"]


def _device(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .options import parse_device

    if value is None:
        return None
    try:
        if parse_device(value) == value:
            return value
    except ValueError:
        pass
    raise click.BadParameter(f"{value!r} is not one of cpu, cuda, cuda:N, mps, auto")


def _click_type(kind: str) -> Any:
    """The click type of a command-line kind in tracekit.options.OPTIONS ("text": click's default)."""
    types = {
        "int": int,
        "int>=0": click.IntRange(min=0),
        "int>=1": click.IntRange(min=1),
        "float>0": click.FloatRange(min=0, min_open=True),
    }
    return types.get(kind)


def _table_options(command: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator adding the click options of the run options COMMAND ("run" or "build") takes, in the table's
    order."""
    from .options import OPTIONS

    made = []
    for option in OPTIONS.values():
        kind = option.run_cli if command == "run" else option.build_cli
        if not kind:
            continue
        if command == "run":
            extra: dict[str, Any] = {"callback": _device} if kind == "device" else {"type": _click_type(kind)}
            if option.default is not None:  # `tracekit run`'s default is the table's; a build's comes from the config
                extra.update(default=option.default, show_default=True)
            made.append(click.option(option.flag, help=option.help_of_run(), **extra))
        elif kind == "flag":
            made.append(click.option(f"{option.flag}/--no-{option.flag[2:]}", default=None, help=option.build_help()))
        else:
            made.append(click.option(option.flag, type=_click_type(kind), help=option.build_help()))

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for add in reversed(made):
            f = add(f)
        return f

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracekit")
def cli() -> None:
    """Turn example scripts into annotated, line-by-line execution-state pages."""


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), help="Write the trace JSON here.")
@_table_options("run")
@click.option(
    "--figures", "figures_dir", type=click.Path(file_okay=False), help="Write captured figures (PNG) into this folder."
)
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(
    ctx: click.Context,
    trace_path: str | None,
    figures_dir: str | None,
    script: str,
    args: tuple[str, ...],
    **options: Any,
) -> None:
    """Run SCRIPT as `python SCRIPT ARGS...` would, recording a trace.

    tracekit's options go before SCRIPT; everything after it is the script's. As a convenience,
    a run of tracekit options that starts with --trace and ends the command line is read too.
    """
    from .codecache import CacheError, cache_dir
    from .options import RunOptions
    from .run import DeviceUnavailable, trace_file

    try:
        cache_dir()
    except CacheError as e:
        _fail(str(e), e.exit_status)

    args, late = _trailing_options(ctx, args)
    trace_path = late.pop("trace_path", trace_path)
    figures_dir = late.pop("figures_dir", figures_dir)
    options.update(late)

    try:
        result = trace_file(script, args, trace_path=trace_path, figures_dir=figures_dir, options=RunOptions(**options))
    except DeviceUnavailable as e:
        click.echo(f"tracekit: {e}", err=True)
        sys.exit(2)
    code = result.exit_status
    error = result.trace.error
    if error is not None and error.type == "ReservedNameError":
        click.echo(f"tracekit: {script}:{error.line}:{error.extra.get('column') or 1}: {error.message}", err=True)
        sys.exit(2)
    if code < 0:
        # Die of the same signal, so the caller sees exactly what python would have shown.
        import signal

        sys.stdout.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


def _trailing_options(ctx: click.Context, args: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Split `SCRIPT ARGS… --trace FILE [--seed N …]` into the script's ARGS and tracekit's options.

    Only a suffix that starts with --trace and holds nothing but run's own options is taken, so
    a script's own `--seed` or `--device` (common in training scripts) still reaches the script.
    """
    options = {name: p for p in ctx.command.params if isinstance(p, click.Option) for name in p.opts}
    for start, token in enumerate(args):
        if token.partition("=")[0] != "--trace":
            continue
        found: dict[str, Any] = {}
        i = start
        while i < len(args):
            name, eq, value = args[i].partition("=")
            param = options.get(name)
            if param is None or (not eq and i + 1 >= len(args)):
                break
            if not eq:
                value = args[i + 1]
            i += 1 if eq else 2
            converted = param.type.convert(value, param, ctx)
            found[param.name] = param.callback(ctx, param, converted) if param.callback else converted
        else:
            return args[:start], found
    return args, {}


def _hits_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`tracekit instrument --hits`, as `tracekit run` takes it."""
    from .options import OPTIONS

    hits = OPTIONS["hits"]
    return click.option(hits.flag, type=_click_type(hits.run_cli), default=hits.default, show_default=True)


@cli.command()
@_hits_option()
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
def instrument(hits: int, script: str) -> None:
    """Print the instrumented source of SCRIPT (for debugging)."""
    import os
    import stat

    from .child.instrument import describe_syntax_error, instrumented_source
    from .child.protocol import MAX_SOURCE_BYTES

    try:
        st = os.stat(script)
    except OSError as e:
        _fail(f"{script}: {e.strerror}", 1)
    if not stat.S_ISREG(st.st_mode):
        _fail(f"{script} is not a regular file", 1)
    if st.st_size > MAX_SOURCE_BYTES:
        _fail(f"{script} is {st.st_size:,} bytes; tracekit reads sources up to {MAX_SOURCE_BYTES:,}", 1)
    with open(script, "rb") as f:
        source = f.read(MAX_SOURCE_BYTES + 1)
    try:
        click.echo(instrumented_source(source, script, hits), nl=False)
    except SyntaxError as e:
        click.echo(f"tracekit: {describe_syntax_error(e, script)}", err=True)
        sys.exit(1)
    except ValueError as e:  # e.g. null bytes, in Pythons that report them so
        click.echo(f"tracekit: {script}: {e}", err=True)
        sys.exit(1)


# ── build, check, serve: thin wrappers over tracekit.site and tracekit.serve ──


def _run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The run options (they are part of every cache key), the paths and the output of build and check."""
    for option in reversed(
        [
            click.option(
                "--exclude", multiple=True, help="Glob of example paths to leave out (repeatable; config: exclude)."
            ),
            click.option("-o", "--output", type=click.Path(file_okay=False), help="Output folder (config: output)."),
            click.option("-q", "--quiet", is_flag=True, help="Only errors."),
            click.option("-v", "--verbose", count=True, help="More detail."),
            click.argument("paths", nargs=-1, type=click.Path()),
        ]
    ):
        f = option(f)
    return _table_options("build")(f)  # first in --help


class _Jobs(click.ParamType[Any]):
    """-j N (N >= 1), or -j auto: the CPU count."""

    name = "N|auto"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        text = str(value).strip()
        if text.lower() == "auto":
            return os.cpu_count() or 1
        try:
            number = int(text)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{text!r} is neither a positive whole number nor auto", param, ctx)
        return number


_JOBS = _Jobs()


def _fail(message: str, status: int) -> None:
    from .site.paths import visible

    click.echo(f"tracekit: {visible(message)}", err=True)
    sys.exit(status)


def _warn(message: str) -> None:
    """Print MESSAGE as _fail does (terminal-safe), and go on."""
    from .site.paths import visible

    click.echo(f"tracekit: {visible(message)}", err=True)


def _run_api(call):  # type: ignore[no-untyped-def]
    """Call CALL, turning tracekit's usage errors and interrupts into a message and an exit status."""
    from .codecache import CacheError, cache_dir
    from .config import ConfigError
    from .site import BuildError, BuildInterrupted

    try:
        cache_dir()  # refused before anything is read from it or run
        return call()
    except (ConfigError, BuildError, CacheError) as e:
        _fail(str(e), getattr(e, "exit_status", 2))
    except BuildInterrupted as e:
        _fail(str(e), e.exit_status)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


@cli.command()
@_run_options
@click.option(
    "-j",
    "--jobs",
    type=_JOBS,
    help="Examples run at once: a number, or auto for the CPU count (default: CPU count; config: jobs).",
)
@click.option("--force", is_flag=True, help="Run every example again, ignoring the cache.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failing example.")
@click.option("--retry-failed", is_flag=True, help="Run examples that failed last time again, though unchanged.")
@click.option("--shard", metavar="I/N", help="Build only the I-th of N shares of the examples.")
@click.option(
    "--index-only", is_flag=True, help="Only write index.html and assets/ from the manifest (after sharded builds)."
)
@click.option(
    "--rebuild-manifest",
    is_flag=True,
    help="Make a new manifest from the files tracekit wrote (recognised by content), e.g. when it is damaged.",
)
@click.option(
    "--warm/--no-warm",
    default=None,
    help=(
        "Fork each example from a warm parent that imported its preload modules (torch, numpy, matplotlib) once "
        "(config: "
        "warm; default on)."
    ),
)
def build(
    paths: tuple[str, ...],
    output: str | None,
    quiet: bool,
    verbose: int,
    jobs: int | None,
    force: bool,
    fail_fast: bool,
    retry_failed: bool,
    shard: str | None,
    index_only: bool,
    rebuild_manifest: bool,
    **options: object,
) -> None:
    """Build pages for the examples in PATHS (default: the configured examples folder)."""
    from .site import Reporter
    from .site import build as build_site

    reporter = Reporter(verbosity=-1 if quiet else verbose)
    result = _run_api(
        lambda: build_site(
            paths,
            output=output,
            jobs=jobs,
            force=force,
            fail_fast=fail_fast,
            retry_failed=retry_failed,
            shard=shard,
            index_only=index_only,
            rebuild_manifest=rebuild_manifest,
            reporter=reporter,
            **_given(options),
        )
    )
    sys.exit(result.exit_status)


@cli.command()
@_run_options
def check(paths: tuple[str, ...], output: str | None, quiet: bool, verbose: int, **options: object) -> None:
    """Exit 0 only if every page is what a build would write now and every example passes."""
    from .site import check as check_site
    from .site.check_site import report

    result = _run_api(lambda: check_site(paths, output=output, **_given(options)))
    sys.exit(report(result, quiet=quiet, verbose=verbose))


@cli.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False), help="The merged site's folder (config: output).")
@click.option(
    "--examples",
    "examples",
    multiple=True,
    type=click.Path(),
    help="Examples the shards were built from (default: the configured examples folder).",
)
@click.option(
    "--exclude", multiple=True, help="Glob of example paths to leave out, as the shards' builds did (config: exclude)."
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("-v", "--verbose", count=True, help="More detail.")
def merge(
    shards: tuple[str, ...],
    output: str | None,
    examples: tuple[str, ...],
    exclude: tuple[str, ...],
    quiet: bool,
    verbose: int,
) -> None:
    """Merge the output folders SHARDS of `tracekit build --shard i/n` into one site with its index.

    Refuses, writing nothing, shards that do not fit together: an example built differently by two
    shards, shards built in different environments, a missing shard, a listed file missing or edited.
    """
    from .site import Reporter
    from .site import merge as merge_site

    reporter = Reporter(verbosity=-1 if quiet else verbose)
    result = _run_api(
        lambda: merge_site(shards, output=output, paths=examples, exclude=exclude or None, reporter=reporter)
    )
    sys.exit(result.exit_status)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True)
@click.option(
    "--watch",
    multiple=True,
    type=click.Path(exists=True),
    help=(
        "Rebuild when files under these paths change (default: the examples folder); open pages reload themselves "
        "after "
        "each rebuild."
    ),
)
@click.option("--no-build", is_flag=True, help="Serve only; do not build or watch.")
@click.option("-v", "--verbose", count=True, help="Log requests and every example.")
def serve(directory: str | None, port: int, watch: tuple[str, ...], no_build: bool, verbose: int) -> None:
    """Serve the site on 127.0.0.1 and rebuild what changed when a source changes."""
    from pathlib import Path

    from .config import ConfigError, load_config
    from .livereload import LiveState
    from .serve import serve as serve_site
    from .site import BuildError, BuildInterrupted, Reporter
    from .site import build as build_site

    config = _run_api(load_config)
    out = Path(directory) if directory else config.output
    watched = [Path(p) for p in watch] or ([config.examples] if config.examples.is_dir() else [])

    def rebuild() -> None:
        try:
            build_site(watched, output=out, config=config, reporter=Reporter(verbosity=verbose))
        except BuildInterrupted as e:
            raise KeyboardInterrupt from e  # Ctrl-C during a rebuild stops the server too

    live = LiveState() if not no_build and watched else None
    try:
        if live is not None:
            try:
                rebuild()
            except (BuildError, ConfigError) as e:  # served anyway: the pages show the error
                _warn(str(e))
                live.rebuilt(str(e))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    try:
        serve_site(
            out,
            port=port,
            watch=[] if no_build else watched,
            rebuild=None if no_build else rebuild,
            echo=lambda m: click.echo(f"tracekit: {m}", err=True),
            verbose=bool(verbose),
            live=live,
        )
    except OSError as e:
        _fail(f"cannot serve on 127.0.0.1:{port}: {e.strerror}", 2)


def _given(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None and v != ()}
