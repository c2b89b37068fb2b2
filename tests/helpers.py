"""Helpers shared by the test files: the repository's paths, traced runs validated against the
schema, page text, the command line run in a folder, the semantics harness."""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema

from tracekit.trace import SCHEMA_PATH

ROOT = Path(__file__).resolve().parent.parent  # the repository
TRACE_SCHEMA: dict = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
#: asset names as a build would hash them, for pages rendered outside a build
ASSETS = {"tracekit.css": "assets/tracekit.0123abcd.css", "tracekit.js": "assets/tracekit.4567ef01.js"}


def validate_trace(trace: dict) -> dict:
    """TRACE, after checking it against the shipped trace schema (always: jsonschema is a test dependency)."""
    jsonschema.validate(trace, TRACE_SCHEMA)
    return trace


def run_traced(tmp_path: Path, code: str, *args: str, name: str = "script.py", **kw: Any) -> Any:
    """Write CODE (dedented) as TMP_PATH/NAME, run it with `trace_file(capture=True)`, validate the trace."""
    from tracekit.run import trace_file

    script = tmp_path / name
    script.write_text(textwrap.dedent(code))
    result = trace_file(script, args, capture=True, **kw)
    validate_trace(result.trace.to_dict())
    return result


def line(trace: dict, number: int) -> dict:
    """The trace's record of source line NUMBER."""
    for ln in trace["lines"]:
        if ln["line"] == number:
            return ln
    raise AssertionError(f"line {number} not in trace")


def page_text(page: str, tag: str = "") -> str:
    """Visible-ish text of a page: tags replaced by TAG, icons dropped, entities decoded, whitespace collapsed."""
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", tag, body)
    return " ".join(html.unescape(body).split())


def invoke(*args: str, cwd: Path | None = None) -> Any:
    """Run the click command line in-process (CliRunner), in folder CWD."""
    from click.testing import CliRunner

    from tracekit.cli import cli

    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def semantics_harness() -> ModuleType:
    """tests/semantics/harness.py, loaded once by path (it is a script folder, not a package)."""
    name = "tracekit_semantics_harness"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "semantics" / "harness.py")
        assert spec is not None and spec.loader is not None, "tests/semantics/harness.py is missing"
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
