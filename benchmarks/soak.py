"""Soak test: 200 generated examples (10% failing) built with -j 2, then rebuilt after touching 10%.

Checks, and prints: no process or temporary file left behind, the parent's peak memory flat
(200 examples vs 50), exactly the touched and the failing examples re-run, the summary exact.
Exit status 1 if any check fails. Usage: python benchmarks/soak.py [--count N]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = re.compile(r"(\d+) example\(s\): (\d+) run, (\d+) up to date \(([^)]*)\)")


def make_examples(folder: Path, count: int) -> list[str]:
    """COUNT small examples; every tenth raises an unmarked exception."""
    folder.mkdir(parents=True, exist_ok=True)
    failing = []
    for i in range(count):
        name = f"ex_{i:03d}.py"
        body = [f'"""Example {i}\n\nGenerated for the soak test.\n"""', f"n = {i}", "total = 0", "for k in range(50):", "    total += k * n", "print(total)"]
        if i % 10 == 7:
            body.append("raise ValueError('generated failure')")
            failing.append(name)
        (folder / name).write_text("\n".join(body) + "\n")
    return failing


def build(examples: Path, out: Path, cache: Path) -> tuple[int, str, float, int]:
    """Run `tracekit build -j 2`; return (exit status, stderr+stdout, seconds, parent peak RSS KiB)."""
    env = dict(os.environ, TRACEKIT_CACHE_DIR=str(cache))
    cmd = [
        sys.executable,
        "-c",
        "import resource, sys; from tracekit.cli import main; sys.argv[0] = 'tracekit'\ntry:\n    main()\nfinally:\n    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)",
        "build",
        str(examples),
        "-o",
        str(out),
        "-j",
        "2",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    text = proc.stdout + proc.stderr
    peak = int(re.search(r"PEAK (\d+)", text).group(1))
    return proc.returncode, text, seconds, peak


def leftovers(marker: str) -> list[str]:
    """Processes whose command line mentions MARKER (a folder of this soak run)."""
    out = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            text = Path(cmdline).read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in text and str(os.getpid()) not in cmdline:
            out.append(text)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    opts = parser.parse_args()
    problems: list[str] = []
    tmp_before = set(glob.glob(os.path.join(tempfile.gettempdir(), "tracekit-*")))
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        root = Path(tmp)
        small_ex, big_ex = root / "small", root / "examples"
        make_examples(small_ex, opts.count // 4)
        failing = make_examples(big_ex, opts.count)
        _, _, _, small_peak = build(small_ex, root / "small-out", root / "cache")

        status, text, seconds, peak = build(big_ex, root / "out", root / "cache")
        m = SUMMARY.search(text)
        print(f"cold build: {opts.count} examples in {seconds:.1f} s, exit {status}, summary: {m.group(0) if m else '?'}")
        expected_failed = len(failing)
        if status != 1:
            problems.append(f"cold build exit status {status}, expected 1")
        if not m or int(m.group(2)) != opts.count or f"{expected_failed} failed" not in m.group(4):
            problems.append(f"cold build summary not exact: {m.group(0) if m else text[-400:]}")
        for name in failing:
            if name not in text:
                problems.append(f"failure of {name} not named in the summary")
        print(f"parent peak RSS: {small_peak} KiB for {opts.count // 4} examples, {peak} KiB for {opts.count}")
        if peak > small_peak * 1.25 + 20_000:
            problems.append(f"parent memory grew with the number of examples: {small_peak} -> {peak} KiB")

        touched = sorted(p.name for p in big_ex.glob("*.py"))[::10]
        for name in touched:
            path = big_ex / name
            path.write_text(path.read_text() + "print('touched')\n")
        status2, text2, seconds2, _ = build(big_ex, root / "out", root / "cache")
        m2 = SUMMARY.search(text2)
        rerun = len(set(touched) | set(failing))
        print(f"rebuild after touching {len(touched)}: {seconds2:.1f} s, exit {status2}, summary: {m2.group(0) if m2 else '?'}")
        if not m2 or int(m2.group(2)) != rerun or int(m2.group(3)) != opts.count - rerun:
            problems.append(f"rebuild ran the wrong examples: expected {rerun} run, got {m2.group(0) if m2 else text2[-400:]}")

        time.sleep(0.5)
        procs = leftovers(tmp)
        if procs:
            problems.append(f"{len(procs)} process(es) left behind: {procs[:3]}")
        partial = [p for p in (root / "out").rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp")]
        partial += list((root / "cache" / "runs").glob("*"))  # each run's private folder
        if partial:
            problems.append(f"temporary files left in the output: {partial[:5]}")
    tmp_after = set(glob.glob(os.path.join(tempfile.gettempdir(), "tracekit-*")))
    if tmp_after - tmp_before:
        problems.append(f"temporary folders left behind: {sorted(tmp_after - tmp_before)[:5]}")
    print(f"processes left: 0, temporary files left: {len(tmp_after - tmp_before)}" if not problems else "")
    for p in problems:
        print("FAIL:", p)
    print("soak: ok" if not problems else f"soak: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
