"""The runs of a varied example on a page: one control per varied name, and every run's region.

The default run's region is the page's own (what shows without JavaScript); every other run's
region is rendered the same way into a ``<template>``, which tracekit.js swaps in when the reader
picks its values. Nothing is fetched, so a page opened from disk switches too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from ..source import Example
from ..variants import traces

__all__ = ["VariantSet", "variant_set", "varying_lines"]


@dataclass
class Choice:
    text: str  # the value's source text
    checked: bool
    id: str


@dataclass
class Name:
    name: str
    choices: list[Choice]


@dataclass
class VariantSet:
    """What a page shows of a varied example's runs."""

    prefix: str
    names: list[Name]
    default_label: str
    varies: set[int]  # display numbers of listing lines whose recorded values differ between runs
    others: list[tuple[str, Markup]] = field(default_factory=list)  # (label, the run's region)

    @property
    def control(self) -> Markup:
        """The fieldset of radio groups (hidden until the script runs: without it they could do nothing)."""
        p = escape(self.prefix)
        parts = [
            f'<fieldset class="vary" id="{p}vary" data-prefix="{p}" data-default="{escape(self.default_label)}" '
            f"hidden>",
            "<legend>Recorded runs</legend>",
            '<p class="vary-n">Each value below is a separate run of this example; pick one to see its values.</p>',
        ]
        for n in self.names:
            parts.append(
                f'<fieldset class="vary-g"><legend><code>{escape(n.name)}</code></legend><span class="vary-o">'
            )
            for c in n.choices:
                checked = " checked" if c.checked else ""
                parts.append(
                    f'<input type="radio" class="vary-r" name="{p}vary-{escape(n.name)}" id="{escape(c.id)}" '
                    f'data-name="{escape(n.name)}" value="{escape(c.text)}"{checked}>'
                    f'<label for="{escape(c.id)}"><code>{escape(c.text)}</code></label>'
                )
            parts.append("</span></fieldset>")
        parts.append(f'<p class="vary-s" role="status" aria-live="polite" id="{p}vary-s"></p>')
        parts.append("</fieldset>")
        return Markup("".join(parts))

    @property
    def templates(self) -> Markup:
        """Every run but the default, rendered, in a ``<template>`` each."""
        return Markup("").join(
            Markup('<template class="tk-v" data-prefix="{}" data-v="{}">').format(self.prefix, label)
            + region
            + Markup("</template>")
            for label, region in self.others
        )


def _signature(trace: Mapping[str, Any]) -> dict[int, str]:
    """Original line → what the run recorded on it (values, output, figures), to compare runs."""
    out: dict[int, str] = {}
    for rec in trace.get("lines") or []:
        if isinstance(rec, Mapping) and isinstance(rec.get("line"), int):
            out[rec["line"]] = json.dumps({k: v for k, v in rec.items() if k != "line"}, sort_keys=True, default=str)
    return out


def varying_lines(example: Example, runs: list[Mapping[str, Any]]) -> set[int]:
    """Display numbers of the listing lines whose recorded values differ between RUNS."""
    sigs = [_signature(t) for t in runs]
    lines = set().union(*sigs) if sigs else set()
    differ = {line for line in lines if len({s.get(line) for s in sigs}) > 1}
    spans = [(it.line, max(it.end_line, it.line), it.number) for it in example.items if it.kind == "code"]
    numbers: set[int] = set()
    by_line = {ll.line: ll.number for ll in example.listing}
    for line in differ:
        if line in by_line:
            numbers.add(by_line[line])
            continue
        numbers.update(n for a, b, n in spans if a <= line <= b)
    return numbers


def variant_set(
    example: Example,
    trace: Mapping[str, Any],
    prefix: str,
    region: Callable[[Mapping[str, Any], set[int], str], Markup],
) -> VariantSet | None:
    """The runs TRACE carries (None without variants); REGION(trace, varies, its key) renders one run's region."""
    runs = traces(trace)
    names = (trace.get("variants") or {}).get("names") if runs else None
    if not runs or not isinstance(names, list):
        return None
    default = next((run for run, _ in runs if run.get("default")), runs[0][0])
    chosen = default.get("values") or {}
    out: list[Name] = []
    for k, n in enumerate(names):
        name = str(n.get("name"))
        values = [str(v) for v in n.get("values") or []]
        out.append(
            Name(name, [Choice(v, v == chosen.get(name), f"{prefix}vary-{k}-{i}") for i, v in enumerate(values)])
        )
    varies = varying_lines(example, [t for _, t in runs])
    vs = VariantSet(prefix, out, str(default.get("label") or ""), varies)
    vs.others = [
        (str(run.get("label") or ""), region(t, varies, str(run.get("key"))))
        for run, t in runs
        if not run.get("default")
    ]
    return vs
