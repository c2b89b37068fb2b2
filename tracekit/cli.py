"""The command line: a thin click layer over tracekit's Python API."""

from __future__ import annotations

import os
import sys

import click

from ._version import __version__

__all__ = ["main"]

DEVICES = ("cpu", "cuda", "mps", "auto")


def _device(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if value in DEVICES or (value.startswith("cuda:") and value[5:].isdigit()):
        return value
    raise click.BadParameter(f"{value!r} is not one of cpu, cuda, cuda:N, mps, auto")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracekit")
def cli() -> None:
    """Turn example scripts into annotated, line-by-line execution-state pages."""


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), help="Write the trace JSON here.")
@click.option("--device", callback=_device, help="cpu, cuda, cuda:N, mps or auto: torch's default device.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for random, numpy and torch.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Kill the script after this many seconds.")
@click.option("--hits", type=click.IntRange(min=1), default=3, show_default=True, help="Hits of each line recorded in full.")
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(trace_path: str | None, device: str | None, seed: int, timeout: float | None, hits: int, script: str, args: tuple[str, ...]) -> None:
    """Run SCRIPT as `python SCRIPT ARGS...` would, recording a trace."""
    from .run import DeviceUnavailable, trace_file

    try:
        result = trace_file(script, args, trace_path=trace_path, device=device, seed=seed, timeout=timeout, hits=hits)
    except DeviceUnavailable as e:
        click.echo(f"tracekit: {e}", err=True)
        sys.exit(2)
    code = result.exit_status
    if code < 0:
        # Die of the same signal, so the caller sees exactly what python would have shown.
        import signal

        sys.stdout.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


@cli.command()
@click.option("--hits", type=click.IntRange(min=1), default=3, show_default=True)
@click.argument("script", type=click.Path(exists=True, dir_okay=False))
def instrument(hits: int, script: str) -> None:
    """Print the instrumented source of SCRIPT (for debugging)."""
    from .instrument import instrumented_source

    with open(script, "rb") as f:
        source = f.read()
    try:
        click.echo(instrumented_source(source, script, hits), nl=False)
    except SyntaxError as e:
        click.echo(f"tracekit: {script}:{e.lineno}:{e.offset}: {e.msg}", err=True)
        sys.exit(1)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="tracekit")
