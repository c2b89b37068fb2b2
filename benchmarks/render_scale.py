"""Does a page cost in proportion to its script? One command builds a 2,000-line and a 20,000-line
script (simple assignments, a few prints and functions, no prose: one long fold, the case that
was quadratic) and prints the ratio of the two build times             (target <= 15)

Each build is `tracekit build DIR -o OUT --force -q` with a fresh TRACEKIT_CACHE_DIR, so it
instruments, runs and renders the script. The ratio judged is of CPU time (the build, its
supervisor and the example, user + system), which a busy machine disturbs far less than wall
time; the wall-time ratio and the peak memory of the build process (the renderer, not the
example it runs) are printed beside it.

Usage: python benchmarks/render_scale.py [--small N] [--large N] [--target R]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def script(lines: int) -> str:
    """A script of LINES lines: assignments, a function every 50 lines, a print every 100."""
    out = ['"""A long script of simple statements."""', ""]
    i = 0
    while len(out) < lines:
        if i % 50 == 0:
            out += [f"def f{i}(x):", f"    y = x + {i}", "    return y * 2", ""]
        elif i % 50 == 1:
            out.append(f"v{i} = f{i - 1}({i})")
        elif i % 100 == 13:
            out.append(f"print('line', {i}, v{i - 1})")
        else:
            out.append(f"v{i} = {i} + 1")
        i += 1
    return "\n".join(out[:lines]) + "\n"


def _tracekit() -> list[str]:
    exe = Path(sys.executable).parent / "tracekit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tracekit"]


def build(lines: int, tmp: Path) -> tuple[float, float, float]:
    """Build a script of LINES lines: (CPU seconds, wall seconds, peak memory of the build process in MB)."""
    folder = tmp / f"lines{lines}"
    folder.mkdir()
    (folder / "long.py").write_text(script(lines), encoding="utf-8")
    env = dict(os.environ, TRACEKIT_CACHE_DIR=str(tmp / f"cache{lines}"))
    cmd = _tracekit() + ["build", str(folder), "-o", str(tmp / f"out{lines}"), "--force", "-q"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"{' '.join(cmd)} exited with status {proc.returncode}")
    if not (tmp / f"out{lines}" / "long.html").is_file():
        raise SystemExit(f"the {lines}-line build wrote no page")
    return usage.ru_utime + usage.ru_stime, elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--target", type=float, default=15.0)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        small, small_wall, small_mb = build(opts.small, tmp)
        large, large_wall, large_mb = build(opts.large, tmp)
    ratio = large / small
    ok = ratio <= opts.target
    print(f"{'measure':40} {'CPU s':>8} {'wall s':>8} {'peak MB':>8} {'ratio':>7} {'target':>7}")
    name = f"build of a {opts.large:,}-line script"
    print(f"{name:40} {large:8.2f} {large_wall:8.2f} {large_mb:8.0f} {ratio:7.2f} {'<= ' + str(opts.target):>7} {'ok' if ok else 'MISSED'}")
    print(f"{f'  (baseline: a {opts.small:,}-line script)':40} {small:8.2f} {small_wall:8.2f} {small_mb:8.0f}")
    print(f"{'  (wall-time ratio)':40} {'':8} {large_wall / small_wall:8.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
