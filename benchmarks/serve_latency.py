"""Edit-to-reload latency of `tracekit serve --watch`, against the example's plain python run.

In a temporary folder: a small example (numpy, a sum over a range, or --example FILE), a
pyproject.toml naming its folder, then `tracekit serve --port 0 --watch examples`. Headless
Chromium (Playwright, Debian's /usr/bin/chromium as the browser tests use) opens the example's
page; each of --edits edits changes the range's length and times the moment the file is written
until the reloaded page shows the new value. With --sse (or without Chromium) the time is until
the page's event stream announces the rebuild instead, the page's own reload left out.

In the same command: `python small.py` in its folder, --runs times, interleaved with the edits.
Printed: both medians and their difference. Target: latency <= python time + 1 s.

Usage: python benchmarks/serve_latency.py [--edits N] [--runs N] [--sse] [--example FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]

SMALL = '''"""A small sum."""

import numpy as np

values = np.arange(N_VALUES)
total = int(values.sum())
print("total", total)
'''


def _example(source: str, n: int) -> str:
    """SOURCE with its first integer literal after `range(`/`arange(` (or N_VALUES) set to N."""
    if "N_VALUES" in source:
        return source.replace("N_VALUES", str(n))
    return re.sub(r"(arange\(|range\()\d+", lambda m: f"{m.group(1)}{n}", source, count=1)


def _python(script: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, script.name], cwd=script.parent, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"python {script.name} exited with status {proc.returncode}: {proc.stderr.decode(errors='replace')[-400:]}")
    return elapsed


class _Serve:
    """`tracekit serve --watch` in FOLDER, its stderr read by a thread (never left to fill its pipe)."""

    def __init__(self, folder: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tracekit", "serve", "--port", "0", "--watch", "examples", "out"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))
                if not self.url and " at http://" in line:
                    self.url = line.split(" at ", 1)[1].split(" ", 1)[0]
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(300) or not self.url:
            self.stop()
            raise SystemExit("tracekit serve did not start:\n" + "\n".join(self.lines[-20:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # Ctrl-C: it ends its warm parents
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class _Stream:
    """The page's event stream, read as the page's EventSource reads it."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//", 1)[1].rstrip("/").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.sock.sendall(f"GET /__tracekit__/reload HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.buffer = b""
        self.generation = self.next()["generation"]

    def next(self) -> dict[str, Any]:
        while True:
            while b"\n\n" not in self.buffer:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise SystemExit("the event stream ended")
                self.buffer += chunk
            block, _, self.buffer = self.buffer.partition(b"\n\n")
            lines = block.decode().split("\n")
            if "event: build" in lines:
                data = next(line for line in lines if line.startswith("data: "))
                return dict(json.loads(data[len("data: ") :]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5, help="plain python runs of the example")
    parser.add_argument("--sse", action="store_true", help="time until the event stream's announcement, no browser")
    parser.add_argument("--example", type=Path, help="a .py file with a range(N) or arange(N) to edit (default: a small numpy sum)")
    args = parser.parse_args()
    source = args.example.read_text(encoding="utf-8") if args.example else SMALL
    name = args.example.name if args.example else "small.py"
    use_browser = not args.sse and os.path.exists(CHROMIUM)
    if not args.sse and not use_browser:
        print(f"{CHROMIUM} is not installed: timing the event stream instead (--sse)")

    folder = Path(tempfile.mkdtemp(prefix="tk-serve-latency-"))
    try:
        (folder / "examples").mkdir()
        (folder / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "examples"\noutput = "out"\n', encoding="utf-8")
        script = folder / "examples" / name
        script.write_text(_example(source, 3), encoding="utf-8")
        python = [_python(script)]
        server = _Serve(folder)
        latencies: list[float] = []
        try:
            page_url = server.url + Path(name).with_suffix(".html").name
            if use_browser:
                from playwright.sync_api import sync_playwright

                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                    page = browser.new_page()
                    page.goto(page_url)
                    page.wait_for_load_state("load")
                    for i in range(args.edits):
                        n = 4 + i
                        time.sleep(0.5)
                        with page.expect_event("load", timeout=120_000):
                            started = time.perf_counter()
                            script.write_text(_example(source, n), encoding="utf-8")
                        latencies.append(time.perf_counter() - started)
                        if args.example is None and f">{sum(range(n))}<" not in page.content():
                            raise SystemExit(f"edit {i + 1}: the reloaded page does not show {sum(range(n))}")
                        python.append(_python(script))
                    browser.close()
            else:
                stream = _Stream(server.url)
                for i in range(args.edits):
                    time.sleep(0.5)
                    started = time.perf_counter()
                    script.write_text(_example(source, 4 + i), encoding="utf-8")
                    event = stream.next()
                    latencies.append(time.perf_counter() - started)
                    if event["error"]:
                        raise SystemExit(f"edit {i + 1}: the rebuild failed: {event['error']}")
                    python.append(_python(script))
        finally:
            server.stop()
        while len(python) < args.runs:
            python.append(_python(script))
        rebuilt = sum("rebuilding" in line for line in server.lines)
        if rebuilt != args.edits:
            raise SystemExit(f"{args.edits} edits but {rebuilt} rebuilds:\n" + "\n".join(server.lines[-20:]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    py, lat = statistics.median(python), statistics.median(latencies)
    until = "the reloaded page shows the edit (Chromium)" if use_browser else "the event stream announces the rebuild"
    print(f"example: {name}; {args.edits} edits, each timed from the file written until {until}")
    print(f"edit-to-reload latency, median: {lat:.3f} s   (each: {', '.join(f'{t:.3f}' for t in latencies)})")
    print(f"python {name}, median of {len(python)}:  {py:.3f} s")
    print(f"difference (latency - python): {lat - py:+.3f} s   target <= +1.000 s: {'met' if lat <= py + 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
