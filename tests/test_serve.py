"""`tracekit serve` on 127.0.0.1: what it prints is terminal-safe, a client that hangs up is one
line at -v, an idle connection is closed; with --watch, open pages hear of each rebuild on one
event stream, and the warm parent is kept between rebuilds and ends with the server."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from tracekit.livereload import ENDPOINT, SCRIPT, LiveState
from tracekit.serve import Server, serve


def _request(server: Server, path: str) -> bytes:
    """Send a GET for PATH (raw, as a hostile client would) and read the whole answer."""
    port = server.httpd.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _wait_for(condition, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_request_path_with_escapes_is_logged_as_visible_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = Server(tmp_path, port=0, verbose=True).start()
    try:
        answer = _request(server, "/\x1b]0;pwned\x07\x1b[2J\u202egnp.html")
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.0 404")
    err = capsys.readouterr().err
    assert '"GET /<U+001B>]0;pwned<U+0007><U+001B>[2J' in err
    assert not [c for c in err if (ord(c) < 32 or 0x7F <= ord(c) <= 0x9F) and c != "\n"]


def test_serves_messages_are_terminal_safe(tmp_path: Path) -> None:
    said: list[str] = []
    stop = threading.Event()
    out = tmp_path / "site\x1b[31m"
    thread = threading.Thread(target=serve, args=(out,), kwargs=dict(port=0, echo=said.append, stop=stop))
    thread.start()
    _wait_for(lambda: bool(said))
    stop.set()
    thread.join(10)
    assert len(said) == 1 and said[0].startswith(f"serving {tmp_path}/site<U+001B>[31m at http://127.0.0.1:")


@pytest.mark.parametrize("verbose", [True, False])
def test_a_client_that_hangs_up_mid_response_is_one_line_at_v(tmp_path: Path, capsys: pytest.CaptureFixture[str], verbose: bool) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * (64 << 20))
    server = Server(tmp_path, port=0, verbose=verbose).start()
    port = server.httpd.server_address[1]
    err = ""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert s.recv(4096).startswith(b"HTTP/1.0 200")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # hang up with a reset
        s.close()
        deadline = time.monotonic() + (10 if verbose else 3)
        while "closed before" not in err and "Traceback" not in err and time.monotonic() < deadline:
            time.sleep(0.05)
            err += capsys.readouterr().err
    finally:
        server.stop()
    err += capsys.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err
    lines = [line for line in err.splitlines() if '"GET /big.bin HTTP/1.1" 200' not in line]
    if verbose:
        assert len(lines) == 1, err
        assert lines[0].startswith("127.0.0.1 - - [") and lines[0].endswith(("(ConnectionResetError)", "(BrokenPipeError)")), err
        assert "connection closed before the response was sent" in lines[0]
    else:
        assert err == ""


def test_an_idle_connection_is_closed(tmp_path: Path) -> None:
    server = Server(tmp_path, port=0, idle=0.5).start()
    try:
        with socket.create_connection(("127.0.0.1", server.httpd.server_address[1]), timeout=10) as s:
            started = time.monotonic()
            assert s.recv(1024) == b""  # the server closed it: it sent nothing in half a second
            assert time.monotonic() - started < 5
    finally:
        server.stop()


def test_serve_closes_idle_connections_after_30_seconds_by_default(tmp_path: Path) -> None:
    server = Server(tmp_path, port=0)
    try:
        assert server.httpd.RequestHandlerClass.func.timeout == 30  # type: ignore[attr-defined]
    finally:
        server.httpd.server_close()


# ── live reload: one event stream per page, the warm parent kept between rebuilds ──

SMALL = '"""Small sums."""\nimport numpy as np\n\nx = np.arange({n})\ntotal = int(x.sum())\nprint(total)\n'


def _open_stream(server: Server) -> socket.socket:
    """A page's event stream, its response headers read and checked."""
    port = server.httpd.server_address[1]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {ENDPOINT} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.0 200"), head
    assert b"Content-Type: text/event-stream; charset=utf-8\r\n" in head and b"Content-Length" not in head
    return s


