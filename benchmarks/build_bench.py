"""Speed of `tracekit build`, as two ratios measured in this one command.

cold:  `tracekit build examples -j 2 -o TMP --force` with a fresh TRACEKIT_CACHE_DIR, wall time
       ÷ running each example once with plain `python`, one after another      (target <= 1.0)
no-op: `tracekit build examples -o TMP` when nothing changed (median of N)
       ÷ one plain `python -c pass` start (median of N, interleaved)          (target <= 2.0)

The no-op is timed as a developer meets it: more than two seconds after the build wrote its
files (a build trusts no file mtime younger than that), so it takes the command line's
standard-library fast path.

Usage: python benchmarks/build_bench.py [--repeat N] [--examples DIR] [--keep-env] [--noop-only]
--noop-only builds the site once (untimed) and measures the no-op ratio alone.
By default the timed commands run with Python's bytecode cache enabled (PYTHONDONTWRITEBYTECODE
removed from their environment), as on a developer machine; --keep-env leaves it as it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _time(cmd: list[str], env: dict, cwd: Path, check: bool = True) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(cmd)} exited with status {proc.returncode}")
    return elapsed


def _tracekit() -> list[str]:
    script = Path(sys.executable).parent / "tracekit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracekit"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--examples", default=str(ROOT / "examples"))
    parser.add_argument("--keep-env", action="store_true")
    parser.add_argument("--noop-only", action="store_true", help="measure only the no-op ratio")
    opts = parser.parse_args()
    examples = Path(opts.examples).resolve()
    scripts = sorted(p for p in examples.rglob("*.py") if not any(part.startswith("_") for part in p.relative_to(examples).parts))
    env = dict(os.environ)
    if not opts.keep_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    tk = _tracekit()
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        env["TRACEKIT_CACHE_DIR"] = str(Path(tmp) / "cache")
        # warm the OS file cache and the bytecode of the parent (not tracekit's code cache)
        _time([sys.executable, "-c", "import tracekit.cli, tracekit.site, tracekit.render, tracekit.source"], env, ROOT)
        for s in [] if opts.noop_only else scripts:
            _time([sys.executable, str(s)], env, ROOT, check=False)

        plain = sum(_time([sys.executable, str(s)], env, ROOT, check=False) for s in ([] if opts.noop_only else scripts))
        shutil.rmtree(env["TRACEKIT_CACHE_DIR"], ignore_errors=True)
        cold = _time(tk + ["build", str(examples), "-j", "2", "-o", str(out), "--force", "-q"], env, ROOT, check=False)

        time.sleep(2.1)  # files written in the last two seconds are never trusted by their mtime
        _time(tk + ["build", str(examples), "-o", str(out), "-q"], env, ROOT, check=False)  # settle
        starts, noops = [], []
        for _ in range(opts.repeat):
            starts.append(_time([sys.executable, "-c", "pass"], env, ROOT))
            noops.append(_time(tk + ["build", str(examples), "-o", str(out), "-q"], env, ROOT, check=False))
        start, noop = statistics.median(starts), statistics.median(noops)

    print(f"{'measure':58} {'seconds':>9} {'ratio':>7} {'target':>7}")
    rows = [
        (f"cold build -j 2 ({len(scripts)} examples) / plain python, sequential", cold, plain, 1.0),
        ("no-op rebuild / python -c pass (medians)", noop, start, 2.0),
    ][1 if opts.noop_only else 0 :]
    for name, a, b, target in rows:
        ratio = a / b
        ok = ratio <= target
        missed += not ok
        print(f"{name:58} {a:9.3f} {ratio:7.2f} {('<= ' + str(target)):>7} {'ok' if ok else 'MISSED'}")
        print(f"{'  (baseline)':58} {b:9.3f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
