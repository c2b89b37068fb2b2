"""Containment: nothing an example starts outlives it, its output is bounded in bytes, and
nothing it prints can drive the terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_hostile_examples import alive, wait_gone

from tracekit.run import trace_file

DAEMONS = """\
import os, subprocess, sys, time
marker = {marker!r}
# a double-forked daemon in a session of its own
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", marker + "-daemon"])
    os._exit(0)
os.wait()
# and a process in a new session, never waited for
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker + "-session"], start_new_session=True)
# say how many of the two are running, once both are (or after 10 s)
def running():
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            args = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        found |= {{a for a in args if a in (marker.encode() + b"-daemon", marker.encode() + b"-session")}}
    return len(found)
end = time.monotonic() + 10
while running() < 2 and time.monotonic() < end:
    time.sleep(0.05)
print("running:", running(), flush=True)
time.sleep({sleep})
"""


def _runs_left(cache: Path) -> list[str]:
    runs = cache / "runs"
    return sorted(p.name for p in runs.iterdir()) if runs.is_dir() else []


def _cleanup(marker: str) -> None:
    for pid in alive(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture(params=["cgroup", "subreaper", "warm"])
def containment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way an example is contained: cgroup, subreaper alone (both cold), and forked from a warm parent."""
    if request.param == "subreaper":
        monkeypatch.setenv("TRACEKIT_NO_CGROUP", "1")
    if request.param == "warm":
        from tracekit.warm import DEFAULT_PRELOAD

        monkeypatch.setitem(trace_file.__kwdefaults__, "preload", DEFAULT_PRELOAD)
    else:
        monkeypatch.setenv("TRACEKIT_COLD", "1")
    return str(request.param)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="containment by subreaper and cgroup is Linux's")