def _events(s: socket.socket, count: int, buffer: list[bytes]) -> list[dict]:
    """The next COUNT `build` events on S (comment and retry lines skipped), as their JSON data."""
    found: list[dict] = []
    while len(found) < count:
        data = b"".join(buffer)
        if b"\n\n" not in data:
            chunk = s.recv(4096)
            assert chunk, "the stream ended"
            buffer.append(chunk)
            continue
        block, _, rest = data.partition(b"\n\n")
        buffer[:] = [rest]
        lines = block.decode().split("\n")
        if lines[0] == "event: build":
            assert lines[1].startswith("data: ") and len(lines) == 2, lines
            found.append(json.loads(lines[1][len("data: ") :]))
    return found


def test_the_event_stream_sends_the_state_then_each_rebuild_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<html><body><p>A</p></body></html>")
    live = LiveState()
    server = Server(tmp_path, port=0, live=live, idle=0.5).start()
    try:
        s = _open_stream(server)
        buffer: list[bytes] = []
        assert _events(s, 1, buffer) == [{"generation": 0, "error": ""}]
        time.sleep(1.5)  # past the idle timeout, which cuts silent requests, not this stream
        assert _request(server, "/a.html").endswith(b"</p>" + SCRIPT.encode() + b"</body></html>")  # answered meanwhile
        assert (tmp_path / "a.html").read_text() == "<html><body><p>A</p></body></html>"
        started = time.monotonic()
        live.rebuilt()
        assert _events(s, 1, buffer) == [{"generation": 1, "error": ""}]
        assert time.monotonic() - started < 1.0
        live.rebuilt('ex/a.py, line 3: NameError: name "y" is not defined')
        assert _events(s, 1, buffer) == [{"generation": 2, "error": 'ex/a.py, line 3: NameError: name "y" is not defined'}]
        assert json.loads(_request(server, ENDPOINT).partition(b"\r\n\r\n")[2])["generation"] == 2  # a plain GET: the state once
    finally:
        server.stop()
    s.settimeout(5)
    assert s.recv(4096).endswith(b"") and s.recv(4096) == b""  # the server stopped: the stream ended
    s.close()


def save(path: Path, text: str) -> None:
    """Replace PATH's content in one step (a new file, made outside the watched folder, renamed over it)."""
    tmp = path.parent.parent / (path.name + ".saving")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_serve_pushes_each_rebuild_and_a_failed_one_brings_its_error(tmp_path: Path) -> None:
    ex, out = tmp_path / "ex", tmp_path / "out"
    ex.mkdir()
    (ex / "a.py").write_text("x = 1\n")
    built: list[str] = []

    def rebuild() -> None:
        text = (ex / "a.py").read_text()
        built.append(text)
        if "broken" in text:
            raise ValueError("ex/a.py, line 1: broken")

    live, stop, said = LiveState(), threading.Event(), []
    thread = threading.Thread(target=serve, args=(out,), kwargs=dict(port=0, watch=[ex], rebuild=rebuild, echo=said.append, stop=stop, live=live))
    thread.start()
    try:
        _wait_for(lambda: bool(said))
        port = int(said[0].split(" at http://127.0.0.1:")[1].split("/")[0])
        server = type("S", (), {"httpd": type("H", (), {"server_address": ("127.0.0.1", port)})})()
        s = _open_stream(server)  # type: ignore[arg-type]
        buffer: list[bytes] = []
        assert _events(s, 1, buffer) == [{"generation": 0, "error": ""}]
        save(ex / "a.py", "x = 2\n")  # whole, as an editor saves: a loaded machine must not see it half-written
        assert _events(s, 1, buffer) == [{"generation": 1, "error": ""}]
        save(ex / "a.py", "x = broken\n")
        assert _events(s, 1, buffer) == [{"generation": 2, "error": "ex/a.py, line 1: broken"}]
        s.close()
    finally:
        stop.set()
        thread.join(10)
    assert built == ["x = 2\n", "x = broken\n"]
    assert said[1:] == [f"changed: {os.path.relpath(ex / 'a.py')}; rebuilding"] * 2 + ["rebuild failed: ex/a.py, line 1: broken"]


