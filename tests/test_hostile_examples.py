"""Hostile examples and odd paths: nothing is left running, nothing outside tracekit's files is touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tracekit.run import trace_file


def tracekit(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def alive(marker: str) -> list[int]:
    """PIDs of processes whose command line contains MARKER."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = next((ln for ln in (entry / "status").read_text().splitlines() if ln.startswith("State:")), "")
        except OSError:
            continue
        if marker in cmdline and "zombie" not in state:
            pids.append(int(entry.name))
    return pids


def wait_gone(marker: str, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = alive(marker)
        if not left:
            return []
        time.sleep(0.1)
    return alive(marker)


def test_children_and_multiprocessing_workers_are_killed_with_the_example(tmp_path: Path) -> None:
    marker = f"marker-{os.getpid()}-workers"
    script = tmp_path / "spawner.py"
    script.write_text(
        textwrap.dedent(f"""\
        import multiprocessing, subprocess, sys, time
        def work(x):
            time.sleep(600)
        if __name__ == "__main__":
            children = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"]) for _ in range(3)]
            pool = multiprocessing.Pool(2)
            pool.map_async(work, [1, 2])
            time.sleep(600)
        """)
    )
    result = trace_file(script, capture=True, timeout=3, cwd=tmp_path)
    assert result.trace.status == "timeout" and result.trace.error.reason == "timeout"
    try:
        assert wait_gone(marker) == []
        assert wait_gone(str(script)) == []
    finally:
        for pid in alive(marker) + alive(str(script)):
            os.kill(pid, signal.SIGKILL)


def test_a_bounded_fork_storm_ends_within_the_timeout(tmp_path: Path) -> None:
    script = tmp_path / "storm.py"
    script.write_text(
        textwrap.dedent("""\
        import os, time
        for _ in range(6):          # 64 processes, each then sleeping: a fork bomb in miniature
            if os.fork() == 0:
                pass
        time.sleep(600)
        """)
    )
    started = time.monotonic()
    result = trace_file(script, capture=True, timeout=2, cwd=tmp_path)
    assert time.monotonic() - started < 2 + 10
    assert result.trace.status == "timeout"
    try:
        assert wait_gone(str(script)) == []
    finally:
        for pid in alive(str(script)):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("name", ["with space.py", "ünïcödé_名前.py", "-leading-dash.py"])
def test_odd_example_names_build(tmp_path: Path, name: str) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / name).write_text('"""Odd <name> & title"""\nx = 1\nprint(x)\n')
    out = tmp_path / "site"
    result = tracekit("build", "examples", "-o", "site", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = out / (name[:-3] + ".html")
    assert page.is_file()
    html = page.read_text(encoding="utf-8")
    assert "Odd &lt;name&gt; &amp; title" in html and "<name>" not in html
    assert tracekit("check", "examples", "-o", "site", cwd=tmp_path).returncode == 0


def test_a_symlink_out_of_the_examples_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("open('ran', 'w').write('yes')\n")
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "ok.py").write_text("x = 1\n")
    (examples / "link.py").symlink_to(outside)
    result = tracekit("build", "examples", "-o", "site", cwd=tmp_path)
    assert result.returncode == 2
    assert "link.py" in result.stderr and "outside the examples folder" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists() and not (tmp_path / "examples" / "ran").exists()


def test_a_symlink_inside_the_examples_folder_is_fine(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    (examples / "real").mkdir(parents=True)
    (examples / "real" / "a.py").write_text("x = 1\n")
    (examples / "alias.py").symlink_to(examples / "real" / "a.py")
    assert tracekit("build", "examples", "-o", "site", cwd=tmp_path).returncode == 0


def test_output_at_home_or_in_a_full_folder_deletes_nothing_of_others(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    (home / "index.html").write_text("<p>my own index</p>")
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "a.py").write_text("x = 1\n")
    env = dict(os.environ, HOME=str(home))
    first = tracekit("build", "examples", "-o", "~", cwd=tmp_path, env=env)
    # `~` is the home folder, as in the configuration file
    assert (home / "a.html").is_file() and not (tmp_path / "~").exists()
    # an index.html tracekit did not write is never overwritten: the build says so and stops
    assert first.returncode == 2 and "Traceback" not in first.stderr
    assert "refusing to overwrite" in first.stderr and "index.html" in first.stderr
    assert (home / "index.html").read_text() == "<p>my own index</p>"
    assert (home / "notes.txt").read_text() == "mine"
    # the example goes away: its page (tracekit's) goes too, nothing else does
    (examples / "a.py").unlink()
    tracekit("build", "examples", "-o", "~", cwd=tmp_path, env=env)
    assert not (home / "a.html").exists()
    assert (home / "notes.txt").read_text() == "mine" and (home / "index.html").read_text() == "<p>my own index</p>"


def test_output_limit_is_configurable_and_named_when_hit(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "chatty.py").write_text("while True:\n    print('line of output')\n")
    (examples / "quiet.py").write_text("print('hello')\n")
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nmax_output = "20K"\ntimeout = 30\n')
    result = tracekit("build", "examples", "-o", "site", cwd=tmp_path)
    assert result.returncode == 1
    assert "chatty.py:2" in result.stderr and "output limit" in result.stderr.lower()
    assert (tmp_path / "site" / "quiet.html").is_file() and (tmp_path / "site" / "chatty.html").is_file()
    bad = tracekit("build", "examples", "-o", "site", "--max-output", "lots", cwd=tmp_path)
    assert bad.returncode == 2 and "max_output" in bad.stderr and "Traceback" not in bad.stderr
