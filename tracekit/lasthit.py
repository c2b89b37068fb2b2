"""The last hit of every line: a second, seeded run that knows each line's hit count from the first.

A hit is known to be a line's last only once the run is over. Runs are seeded, so a second run
of the same script given the first run's hit counts records exactly those hits; its records are
added to the first run's trace, marked ``"last": true``. When the two runs disagree (a line ran
a different number of times, or the output differs), no last hit is added and the trace says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["lines_to_revisit", "add_last_hits", "with_last_hits"]


def lines_to_revisit(trace: dict, hits: int) -> dict[int, int]:
    """Line → hit count of the lines of a finished run hit more than HITS times ({} when none,
    or when the run did not end well: a second run could not be trusted to follow it)."""
    if trace.get("status") != "ok":
        return {}
    return {int(ln["line"]): int(ln["hits"]) for ln in trace.get("lines") or () if int(ln.get("hits") or 0) > hits}


def _disagreement(first: dict, second: dict) -> str | None:
    """Why SECOND is not a rerun of FIRST (None when it is)."""
    if second.get("status") != first.get("status"):
        return f"the second run ended {second.get('status')!r}, the first {first.get('status')!r}"
    hits = {ln["line"]: ln["hits"] for ln in second.get("lines") or ()}
    for ln in first.get("lines") or ():
        again = hits.get(ln["line"], 0)
        if again != ln["hits"]:
            return f"line {ln['line']} ran {ln['hits']} times, then {again} times"
    if second.get("stdout") != first.get("stdout"):
        return "the second run printed something else"
    return None


def add_last_hits(first: dict, second: dict, revisit: dict[int, int]) -> None:
    """Add SECOND's last-hit records of the lines in REVISIT to FIRST, or say why not."""
    why = _disagreement(first, second)
    if why is not None:
        first["last_hit"] = {"recorded": False, "reason": f"the last hits are not shown: a second run disagreed ({why})"}
        return
    by_line = {ln["line"]: ln for ln in second.get("lines") or ()}
    added = []
    for ln in first.get("lines") or ():
        total = revisit.get(ln["line"])
        if total is None:
            continue
        last = next((r for r in by_line.get(ln["line"], {}).get("records") or () if r.get("hit") == total - 1), None)
        if last is None:
            continue
        last = dict(last)
        last.pop("figures", None)  # the first run has them, among the line's later figures
        last["last"] = True
        ln["records"] = [r for r in ln["records"] if r.get("hit") != total - 1] + [last]
        added.append(ln["line"])
    first["last_hit"] = {"recorded": True, "lines": added}


def with_last_hits(result: Any, hits: int, rerun: Callable[[dict[int, int]], Any]) -> float:
    """Give RESULT (a RunResult) the last hits of its lines hit more than HITS times.

    RERUN(line_hits) runs the script again, recording those lines' last hits, and returns its
    RunResult. Returns the seconds the second run took (0.0 when none was needed).
    """
    revisit = lines_to_revisit(result.trace, hits)
    if not revisit:
        return 0.0
    second = rerun(revisit)
    add_last_hits(result.trace, second.trace, revisit)
    if result.trace["last_hit"]["recorded"]:
        for name, payload in second.figures.items():
            result.figures.setdefault(name, payload)
    return float(second.seconds)
