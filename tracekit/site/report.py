"""Progress and summary lines printed while building."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .paths import display_path, visible
from .results import BuildResult, Outcome

# ─────────────────────────────────────────────────────────────────────────────
# Progress
# ─────────────────────────────────────────────────────────────────────────────


def up_to_date_line(examples: int, out: Path | str) -> str:
    """What a build with nothing to do says (also remembered by the command line's fast path)."""
    return f"{examples} example(s) up to date → {display_path(out)}"


def report_noop(result: BuildResult, examples: int, reporter: Reporter) -> None:
    """What a build with nothing to do says: that all is up to date, or the failures it still has."""
    if result.failed:
        reporter.summary(result)  # unchanged failures are not run again, but still reported
    else:
        reporter.info(up_to_date_line(examples, result.output))


class Reporter:
    """Progress and summary. On a TTY: a live line and a final table; otherwise one plain line
    per example. verbosity: -1 quiet (errors only), 0 normal, 1 verbose. Errors go to stderr."""

    def __init__(
        self, verbosity: int = 0, out: TextIO | None = None, err: TextIO | None = None, tty: bool | None = None
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.verbosity = verbosity
        if tty is None:
            try:
                tty = self.out.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.tty = tty
        self.total = 0
        self.done = 0
        self._live = False
        self._shown = ""
        self._lock = threading.Lock()

    # live line
    def _clear(self) -> None:
        if self._live:
            self.out.write("\r\033[K")
            self.out.flush()
            self._live = False

    def progress(self, running: Sequence[str]) -> None:
        if not self.tty or self.verbosity < 0 or not self.total:
            return
        with self._lock:
            names = ", ".join(running[:3]) + (f" +{len(running) - 3}" if len(running) > 3 else "")
            text = f"[{self.done}/{self.total}] {names}"
            width = _terminal_width() - 1
            if len(text) > width:
                text = text[: max(width - 1, 0)] + "…"
            if self._live and text == self._shown:
                return
            self.out.write("\r\033[K" + visible(text, newlines=False))
            self.out.flush()
            self._live = True
            self._shown = text

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            with self._lock:
                self._clear()
                self.out.write(visible(text) + "\n")
                self.out.flush()

    def detail(self, text: str) -> None:
        if self.verbosity >= 1:
            self.info(text)

    def warn(self, text: str) -> None:
        with self._lock:
            self._clear()
            self.err.write(f"tracekit: {visible(text)}\n")
            self.err.flush()

    def plan(self, to_run: int, cached: int) -> None:
        self.total = to_run
        self.done = 0
        if to_run:
            self.detail(f"{to_run} example(s) to run, {cached} up to date")

    def finished(self, outcome: Outcome) -> None:
        self.done += 1
        if self.verbosity < 0:
            return
        if not self.tty or self.verbosity >= 1:
            self.info(_outcome_line(outcome))
        if outcome.failures and self.verbosity >= 1 and outcome.detail:
            with self._lock:
                self._clear()
                for line in outcome.detail.rstrip().splitlines():
                    self.err.write(f"    {visible(line)}\n")
                self.err.flush()

    def cached(self, outcome: Outcome) -> None:
        self.detail(_outcome_line(outcome))

    def summary(self, result: BuildResult) -> None:
        with self._lock:
            self._clear()
        if self.tty and self.verbosity >= 0 and result.ran:
            rows = [("example", "status", "seconds", "hits")]
            for o in result.outcomes:
                if o.cached and self.verbosity < 1:
                    continue
                rows.append(
                    (
                        o.path,
                        o.status + (" (cached)" if o.cached else ""),
                        "-" if o.seconds is None else f"{o.seconds:.2f}",
                        "-" if o.hits is None else str(o.hits),
                    )
                )
            widths = [max(len(r[i]) for r in rows) for i in range(4)]
            for r in rows:
                self.out.write(
                    visible(
                        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}".rstrip(),
                        newlines=False,
                    )
                    + "\n"
                )
        if self.verbosity >= 0:
            examples = [o for o in result.outcomes if not o.path.endswith(".md")]
            chapters = len(result.outcomes) - len(examples)
            counts: dict[str, int] = {}
            for o in examples:
                counts[o.status] = counts.get(o.status, 0) + 1
            cached = sum(1 for o in examples if o.cached)
            bits = [f"{n} {s}" for s, n in sorted(counts.items())]
            ran = len(examples) - cached
            head = f"{len(examples)} example(s): {ran} run, {cached} up to date"
            tail = ""
            if chapters:
                failing = sum(1 for o in result.outcomes if o.path.endswith(".md") and o.status == "failed")
                tail = f"; {chapters} chapter(s)" + (f", {failing} failed" if failing else "")
            self.out.write(
                f"{head}" + (f" ({', '.join(bits)})" if bits else "") + f"{tail} → {display_path(result.output)}\n"
            )
            self.out.flush()
        for o in result.outcomes:
            if o.status == "skipped":
                self.warn(f"skipped {o.display}: {o.note}")
        for rel in result.kept:
            self.warn(f"left {rel} in place: it changed since tracekit wrote it")
        if result.failed:
            self.warn(f"{len(result.failed)} example(s) failed:")
            with self._lock:
                for o in result.failed:
                    for line in o.lines() or [f"{o.display}: failed"]:
                        self.err.write(f"  {visible(line, newlines=False)}\n")
                self.err.flush()


def _outcome_line(o: Outcome) -> str:
    if o.cached:
        return f"{'up to date':14} {o.display}"
    secs = "" if o.seconds is None else f" {o.seconds:.2f}s"
    hits = "" if o.hits is None else f", {o.hits} hits"
    extra = f" — {o.failures[0].message.splitlines()[0]}" if o.failures else (f" — {o.note}" if o.note else "")
    return f"{o.status:14} {o.display}{secs}{hits}{extra}"


def _terminal_width() -> int:
    import shutil

    columns = shutil.get_terminal_size((80, 24)).columns
    return columns if columns >= 20 else 80