@pytest.mark.parametrize("sleep, timeout", [(0, None), (60, 2)])
def test_daemons_are_gone_when_the_example_ends_or_times_out(tmp_path: Path, containment: str, sleep: int, timeout: float | None) -> None:
    marker = f"contain-{os.getpid()}-{containment}-{sleep}"
    script = tmp_path / "daemons.py"
    script.write_text(DAEMONS.format(marker=marker, sleep=sleep))
    try:
        result = trace_file(script, capture=True, timeout=timeout, cwd=tmp_path)
        assert result.trace.status == ("ok" if timeout is None else "timeout")
        assert result.trace.stdout == "running: 2\n", "the example did not start its processes"
        assert alive(marker) == []  # gone when trace_file returns, not some time later
    finally:
        _cleanup(marker)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="containment by subreaper and cgroup is Linux's")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_everything_is_gone_after_the_build_is_killed(tmp_path: Path, containment: str, signum: int) -> None:
    marker = f"contain-{os.getpid()}-{containment}-{signum}"
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "daemons.py").write_text(DAEMONS.format(marker=marker, sleep=60))
    cache = tmp_path / "cache"
    env = dict(os.environ, TRACEKIT_CACHE_DIR=str(cache))
    build = subprocess.Popen(
        [sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while len(alive(marker)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(alive(marker)) == 2, "the example did not start its processes"
        build.send_signal(signum)
        build.wait(timeout=20)
        assert wait_gone(marker, 5) == []
        assert wait_gone(str(examples / "daemons.py"), 5) == []
        deadline = time.monotonic() + 5
        while _runs_left(cache) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _runs_left(cache) == []
    finally:
        build.kill()
        _cleanup(marker)
        _cleanup(str(examples / "daemons.py"))


def test_the_output_limit_counts_bytes_written_to_the_descriptors(tmp_path: Path) -> None:
    script = tmp_path / "loud.py"
    script.write_text(
        textwrap.dedent("""\
        import os, subprocess, sys
        os.write(1, b"x" * 3_000_000)
        subprocess.run([sys.executable, "-c", "import os; os.write(2, b'y' * 3_000_000)"])
        print("done")
        """)
    )
    result = trace_file(script, capture=True, max_output=100_000, cwd=tmp_path)
    assert result.trace.status == "limit"
    assert result.trace.error.reason == "output"
    assert "100000 bytes" in result.trace.error.message
    assert len(result.trace.stdout) + len(result.trace.stderr) <= 100_000 + 200


def test_output_within_the_limit_reaches_the_trace_of_a_fallback(tmp_path: Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text("import os, sys\nos.write(1, b'from fd one\\n')\nos.write(2, b'from fd two\\n')\nos.kill(os.getpid(), 9)\n")
    result = trace_file(script, capture=True, cwd=tmp_path)
    assert result.trace.status == "crashed"
    assert result.trace.stdout == "from fd one\n" and result.trace.stderr == "from fd two\n"


def test_run_folders_of_dead_runs_are_removed_by_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracekit.run as run_mod

    cache = tmp_path / "cache"
    monkeypatch.setenv("TRACEKIT_CACHE_DIR", str(cache))
    monkeypatch.setattr(run_mod, "_swept", False)
    stale = cache / "runs" / "run-dead1234"
    stale.mkdir(parents=True)
    (stale / ".lock").write_text("")
    (stale / "stdout").write_bytes(b"x" * 1000)
    # a live run's folder: its lock is held (here by another open file description)
    live = cache / "runs" / "run-live5678"
    live.mkdir()
    import fcntl

    with open(live / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        script = tmp_path / "s.py"
        script.write_text("x = 1\n")
        assert trace_file(script, capture=True, cwd=tmp_path).trace.status == "ok"
        assert sorted(p.name for p in (cache / "runs").iterdir()) == ["run-live5678"]


OVERWRITE = """\
import json, os, time
spec = json.load(open(open("/proc/self/cmdline", "rb").read().split(b"\\0")[-2]))
x = 1
if os.fork() == 0:  # waits for tracekit to write the trace, then spoils it
    while not os.path.exists(spec["trace"]):
        time.sleep(0.0005)
    with open(spec["trace"], "w") as f:
        f.write({payload!r})
    os.kill(os.getpid(), 9)
time.sleep(0.05)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds its spec through /proc")
@pytest.mark.parametrize("payload", ["not json {", "[1, 2]", '{"schema": 1, "status": "ok", "lines": "spoiled", "stdout": 5}'])
def test_an_example_that_spoils_its_own_trace_fails_alone(tmp_path: Path, payload: str) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "a_spoiler.py").write_text(OVERWRITE.format(payload=payload))
    (examples / "b_fine.py").write_text('"""Fine."""\ny = 2\n')
    result = subprocess.run([sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "a_spoiler.py" in result.stderr and "trace" in result.stderr
    assert (tmp_path / "site" / "b_fine.html").is_file() and (tmp_path / "site" / "a_spoiler.html").is_file()


def test_a_subprocess_flooding_stdout_leaves_a_bounded_page_that_says_it_was_cut(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "flood.py").write_text(
        '"""Floods."""\nimport subprocess, sys\nsubprocess.run([sys.executable, \'-c\', \'import sys\\nwhile True: sys.stdout.write("y" * 65536)\'])\n'
    )
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nmax_output = "1M"\ntimeout = 30\n')
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - started < 25  # ended about a second after the limit, not by the timeout
    assert result.returncode == 1
    assert "output passed the limit of 1048576 bytes" in result.stderr
    assert (tmp_path / "site" / "flood.json").stat().st_size < 1_200_000
    assert "the rest was not kept" in (tmp_path / "site" / "flood.html").read_text(encoding="utf-8")


def test_a_run_that_cannot_start_raises_and_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEKIT_CACHE_DIR", str(tmp_path / "cache"))
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    with pytest.raises(FileNotFoundError):
        trace_file(script, capture=True, cwd=tmp_path / "missing")
    fds = len(os.listdir("/proc/self/fd")) if sys.platform.startswith("linux") else 0
    with pytest.raises(FileNotFoundError):
        trace_file(script, capture=True, cwd=tmp_path / "missing")
    assert (len(os.listdir("/proc/self/fd")) if sys.platform.startswith("linux") else 0) == fds
    assert list((tmp_path / "cache" / "runs").iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="containment by subreaper and cgroup is Linux's")
def test_tracekit_run_ends_what_the_script_started_on_timeout_and_leaves_it_otherwise(tmp_path: Path) -> None:
    marker = f"contain-{os.getpid()}-run"
    script = tmp_path / "daemons.py"
    try:
        script.write_text(DAEMONS.format(marker=marker + "-t", sleep=60))
        timed = subprocess.run(
            [sys.executable, "-m", "tracekit", "run", "--timeout", "2", str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert timed.returncode == 124 and "timed out after 2 s" in timed.stderr
        assert alive(marker + "-t") == []
        # a script that ends by itself leaves its detached processes running, as under python
        script.write_text(DAEMONS.format(marker=marker + "-e", sleep=0))
        # (the processes keep its stdout and stderr open, so those are not pipes here)
        ended = subprocess.run(
            [sys.executable, "-m", "tracekit", "run", str(script)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60
        )
        assert ended.returncode == 0
        assert len(alive(marker + "-e")) == 2
    finally:
        _cleanup(marker)


def _at_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run ARGV on a new pseudo-terminal: answer its prompt, then press Ctrl-C; (exit status, screen)."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.chdir(cwd)
        os.execv(argv[0], argv)
    screen = b""

    def until(text: bytes, seconds: float = 30) -> None:
        nonlocal screen
        end = time.monotonic() + seconds
        while text not in screen and time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    screen += os.read(fd, 4096)
                except OSError:
                    return

    until(b"name? ")
    os.write(fd, b"alice\n")
    until(b"got alice")
    time.sleep(0.3)
    os.write(fd, b"\x03")
    until(b"KeyboardInterrupt", 10)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode("utf-8", "replace")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal test")
@pytest.mark.parametrize("timeout", [[], ["--timeout", "30"]])
def test_tracekit_run_at_a_terminal_reads_stdin_and_ctrl_c_interrupts_the_script(tmp_path: Path, timeout: list[str]) -> None:
    (tmp_path / "ask.py").write_text('import time\nname = input("name? ")\nprint("got", name)\ntime.sleep(30)\n')
    code, screen = _at_a_terminal([sys.executable, "-m", "tracekit", "run", *timeout, "ask.py"], tmp_path)
    assert "got alice" in screen and "KeyboardInterrupt" in screen
    assert code == -signal.SIGINT  # as python itself ends


KILLS_SUPERVISOR = """\
import os, signal, sys, time
# a double-forked daemon in a session of its own, which writes its pid where the test reads it
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import os, time; open({pidfile!r} + '.tmp', 'w').write(str(os.getpid())); os.rename({pidfile!r} + '.tmp', {pidfile!r}); time.sleep(120)", {marker!r}])
    os._exit(0)
os.wait()
end = time.monotonic() + 10
while not os.path.exists({pidfile!r}) and time.monotonic() < end:
    time.sleep(0.01)
os.kill(os.getppid(), signal.{signal})
time.sleep(120)
"""


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="containment by subreaper and cgroup is Linux's")
@pytest.mark.parametrize("signame", ["SIGKILL", "SIGSTOP"])
def test_an_example_that_kills_or_stops_its_supervisor_fails_and_leaves_nothing(tmp_path: Path, containment: str, signame: str) -> None:
    marker = f"contain-{os.getpid()}-{containment}-{signame}-supervisor"
    pidfile = tmp_path / "daemon.pid"
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "rogue.py").write_text(KILLS_SUPERVISOR.format(pidfile=str(pidfile), marker=marker, signal=signame))
    (tmp_path / "pyproject.toml").write_text("[tool.tracekit]\ntimeout = 60\n")
    env = dict(os.environ, TRACEKIT_CACHE_DIR=str(tmp_path / "cache"))

    def build() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    try:
        started = time.monotonic()
        first = build()
        assert time.monotonic() - started < 40  # a stopped supervisor is not waited for until the timeout
        assert first.returncode == 1, first.stderr
        assert "rogue.py: crashed: the example killed its supervisor (" in first.stderr
        assert "internal error" not in first.stderr and "Traceback" not in first.stderr
        daemon = int(pidfile.read_text())
        assert not _pid_alive(daemon) and alive(marker) == []
        page = (tmp_path / "site" / "rogue.html").read_text(encoding="utf-8")
        assert "The example killed or stopped the process that supervised its run" in page
        # the failure is cached like any other: the next build runs nothing
        pidfile.unlink()
        again = build()
        assert again.returncode == 1
        assert "0 run, 1 up to date" in again.stdout
        assert "rogue.py: crashed: the example killed its supervisor (" in again.stderr
        assert not pidfile.exists()
    finally:
        _cleanup(marker)


def test_a_python_error_in_the_supervisor_stays_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracekit.run as run_mod

    broken = tmp_path / "broken_supervisor.py"
    broken.write_text("raise ValueError('the supervisor broke')\n")
    monkeypatch.setattr(run_mod, "_SUPERVISOR", str(broken))
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    with pytest.raises(RuntimeError, match=r"^the supervisor of the run ended with status 1: ValueError: the supervisor broke$"):
        trace_file(script, capture=True, cwd=tmp_path)


FAULT_FLOOD = """\
import ctypes, os
x = 1
for _ in range(800):  # 50 MiB into the fault log, then a crash that dumps its stack there
    os.write(3, b"junk " * 13107)
ctypes.string_at(0)
"""


def test_the_fault_log_is_a_capped_pipe_the_crash_still_names_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracemalloc

    import tracekit.run as run_mod

    sizes: list[int] = []
    crash_line = run_mod._crash_line

    def measured(fault_log: Path, script: str) -> int | None:
        sizes.append(fault_log.stat().st_size)
        return crash_line(fault_log, script)

    monkeypatch.setattr(run_mod, "_crash_line", measured)
    script = tmp_path / "flood.py"
    script.write_text(FAULT_FLOOD)
    tracemalloc.start()
    try:
        result = trace_file(script, capture=True, cwd=tmp_path, timeout=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.trace.status == "crashed"
    assert result.trace.error.message == "killed by SIGSEGV"
    assert result.trace.error.line == 5  # the stack, written last, was kept
    assert len(sizes) == 1 and 0 < sizes[0] <= 1 << 20
    assert peak < 16 << 20  # the build never held the 50 MiB


def test_an_example_flooding_its_fault_log_still_gets_its_page(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "flood.py").write_text('"""Floods the fault log."""\n' + FAULT_FLOOD)
    result = subprocess.run([sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "examples/flood.py:6: crashed: killed by SIGSEGV" in result.stderr
    page = (tmp_path / "site" / "flood.html").read_text(encoding="utf-8")
    assert "killed by SIGSEGV" in page and "junk junk" not in page
