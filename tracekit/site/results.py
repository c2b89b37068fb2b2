"""What a build or check reports: outcomes, failures, problems and the errors it raises."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .paths import display_path

if TYPE_CHECKING:
    from .manifest import FailureRecord, Manifest, ManifestRecord


class BuildError(Exception):
    """A usage or environment problem (exit status 2): the message is one line for the user."""

    exit_status = 2


class BuildInterrupted(Exception):
    """SIGINT or SIGTERM arrived; pages written so far are complete, earlier ones intact."""

    def __init__(self, signum: int, written: int = 0) -> None:
        import signal

        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        super().__init__(f"interrupted by {name}; {written} page(s) written, earlier pages left intact")
        self.signum = signum
        self.exit_status = 128 + signum


# ─────────────────────────────────────────────────────────────────────────────
# Results
# ─────────────────────────────────────────────────────────────────────────────


@dataclass(eq=False)
class Failure:
    """Why an example failed: a message, and the source line when one is known."""

    line: int | None
    message: str

    def to_dict(self) -> FailureRecord:
        return {"line": self.line, "message": self.message}


@dataclass(eq=False)
class Outcome:
    """What happened to one example in this build."""

    path: str  # relative to the examples root, POSIX
    display: str  # the source file as the user names it (relative to the current folder)
    status: str  # ok | expected error | failed | skipped
    cached: bool = False
    seconds: float | None = None
    hits: int | None = None
    failures: list[Failure] = field(default_factory=list)
    note: str = ""  # why it was skipped
    detail: str = ""  # for -v: the whole error message, or the end of the example's stderr

    def lines(self) -> list[str]:
        """`file:line: reason` for each failure."""
        out = []
        for f in self.failures:
            where = f"{self.display}:{f.line}" if f.line else self.display
            out.append(f"{where}: {f.message}")
        return out


@dataclass(eq=False)
class BuildResult:
    output: Path
    outcomes: list[Outcome]
    written: list[str] = field(default_factory=list)  # files written, relative to output
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # files tracekit would delete but were changed by hand
    index_written: bool = False

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ran(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.cached]

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0


@dataclass(eq=False)
class Problem:
    kind: str  # stale | missing | orphaned | failing | leftover
    path: str  # what it is about, as the user names it
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:9} {self.path}: {self.detail}"


@dataclass(eq=False)
class CheckResult:
    output: Path
    examples: int
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return 1 if self.problems else 0


def cached_outcome(rel: str, display: str, rec: ManifestRecord) -> Outcome:
    """What a build reports for an example it does not run again: its recorded status and failures."""
    failures = [Failure(f["line"], f["message"]) for f in rec.failures]
    return Outcome(rel, display, rec.status or "ok", cached=True, hits=rec.hits, failures=failures)


def cached_chapters(manifest: Manifest, display: Callable[[str], str]) -> list[Outcome]:
    """What a build reports for the chapters when the book stage has nothing to do."""
    return [
        Outcome(
            rel,
            display(rel),
            str(r.get("status")),
            cached=True,
            failures=[Failure(f.get("line"), str(f.get("message"))) for f in r.get("failures") or []],
        )
        for rel, r in sorted(manifest.chapters.items())
    ]


def noop_result(out: Path, root: Path, examples: Sequence[str], manifest: Manifest) -> BuildResult:
    """What a build with nothing to do reports for EXAMPLES (under ROOT) and the chapters, from MANIFEST."""
    display = lambda rel: display_path(root / rel)  # noqa: E731 - as the build names them
    outcomes = [cached_outcome(rel, display(rel), manifest.examples[rel]) for rel in examples]
    return BuildResult(out, outcomes + cached_chapters(manifest, display))
