"""Shared helpers for the semantics suite: program discovery, headers, paired runs.

A program is any ``programs/*.py`` whose name does not start with ``_`` (those are
sibling helper modules that programs import).  Its leading comment block may hold
headers, one per line:

    # args: a "b c"            arguments (shlex syntax) passed to the script
    # stdin: some text         one line of stdin (a newline is appended); repeatable
    # stdin-tail: text         final stdin text without a trailing newline
    # merge-stderr: yes        run with stderr redirected into stdout (interleaving)
    # requires: numpy torch    skip when a module is not importable
    # tracekit-options: --hits 1   extra options for ``tracekit run`` (before SCRIPT)
    # timeout: 120             seconds per run (default 60)
    # expect-no-lines: yes     the script never runs a statement (it does not compile)
    # known-difference: why    tracekit cannot hide this by design (the test is a strict xfail,
                               so it fails loudly the day the difference goes away)

Both runs get the same cwd (a fresh temporary folder holding a copy of the program
and the ``_*.py`` helpers in ``prog/``), the same environment and the same stdin.
The script is named by a relative path (``prog/NAME.py``) so ``sys.argv[0]``,
``__file__`` and ``sys.path[0]`` all have something to get right.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS_DIR = HERE / "programs"
REPO = HERE.parent.parent
SCHEMA_PATH = REPO / "tracekit" / "schema" / "trace.schema.json"
ENGINE_FILES = (REPO / "tracekit" / "cli.py", REPO / "tracekit" / "child" / "runtime.py")


@dataclasses.dataclass
class Program:
    path: Path
    args: list[str]
    stdin: bytes
    merge_stderr: bool
    requires: list[str]
    tracekit_options: list[str]
    timeout: float
    expect_no_lines: bool = False
    known_difference: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


def discover() -> list[Path]:
    return sorted(p for p in PROGRAMS_DIR.glob("*.py") if not p.name.startswith("_"))


def helpers() -> list[Path]:
    return sorted(p for p in PROGRAMS_DIR.glob("_*.py"))


def parse(path: Path) -> Program:
    args: list[str] = []
    stdin = ""
    merge = False
    requires: list[str] = []
    options: list[str] = []
    timeout = 60.0
    no_lines = False
    known = ""
    text = path.read_bytes().decode("utf-8", "replace").lstrip("\ufeff")
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        key, sep, value = body.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        value = value[1:] if value.startswith(" ") else value
        if key == "args":
            args = shlex.split(value)
        elif key == "stdin":
            stdin += value + "\n"
        elif key == "stdin-tail":
            stdin += value
        elif key == "merge-stderr":
            merge = value.strip().lower() in ("yes", "true", "1")
        elif key == "requires":
            requires = value.split()
        elif key == "tracekit-options":
            options = shlex.split(value)
        elif key == "timeout":
            timeout = float(value)
        elif key == "expect-no-lines":
            no_lines = value.strip().lower() in ("yes", "true", "1")
        elif key == "known-difference":
            known = value.strip()
    return Program(path, args, stdin.encode("utf-8"), merge, requires, options, timeout,
                   no_lines, known)


def missing_requirements(prog: Program) -> list[str]:
    return [m for m in prog.requires if importlib.util.find_spec(m) is None]


def engine_available() -> bool:
    return all(p.exists() for p in ENGINE_FILES)


@functools.lru_cache(maxsize=None)
def _tracekit_needs_pythonpath() -> bool:
    """True when ``import tracekit`` fails outside the repository (not pip-installed)."""
    probe = subprocess.run([sys.executable, "-c", "import tracekit"], cwd="/",
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    return probe.returncode != 0


def child_env() -> dict[str, str]:
    """One environment for both runs: deterministic hashing, python's default buffering.

    When tracekit is not installed in the interpreter (only importable from the
    repository root), the repository goes on PYTHONPATH -- for *both* runs, so the
    plain run sees exactly the same environment.
    """
    env = dict(os.environ)
    for var in ("PYTHONUNBUFFERED", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONBREAKPOINT",
                "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONFAULTHANDLER",
                "PYTEST_CURRENT_TEST", "PYTHONPATH"):
        env.pop(var, None)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    # the CPU torch build prints nothing extra, but keep thread counts reproducible
    env.setdefault("OMP_NUM_THREADS", "1")
    if _tracekit_needs_pythonpath():
        env["PYTHONPATH"] = str(REPO)
    return env


def stage(prog_path: Path, workdir: Path) -> str:
    """Copy the program and the helper modules into workdir/prog; return the relative path."""
    dest = workdir / "prog"
    dest.mkdir(parents=True, exist_ok=True)
    for src in [prog_path, *helpers()]:
        shutil.copy2(src, dest / src.name)
    return f"prog/{prog_path.name}"


@dataclasses.dataclass
class Result:
    argv: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes

    def describe(self) -> str:
        return f"{shlex.join(self.argv)} -> exit {self.returncode}"


def run(argv: list[str], cwd: Path, stdin: bytes, merge_stderr: bool, timeout: float,
        env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=env if env is not None else child_env(),
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        timeout=timeout,
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr or b"")


def plain_argv(script: str, args: list[str]) -> list[str]:
    return [sys.executable, script, *args]


def tracekit_argv(script: str, args: list[str], trace: Path, options: list[str]) -> list[str]:
    return [sys.executable, "-m", "tracekit", "run", "--trace", str(trace), *options, script,
            *args]


def diff(label: str, expected: bytes, actual: bytes, context: int = 3) -> str:
    """A unified diff of two byte strings (decoded with backslashreplace)."""
    import difflib

    a = expected.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    b = actual.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, f"{label} (python)", f"{label} (tracekit run)",
                                 n=context)
    text = "".join(line if line.endswith("\n") else line + "\\ no newline\n" for line in lines)
    if len(text) > 6000:
        text = text[:6000] + "\n... (diff truncated)\n"
    return text
