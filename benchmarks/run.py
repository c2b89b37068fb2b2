"""Speed of `tracekit run` as a ratio to plain `python`, both timed in this one command.

Each case runs alternately under plain python and under tracekit (after one warm-up run that
fills the instrumented-code cache); the ratio is median(tracekit) / median(python).
Usage: python benchmarks/run.py [--repeat N] [CASE ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = {
    # name: (file, target ratio)
    "a one_step_of_learning": ("one_step_of_learning.py", 1.3),
    "b cubic_fit (2,000 autograd steps)": ("cubic_fit.py", 1.3),
    "c pure_loop (10**6 iterations)": ("pure_loop.py", 3.0),
    "d straight_line (300 statements)": ("straight_line.py", 1.5),
    # Not an issue target: a guard on the per-write cost of attributing output to lines.
    "e print_loop (200,000 printed lines)": ("print_loop.py", 5.0),
    # The chapter's training loop as it is: nn.Module + Adam, 300 steps, a matplotlib figure.
    "f training_loop (nn.Module + Adam, 300 steps)": ("../../examples/training_loop.py", 1.3),
}


def _time(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("cases", nargs="*")
    opts = parser.parse_args()
    env = dict(os.environ)
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        env["TRACEKIT_CACHE_DIR"] = os.path.join(tmp, "cache")
        trace = os.path.join(tmp, "trace.json")
        print(f"{'case':46} {'python s':>9} {'tracekit s':>11} {'ratio':>7} {'target':>7}")
        for name, (file, target) in CASES.items():
            if opts.cases and not any(c in name for c in opts.cases):
                continue
            script = str(HERE / "cases" / file)
            plain = [sys.executable, script]
            traced = [sys.executable, "-m", "tracekit", "run", "--trace", trace, script]
            _time(traced, env)  # fills the code cache, as any second build would find it
            p, t = [], []
            for _ in range(opts.repeat):
                p.append(_time(plain, env))
                t.append(_time(traced, env))
            mp, mt = statistics.median(p), statistics.median(t)
            ratio = mt / mp
            ok = ratio <= target
            missed += not ok
            print(f"{name:46} {mp:9.3f} {mt:11.3f} {ratio:7.2f} {('<= ' + str(target)):>7} {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
