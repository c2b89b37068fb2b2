"""Speed of `tracekit build`, as two ratios measured in this one command.

cold:  `tracekit build examples -j 2 -o TMP --force` with a fresh TRACEKIT_CACHE_DIR, wall time
       ÷ running each example once with plain `python`, one after another      (target <= 1.0)
no-op: `tracekit build examples -o TMP` when nothing changed (median of N)
       ÷ one plain `python -c pass` start (median of N, interleaved)          (target <= 2.0)

The no-op is timed as a developer meets it: more than two seconds after the build wrote its
files (a build trusts no file mtime younger than that), so it takes the command line's
standard-library fast path.

--gallery: cold builds side by side, REPS times each (default 3), medians and ratios, targets
       reported, not asserted: `tracekit build --force -j 1` and `-j 2` (warm parents, and
       `-j 2 --no-warm`), each with a fresh TRACEKIT_CACHE_DIR, against sphinx-gallery building the
       same .py files (both read one copy of the folder, without its chapters and notebooks, with the
       README.txt sphinx-gallery requires and a title docstring where a script has none) in a fresh Sphinx project (filename_pattern runs every file; an example's
       error only warns, as tracekit reports the intended one) and against plain python running
       each example one after another. Targets: tracekit -j 2 <= 0.8 x sphinx-gallery, -j 1 <= 1.2 x.

Usage: python benchmarks/build_bench.py [--repeat N] [--examples DIR] [--keep-env] [--noop-only]
       python benchmarks/build_bench.py --gallery [--reps N] [--examples DIR]
--noop-only builds the site once (untimed) and measures the no-op ratio alone.
By default the timed commands run with Python's bytecode cache enabled (PYTHONDONTWRITEBYTECODE
removed from their environment), as on a developer machine; --keep-env leaves it as it is.
"""

from __future__ import annotations

import argparse
import ast
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


SPHINX_CONF = """\
extensions = ["sphinx_gallery.gen_gallery"]
project = "bench"
sphinx_gallery_conf = {{
    "examples_dirs": [{examples!r}],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r".*",  # run every file, not only plot_*
    "only_warn_on_example_error": True,  # an example's intended error is reported, not fatal
    "download_all_examples": False,
}}
"""


def gallery(examples: Path, reps: int, env: dict) -> int:
    """Cold builds of EXAMPLES: tracekit -j 1 / -j 2 (warm and not), sphinx-gallery, plain python."""
    try:
        import sphinx_gallery  # noqa: F401
    except ImportError:
        raise SystemExit("sphinx-gallery is not installed: pip install -e '.[bench]' (make bench does)") from None
    scripts = sorted(p for p in examples.glob("*.py") if not p.name.startswith("_"))
    tk = _tracekit()
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # sphinx-gallery reads a copy with the README.txt it requires; the scripts are the same files
        copy = base / "gallery_src"
        shutil.copytree(examples, copy, ignore=shutil.ignore_patterns("__pycache__", "*.md", "*.ipynb"))
        (copy / "README.txt").write_text("Examples\n========\n", encoding="utf-8")
        for script in copy.glob("*.py"):
            # sphinx-gallery refuses a file without a docstring (a percent-cell script): give it one
            text = script.read_text(encoding="utf-8")
            if ast.get_docstring(ast.parse(text)) is None:
                script.write_text(f'"""{script.stem}\n{"=" * len(script.stem)}\n"""\n' + text, encoding="utf-8")
        project = base / "sphinx"
        project.mkdir()
        (project / "conf.py").write_text(SPHINX_CONF.format(examples=str(copy)), encoding="utf-8")
        (project / "index.rst").write_text("Bench\n=====\n\n.. toctree::\n\n   auto_examples/index\n", encoding="utf-8")
        runs = {
            # both read the same folder: the scripts, without the chapters (.md) or notebooks sphinx-gallery does not build
            "tracekit -j 1": lambda out: tk + ["build", str(copy), "-j", "1", "-o", str(out), "--force", "-q"],
            "tracekit -j 2": lambda out: tk + ["build", str(copy), "-j", "2", "-o", str(out), "--force", "-q"],
            "tracekit -j 2 --no-warm": lambda out: tk + ["build", str(copy), "-j", "2", "-o", str(out), "--force", "-q", "--no-warm"],
            "sphinx-gallery": lambda out: [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(project), str(out)],
        }
        for s in scripts:  # warm the OS file cache and the bytecode
            _time([sys.executable, str(s)], env, examples, check=False)
        for rep in range(reps):
            for name, cmd in runs.items():
                out = base / f"out-{rep}-{len(times.get(name, []))}-{name.replace(' ', '_')}"
                run_env = dict(env, TRACEKIT_CACHE_DIR=str(base / f"cache-{rep}-{name.replace(' ', '_')}"))
                shutil.rmtree(project / "auto_examples", ignore_errors=True)
                shutil.rmtree(copy / "__pycache__", ignore_errors=True)
                # a failed sphinx-gallery build would time nothing: it must succeed
                times.setdefault(name, []).append(_time(cmd(out), run_env, ROOT, check=name == "sphinx-gallery"))
            times.setdefault("plain python, one after another", []).append(sum(_time([sys.executable, s.name], env, s.parent, check=False) for s in scripts))
    med = {name: statistics.median(ts) for name, ts in times.items()}
    sg = med["sphinx-gallery"]
    print(f"cold builds of {len(scripts)} scripts in {examples}, {reps} repetitions (medians; ratio to sphinx-gallery)")
    targets = {"tracekit -j 2": 0.8, "tracekit -j 1": 1.2}
    for name, seconds in med.items():
        target = targets.get(name)
        verdict = "" if target is None else f"  target <= {target}: {'ok' if seconds / sg <= target else 'MISSED'}"
        print(f"  {name:34} {seconds:8.2f} s  {seconds / sg:5.2f} x   (runs: {', '.join(f'{t:.2f}' for t in times[name])}){verdict}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gallery", action="store_true", help="cold builds against sphinx-gallery and plain python")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--examples", default=str(ROOT / "examples"))
    parser.add_argument("--keep-env", action="store_true")
    parser.add_argument("--noop-only", action="store_true", help="measure only the no-op ratio")
    opts = parser.parse_args()
    examples = Path(opts.examples).resolve()
    if opts.gallery:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return gallery(examples, opts.reps, env)
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
