"""Instrument every module of Python's standard library and check the result compiles.

For each ``.py`` file under the standard library (``sysconfig.get_paths()["stdlib"]``,
``site-packages`` excluded), in sorted order:

1. ``compile()`` the original; a file python itself cannot compile (lib2to3 test data,
   files in a deliberately bad encoding, ...) is skipped and counted as such;
2. ``tracekit.child.instrument.instrument(source, path)`` rewrites it and compiles the
   instrumented tree -- that must succeed.

Prints the counts and the time taken; exits 1 if any file failed.  The full run takes
~150 s (``make bench``); ``--every K`` instruments every K-th file only, ``--limit N``
the first N, ``-v`` lists each failure with its traceback.

Usage: python benchmarks/stdlib_instrument.py [--every K] [--limit N] [-v]
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tracekit.child.instrument import ReservedNameError, instrument  # noqa: E402


def stdlib_files() -> list[Path]:
    """Every .py file of the standard library, sorted by path; site-packages excluded."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "dist-packages", "__pycache__"))
        for name in filenames:
            if name.endswith(".py"):
                out.append(Path(dirpath) / name)
    return sorted(out)


def sample(files: list[Path], every: int) -> list[Path]:
    """Every EVERY-th file of FILES (deterministic)."""
    return files[:: max(1, every)]


def check_file(path: Path) -> tuple[str, str | None]:
    """('ok' | 'skipped' | 'failed', detail): instrument PATH if python compiles it."""
    try:
        source = path.read_bytes()
    except OSError as e:
        return "skipped", f"unreadable: {e}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
            return "skipped", f"{type(e).__name__}: {e}"
    try:
        result = instrument(source, str(path))
        # instrument() compiles the rewritten tree itself; be explicit about what is required.
        assert type(result.code).__name__ == "code", type(result.code)
        assert result.code.co_filename == str(path), result.code.co_filename
    except ReservedNameError as e:  # a stdlib module using a __tk_ name would be refused by design
        return "skipped", f"reserved name: {e}"
    except BaseException as e:  # noqa: BLE001 - any failure of the instrumenter is a finding
        if isinstance(e, KeyboardInterrupt):
            raise
        return "failed", "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return "ok", None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="instrument every K-th file only")
    parser.add_argument("--limit", type=int, default=0, help="stop after N files")
    parser.add_argument("-v", "--verbose", action="store_true")
    opts = parser.parse_args(argv)
    files = sample(stdlib_files(), opts.every)
    if opts.limit:
        files = files[: opts.limit]
    counts = {"ok": 0, "skipped": 0, "failed": 0}
    failures: list[tuple[Path, str]] = []
    slowest: list[tuple[float, Path]] = []
    total_bytes = 0
    started = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        status, detail = check_file(path)
        dt = time.perf_counter() - t0
        counts[status] += 1
        if status == "ok":
            total_bytes += path.stat().st_size
            slowest.append((dt, path))
        elif status == "failed":
            failures.append((path, detail or ""))
    elapsed = time.perf_counter() - started
    slowest.sort(reverse=True)
    print(f"stdlib: {Path(sysconfig.get_paths()['stdlib'])}  (python {sys.version.split()[0]})")
    print(f"files: {len(files)}  instrumented+compiled: {counts['ok']}  skipped (python cannot compile): {counts['skipped']}  failed: {counts['failed']}")
    print(f"time: {elapsed:.1f} s  ({total_bytes / 1e6:.1f} MB of source, {1000 * elapsed / max(1, len(files)):.1f} ms per file)")
    for dt, path in slowest[:3]:
        print(f"  slowest: {dt:6.2f} s  {path}")
    for path, detail in failures:
        print(f"FAILED {path}")
        if opts.verbose:
            print(detail)
        else:
            print("   ", detail.strip().splitlines()[-1] if detail.strip() else "")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