def test_a_source_saved_during_a_rebuild_is_built_again_and_written_data_is_not(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "a.py").write_text("x = 1\n")
    built: list[str] = []
    stop = threading.Event()

    def rebuild() -> None:
        built.append((ex / "a.py").read_text())
        (ex / "data.csv").write_text(f"{len(built)}\n")  # what an example writes into its folder
        if len(built) == 1:
            (ex / "a.py").write_text("x = 3\n")  # saved again while the first rebuild runs
        if len(built) == 2:
            threading.Timer(1.0, stop.set).start()

    thread = threading.Thread(target=serve, args=(tmp_path / "out",), kwargs=dict(port=0, watch=[ex], rebuild=rebuild, echo=lambda m: None, stop=stop))
    thread.start()
    time.sleep(0.5)
    (ex / "a.py").write_text("x = 2\n")
    thread.join(20)
    assert built == ["x = 2\n", "x = 3\n"]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the name (state first), or None when PID is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _tree(pid: int) -> list[int]:
    """PID and every process below it."""
    parents = {int(n): int(f[1]) for n in os.listdir("/proc") if n.isdigit() and (f := _stat(int(n))) is not None}
    found, todo = [pid], [pid]
    while todo:
        above = todo.pop()
        below = [p for p, pp in parents.items() if pp == above]
        found += below
        todo += below
    return found


