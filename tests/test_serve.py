"""`tracekit serve` on 127.0.0.1: what it prints is terminal-safe, a client that hangs up is one
line at -v, and an idle connection is closed."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

import pytest

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
