"""`tracekit serve`: serve the built site on 127.0.0.1 and rebuild what changed when a source changes.

The site is served by http.server's ThreadingHTTPServer in a thread; the main thread stats the
watched files every tenth of a second and calls REBUILD when they change (the build itself is
incremental, so only the examples affected run again, forked from the warm parents this process
keeps between rebuilds: tracekit.warm; they end with the server). With live reload, each open
page holds one event stream (tracekit.livereload) and hears of a rebuild as soon as it is written.
Everything it prints goes through `site.paths.visible`, as the build's lines do: a request path
or a file name with escape characters reaches the terminal as <U+001B>, never raw.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .livereload import ENDPOINT, HEARTBEAT_SECONDS, RETRY_MS, LiveState, inject
from .site.paths import visible

__all__ = ["Server", "serve", "snapshot"]

POLL_SECONDS = 0.1  # how often the watched files are stated
SETTLE_SECONDS = 0.05  # a change is built once the files stay as they are for this long
IDLE_SECONDS = 30.0  # a connection that sends nothing for this long is closed
_WATCHED_SUFFIXES = (".py", ".ipynb", ".md", ".toml", ".csv", ".json", ".txt")
_SOURCE_SUFFIXES = (".py", ".ipynb", ".md", ".toml")  # saved during a rebuild: built again after it


def snapshot(paths: Iterable[Path], skip: Iterable[Path] = ()) -> dict[str, tuple[int, int]]:
    """{file: (mtime_ns, size)} for the source files under PATHS (output folders in SKIP left out)."""
    skipped = {p.resolve() for p in skip}
    state: dict[str, tuple[int, int]] = {}
    for base in paths:
        base = Path(base)
        if base.is_file():
            candidates: Iterable[Path] = [base]
        elif base.is_dir():
            candidates = _walk(base, skipped)
        else:
            continue
        for p in candidates:
            try:
                st = p.stat()
            except OSError:
                continue
            state[str(p)] = (st.st_mtime_ns, st.st_size)
    return state


def _walk(base: Path, skipped: set[Path]) -> Iterable[Path]:
    for folder, dirs, files in os.walk(base):
        here = Path(folder)
        dirs[:] = [
            d for d in dirs if d != "__pycache__" and not d.startswith(".") and (here / d).resolve() not in skipped
        ]
        for name in files:
            if name.endswith(_WATCHED_SUFFIXES) and not name.startswith("."):
                yield here / name


class _Handler(SimpleHTTPRequestHandler):
    quiet = True
    live: LiveState | None = None  # with --watch: pages get the reload script, and its endpoint answers
    timeout = IDLE_SECONDS  # StreamRequestHandler sets it on the socket: an idle client is let go

    def handle(self) -> None:
        """Serve the connection; a client gone mid-response (or silent past the timeout while a
        response is sent) is one line in the verbose log, not a traceback."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as e:
            self.close_connection = True
            self.log_message("connection closed before the response was sent (%s)", type(e).__name__)

    def _host_ok(self) -> bool:
        """Does the request name this server as 127.0.0.1 or localhost with its port (no DNS rebinding)?"""
        address = self.server.server_address
        port = address[1] if isinstance(address, tuple) else None
        return self.headers.get("Host", "").strip().lower() in {f"127.0.0.1:{port}", f"localhost:{port}"}

    def do_GET(self) -> None:
        """A page's event stream is held open here; every other GET is answered by send_head."""
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        wants_stream = "text/event-stream" in self.headers.get("Accept", "")
        if self.live is not None and url_path == ENDPOINT and wants_stream and self._host_ok():
            self._stream(self.live)
        else:
            super().do_GET()

    def _stream(self, live: LiveState) -> None:
        """Send LIVE's build events until the page goes away or the server stops: the state at
        once, then each rebuild as soon as it is written, and a comment line while nothing happens
        (the connection's idle timeout bounds reads of a request, and this reads none)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(f"retry: {RETRY_MS}\n\n".encode())
            seen: int | None = None
            while True:
                event = live.wait(seen, HEARTBEAT_SECONDS)
                if event is None:
                    if live.closed:
                        return
                    self.wfile.write(b": idle\n\n")
                else:
                    seen, data = event
                    self.wfile.write(data)
        except (ConnectionError, TimeoutError):
            return  # the page reloaded or was closed: nothing to report

    def send_head(self) -> Any:
        """Only regular files inside the folder once links are resolved, none of tracekit's own
        dotfiles (the manifest, the journal, temporaries), no listings, and only to a request
        naming this server as 127.0.0.1 or localhost with its port (no DNS rebinding)."""
        if not self._host_ok():
            self.send_error(403, "Forbidden")
            return None
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        if self.live is not None and url_path == ENDPOINT:
            return self._send(self.live.to_json(), "application/json")
        file = self._file(url_path)
        if file is None:
            self.send_error(404, "File not found")
            return None
        if self.live is not None and file.endswith(".html"):
            try:
                with open(file, "rb") as f:
                    data = f.read()
            except OSError:
                self.send_error(404, "File not found")
                return None
            return self._send(inject(data), "text/html; charset=utf-8")
        try:
            f = open(file, "rb")  # noqa: SIM115 - copyfile streams it, then the base class closes it
            size = os.fstat(f.fileno()).st_size
        except OSError:
            self.send_error(404, "File not found")
            return None
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(file))
        self.send_header("Content-Length", str(size))
        self.end_headers()
        return f

    def _file(self, url_path: str) -> str | None:
        """The regular file URL_PATH names inside the served folder, or None."""
        from urllib.parse import unquote

        path = unquote(url_path, errors="replace") if "%" in url_path else url_path
        if "\x00" in path or "\\" in path:
            return None
        root = os.path.realpath(self.directory)
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") for p in parts):  # dotfiles and .. alike
            return None
        target = os.path.join(root, *parts)
        if url_path.endswith("/") or not parts:
            target = os.path.join(target, "index.html")
        try:
            real = os.path.realpath(target)
        except (OSError, ValueError):
            return None
        if real != target or not os.path.isfile(real):  # a link anywhere on the way, or not a file
            return None
        return real

    def _send(self, data: bytes, ctype: str) -> io.BytesIO:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        if not self.quiet:  # as http.server logs, with the build's terminal-safe text
            sys.stderr.write(
                visible(f"{self.address_string()} - - [{self.log_date_time_string()}] {format % args}", newlines=False)
                + "\n"
            )

    def end_headers(self) -> None:
        # Always fetch the latest build.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class Server:
    """The HTTP server for DIRECTORY on HOST:PORT (PORT 0 picks a free one), in a daemon thread."""

    def __init__(
        self,
        directory: Path,
        port: int = 8000,
        host: str = "127.0.0.1",
        verbose: bool = False,
        live: LiveState | None = None,
        idle: float = IDLE_SECONDS,
    ) -> None:
        handler = functools.partial(
            type("Handler", (_Handler,), {"quiet": not verbose, "live": live, "timeout": idle}),
            directory=str(directory),
        )
        self.live = live
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="tracekit-serve", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.live is not None:
            self.live.close()  # ends the pages' event streams, each in a thread of its own
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(
    directory: Path,
    *,
    port: int = 8000,
    watch: Iterable[Path] = (),
    rebuild: Callable[[], object] | None = None,
    host: str = "127.0.0.1",
    echo: Callable[[str], None] = print,
    verbose: bool = False,
    stop: threading.Event | None = None,
    live: LiveState | None = None,
    idle: float = IDLE_SECONDS,
) -> None:
    """Serve DIRECTORY until interrupted (or STOP is set); call REBUILD when a watched file changes.
    With LIVE, served pages reload themselves after each rebuild (or show why it failed). Each
    message ECHO is given is terminal-safe (`visible`); a connection idle for IDLE seconds is closed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    server = Server(directory, port, host, verbose, live, idle).start()

    def say(text: str) -> None:
        echo(visible(text))

    watch = [Path(p) for p in watch]
    stop = stop or threading.Event()

    def look() -> dict[str, tuple[int, int]]:
        return snapshot(watch, skip=[directory])

    # Looked at before saying so: an edit saved right after "serving" is read is a change to build.
    first = look()
    say(f"serving {directory} at {server.url} (Ctrl-C stops)")

    def build(before: dict[str, tuple[int, int]], now: dict[str, tuple[int, int]]) -> None:
        assert rebuild is not None
        changed = sorted(set(now.items()) ^ set(before.items()))
        names = sorted({visible(os.path.relpath(p), newlines=False) for p, _ in changed})
        say(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}; rebuilding")
        try:
            rebuild()
        except Exception as e:  # a broken rebuild must not stop the server
            say(f"rebuild failed: {e}")
            if live is not None:
                live.rebuilt(str(e))
        else:
            if live is not None:
                live.rebuilt()

    try:
        before = first
        while not stop.wait(POLL_SECONDS):
            now = look()
            if now == before or rebuild is None:
                before = now
                continue
            now = _settled(now, look)
            build(before, now)
            after = look()
            # A source saved while it ran is built once more; anything else that changed meanwhile
            # (what the examples wrote into their folders) is taken as it is, so no build loops.
            if _sources_changed(now, after):
                build(now, after)
                after = look()
            before = after
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if rebuild is not None:
            from . import warm

            warm.shutdown()  # the warm parents the rebuilds kept, waited for


def _settled(
    now: dict[str, tuple[int, int]], look: Callable[[], dict[str, tuple[int, int]]]
) -> dict[str, tuple[int, int]]:
    """The watched files once two looks SETTLE_SECONDS apart agree (an editor may save in steps), at most half a second
    on."""
    for _ in range(10):
        time.sleep(SETTLE_SECONDS)
        again = look()
        if again == now:
            break
        now = again
    return now


def _sources_changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> bool:
    return any(p.endswith(_SOURCE_SUFFIXES) for p, _ in set(before.items()) ^ set(after.items()))