def _running(pids: list[int]) -> list[int]:
    """Those of PIDS still running (a zombie has ended)."""
    return [pid for pid in pids if (f := _stat(pid)) is not None and f[0] != "Z"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_keeps_one_warm_parent_between_rebuilds_and_ends_it(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    from tracekit import warm
    from tracekit.config import load_config
    from tracekit.site import Reporter, build

    warm.shutdown()  # none left by other tests in this process
    ex, out = tmp_path / "ex", tmp_path / "out"
    ex.mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\npreload = ["numpy", "csv"]\n')
    cfg = load_config(pyproject=tmp_path / "pyproject.toml")
    (ex / "small.py").write_text(SMALL.format(n=3))
    assert build(config=cfg, reporter=Reporter(verbosity=-1)).exit_status == 0
    first = warm.parents()
    assert len(first) == 3  # the root that imported nothing, numpy's fork of it, and a spare fork of that
    seen: list[tuple[list[int], str]] = []
    stop = threading.Event()

    def rebuild() -> None:
        result = build(config=cfg, reporter=Reporter(verbosity=-1))
        assert result.exit_status == 0
        seen.append((warm.parents(), (out / "small.html").read_text()))

    thread = threading.Thread(target=serve, args=(out,), kwargs=dict(port=0, watch=[ex], rebuild=rebuild, echo=lambda m: None, stop=stop))
    thread.start()
    try:
        for n, step in ((4, "edit"), (5, "edit"), (6, "kill"), (7, "preload")):
            if step == "kill":  # warm parents that died are replaced on the next rebuild
                for pid in first:
                    os.kill(pid, signal.SIGKILL)
                _wait_for(lambda: _running(first) == [])
            time.sleep(0.3)
            source = SMALL.format(n=n)
            if step == "preload":  # one more preloaded module: a warm parent that loaded it too
                source = source.replace("import numpy as np\n", "import csv\nimport numpy as np\n")
            (ex / "small.py").write_text(source)
            _wait_for(lambda n=n: len(seen) == n - 3, 60)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert [pids for pids, _ in seen[:2]] == [first, first]  # the same process served both rebuilds
    assert [f">{sum(range(n))}<" in page for n, (_, page) in zip((4, 5, 6, 7), seen, strict=True)] == [True] * 4
    replaced = seen[2][0]
    assert len(replaced) == 3 and not set(replaced) & set(first)
    # one more preloaded module: numpy's parent forks one that imports csv too (and its spare); the others stay idle
    assert len(seen[3][0]) == 5 and set(replaced) < set(seen[3][0])
    assert warm.parents() == []
    assert _running([*first, *seen[3][0]]) == []


def _lines(stream: IO[str]) -> Callable[[], str]:
    """A reader of STREAM's lines that fails after 60 s of silence instead of hanging the test."""
    got: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [got.put(line) for line in iter(stream.readline, "")] + [got.put("")], daemon=True).start()

    def line() -> str:
        try:
            return got.get(timeout=60)
        except queue.Empty:
            raise AssertionError("nothing said in 60 s") from None

    return line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_during_a_rebuild_ends_serve_and_everything_it_started(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    ex = tmp_path / "examples"
    ex.mkdir()
    hang = (
        '"""Hangs when asked."""\nimport numpy as np\nimport os\nimport time\n\nif os.path.exists("hang"):\n    time.sleep(120)\nprint(np.arange({n}).sum())\n'
    )
    (ex / "small.py").write_text(hang.replace("{n}", "3"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracekit", "serve", "--port", "0", "--watch", str(ex), str(tmp_path / "out")],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        said = _lines(proc.stderr)
        line = said()
        while "serving" not in line and line:
            line = said()
        assert "serving" in line, line
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert children, "no warm parent after the first build"
        (ex / "hang").write_text("")
        (ex / "small.py").write_text(hang.replace("{n}", "4"))
        line = said()
        assert "rebuilding" in line, line
        time.sleep(1.5)  # the example is sleeping in the run the warm parent forked
        started_by_serve = [p for pid in children for p in _tree(pid)]
        assert len(started_by_serve) >= 3, started_by_serve  # the warm parent, the supervisor it forked, the example
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    time.sleep(0.5)
    assert _running(started_by_serve) == []


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="/usr/bin/chromium is not installed")
def test_an_open_page_reloads_after_an_edit_on_its_one_stream_and_shows_a_failed_rebuild(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from browser_support import ARGS, CHROMIUM

    ex, out = tmp_path / "ex", tmp_path / "out"
    ex.mkdir()
    out.mkdir()
    (ex / "a.txt").write_text("first")

    def rebuild() -> None:  # the page is the source's text; "broken" fails the rebuild
        text = (ex / "a.txt").read_text()
        if "broken" in text:
            raise ValueError("ex/a.txt, line 1: broken")
        (out / "a.html").write_text(f"<!doctype html><html><body><p id='v'>{text}</p><div style='height:3000px'></div></body></html>")

    rebuild()
    live, stop, said = LiveState(), threading.Event(), []
    thread = threading.Thread(target=serve, args=(out,), kwargs=dict(port=0, watch=[ex], rebuild=rebuild, echo=said.append, stop=stop, live=live))
    thread.start()
    try:
        _wait_for(lambda: bool(said))
        url = said[0].split(" at ")[1].split(" ")[0]
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 800, "height": 600})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            with page.expect_request(url + ENDPOINT[1:]):
                page.goto(url + "a.html")
            page.wait_for_timeout(300)  # the stream has sent the generation the page started with
            page.evaluate("window.scrollTo(0, 700); window.__marker = 1")
            (ex / "a.txt").write_text("second")
            page.wait_for_function("() => document.getElementById('v') && document.getElementById('v').textContent === 'second'", timeout=15_000)
            assert page.evaluate("window.__marker") is None  # it reloaded
            page.wait_for_function("() => window.scrollY === 700", timeout=5_000)
            page.wait_for_timeout(300)
            (ex / "a.txt").write_text("broken")
            box = page.locator("#tk-live-error")
            box.wait_for(timeout=15_000)
            assert box.inner_text() == "The rebuild failed; this page is out of date.\n\nex/a.txt, line 1: broken"
            assert page.locator("#v").inner_text() == "second"  # not reloaded onto a stale page
            page.wait_for_timeout(1500)  # long enough for two rounds of the former polling
            assert requests == [url + "a.html", url + ENDPOINT[1:], url + "a.html", url + ENDPOINT[1:]]
            browser.close()
    finally:
        stop.set()
        thread.join(10)
