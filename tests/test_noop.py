"""A build or check with nothing to do answers from the standard library, the same as the click path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEAVY = ("click", "libcst", "jinja2", "markdown_it", "docutils", "pygments")
#: what python itself may load at start-up besides the standard library (site hooks of this venv)
STARTUP = {"__main__", "_distutils_hack", "sitecustomize", "usercustomize"}
STDLIB_PROBES = {"org"}  # the standard library's copy module tries `org.python.core` (Jython)


def _not_stdlib(names: set[str]) -> set[str]:
    return {n for n in names - set(sys.stdlib_module_names) - STARTUP - STDLIB_PROBES - {"tracekit"} if not n.startswith("__editable__")}


def _imported(stderr: str) -> set[str]:
    """Top-level names of the modules `python -X importtime` reported."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


def tk(cwd: Path, *args: str, slow: bool = False, importtime: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TRACEKIT_NO_FAST_PATH"}
    if slow:
        env["TRACEKIT_NO_FAST_PATH"] = "1"
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "tracekit", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _age(folder: Path, seconds: float = 60) -> None:
    """Date every file under FOLDER back, as if it had been written a minute ago."""
    then = time.time() - seconds
    for p in [folder, *folder.rglob("*")]:
        os.utime(p, (then, then))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRACEKIT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "examples"\noutput = "site"\n')
    ex = tmp_path / "examples"
    ex.mkdir()
    (ex / "one.py").write_text('"""One"""\nx = 1\n#: x is {x}.\ny = x + 1\nprint(y)\n')
    (ex / "two.py").write_text('"""Two"""\nfrom _lib import K\nz = K * 2\n')
    (ex / "_lib.py").write_text("K = 3\n")
    proc = tk(tmp_path, "build")
    assert proc.returncode == 0, proc.stderr
    _age(tmp_path)
    # tracekit's own files are part of what a no-op is read from: a checkout edited in the last
    # two seconds is (rightly) not trusted yet
    import tracekit

    package = Path(tracekit.__file__).parent
    newest = max(p.stat().st_mtime for p in [package, *package.rglob("*")] if "__pycache__" not in p.parts)
    time.sleep(max(0.0, newest + 2.1 - time.time()))
    return tmp_path


def test_a_noop_build_imports_no_heavy_module_and_says_what_the_click_path_says(project: Path) -> None:
    slow = tk(project, "build", slow=True)
    assert (slow.returncode, slow.stdout, slow.stderr) == (0, "2 example(s) up to date → site\n", "")
    for _ in range(2):  # the first answer is worked out (and remembered), the second remembered
        fast = tk(project, "build", importtime=True)
        assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout)
        assert "tracekit" in _imported(fast.stderr)  # the import report was read
        assert _imported(fast.stderr) & set(HEAVY) == set()
        assert _not_stdlib(_imported(fast.stderr)) == set()
    # the remembered answer plans nothing: it reads the manifest, as the report's source
    loaded = {line.rsplit("|", 1)[1].strip() for line in fast.stderr.splitlines() if line.startswith("import time:") and "|" in line}
    assert "tracekit.site.manifest" in loaded
    assert {"tracekit.site.uptodate", "tracekit.site.plan", "tracekit.config"} & loaded == set()
    quiet = tk(project, "build", "-q", "-o", "site", importtime=True)
    assert (quiet.returncode, quiet.stdout) == (0, "")
    assert "tracekit" in _imported(quiet.stderr)
    assert _imported(quiet.stderr) & set(HEAVY) == set()


def test_a_passing_check_imports_no_heavy_module_and_says_what_the_click_path_says(project: Path) -> None:
    slow = tk(project, "check", "examples", "-o", "site", slow=True)
    fast = tk(project, "check", "examples", "-o", "site", importtime=True)
    assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout) == (0, "2 example(s): every page in site is up to date\n")
    assert "tracekit" in _imported(fast.stderr)
    assert _imported(fast.stderr) & set(HEAVY) == set()


@pytest.mark.parametrize(
    "change",
    ["edit an example", "edit a helper", "add an example", "edit a page", "edit the configuration"],
)
def test_a_remembered_noop_is_forgotten_when_anything_it_read_changes(project: Path, change: str) -> None:
    assert tk(project, "build").returncode == 0  # remembered
    assert "tracekit.site.uptodate" not in tk(project, "build", importtime=True).stderr
    if change == "edit an example":
        (project / "examples" / "one.py").write_text('"""One"""\nx = 5\n#: x is {x}.\ny = x + 1\nprint(y)\n')
    elif change == "edit a helper":
        (project / "examples" / "_lib.py").write_text("K = 4\n")
    elif change == "add an example":
        (project / "examples" / "three.py").write_text('"""Three"""\nw = 0\n')
    elif change == "edit a page":
        (project / "site" / "one.html").write_text("edited")
    else:
        (project / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "examples"\noutput = "site"\nhits = 2\n')
    fast = tk(project, "build")
    assert fast.returncode == 0, fast.stderr
    assert " run, " in fast.stdout.splitlines()[-1]  # e.g. "3 example(s): 1 run, 2 up to date (3 ok) → site"
    slow = tk(project, "build", slow=True)
    assert slow.stdout.splitlines()[-1].endswith("up to date → site")


def test_work_and_other_forms_take_the_click_path_with_the_same_result(project: Path) -> None:
    (project / "examples" / "one.py").write_text('"""One"""\nraise ValueError("no")\n')
    fast, slow = tk(project, "check"), tk(project, "check", slow=True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == 1 and "stale" in fast.stdout
    built = tk(project, "build", importtime=True)
    assert built.returncode == 1 and "click" in _imported(built.stderr)
    _age(project)
    for _ in range(2):  # worked out, then remembered: a cached failure is reported again, without click
        again, again_slow = tk(project, "build"), tk(project, "build", slow=True)
        assert (again.returncode, again.stdout, again.stderr) == (again_slow.returncode, again_slow.stdout, again_slow.stderr)
        assert again.returncode == 1 and "examples/one.py:2: ValueError: no" in again.stderr
        assert _imported(tk(project, "build", importtime=True).stderr) & set(HEAVY) == set()
    for args in (["build", "-j", "1"], ["build", "--output"], ["check", "-v"], ["build", "nowhere"]):
        fast, slow = tk(project, *args), tk(project, *args, slow=True)
        assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr), args


def test_a_forged_noop_record_says_nothing_of_its_own(project: Path) -> None:
    (project / "examples" / "one.py").write_text('"""One"""\nraise ValueError("no")\n')
    assert tk(project, "build").returncode == 1
    _age(project)
    assert tk(project, "build").returncode == 1  # worked out and remembered
    [record_path] = (project / "cache" / "noop").glob("*.json")
    record = json.loads(record_path.read_text())
    # what a record that kept the text to print would be made to say: anything, and "all is well"
    record["said"] = ["\x1b]0;owned\x07\x1b[2JFORGED: 2 example(s) up to date\n", "", 0]
    record_path.write_text(json.dumps(record))
    fast, slow = tk(project, "build"), tk(project, "build", slow=True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == 1 and "examples/one.py:2: ValueError: no" in fast.stderr
    assert "FORGED" not in fast.stdout + fast.stderr and "\x1b" not in fast.stdout + fast.stderr
