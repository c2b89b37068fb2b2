"""RunOptions: every option of one run, from configuration and command line to the child's spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .protocol import DEFAULT_FIGURE_DPI, DEFAULT_FIGURE_MAX_SIZE, DEFAULT_HITS, DEFAULT_MAX_FIGURES, DEFAULT_MAX_OUTPUT

__all__ = ["RunOptions"]


@dataclass(frozen=True)
class RunOptions:
    """Every option of one run, carried unchanged from configuration and command line to the child."""

    device: str | None = None
    seed: int | None = 0
    timeout: float | None = None
    hits: int = DEFAULT_HITS
    last_hit: bool = True  # also record the last hit of lines hit more than `hits` times (tracekit.lasthit)
    memory: int | None = None
    max_output: int = DEFAULT_MAX_OUTPUT
    figure_dpi: float = DEFAULT_FIGURE_DPI
    max_figures: int = DEFAULT_MAX_FIGURES
    figure_max_size: tuple[int, int] = DEFAULT_FIGURE_MAX_SIZE
    #: modules a warm parent imports once for the runs that import them (tracekit.warm); None: a fresh interpreter each
    preload: tuple[str, ...] | None = None

    #: the options that change what a page shows: part of every cache key
    KEYED = ("device", "seed", "hits", "last_hit", "timeout", "memory", "max_output")

    def merged(self, overrides: Mapping[str, Any]) -> RunOptions:
        """A copy with the OVERRIDES that name a field of this class and are not None."""
        names = {f.name for f in fields(self)}
        given = {k: v for k, v in overrides.items() if k in names and v is not None}
        if "figure_max_size" in given:
            w, h = given["figure_max_size"]
            given["figure_max_size"] = (int(w), int(h))
        return replace(self, **given)

    def key_dict(self) -> dict[str, Any]:
        """The options a page's cache key covers."""
        return {name: getattr(self, name) for name in self.KEYED}

    def spec(self) -> dict[str, Any]:
        """These options as keys of the child's spec."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["figure_max_size"] = list(self.figure_max_size)
        del out["preload"]  # the build's business, not the child's
        return out
