"""Semantics suite: `tracekit run` must behave exactly like `python`.

Each program in tests/semantics/programs/ is run twice, with the same cwd,
environment and stdin:

    python prog/NAME.py ARGS...
    python -m tracekit run --trace TRACE [OPTIONS] prog/NAME.py ARGS...

and stdout, stderr and the exit status must be byte-for-byte identical (nothing is
normalised).  The trace must then be valid JSON, match the shipped JSON Schema and
report the same exit status.  See tests/semantics/harness.py for program headers.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from helpers import semantics_harness

H = semantics_harness()

PROGRAMS = H.discover()

# The harness finds the engine and the schema by path: if either moves, every program must fail
# loudly here rather than be skipped.
assert H.engine_available(), f"the semantics harness cannot find the engine: {[str(p) for p in H.ENGINE_FILES]}"
assert H.SCHEMA_PATH.exists(), f"the semantics harness cannot find the trace schema at {H.SCHEMA_PATH}"
assert len(PROGRAMS) >= 100, f"only {len(PROGRAMS)} semantics programs found in {H.PROGRAMS_DIR}"


def _param(path: Path):
    prog = H.parse(path)
    marks = []
    missing = H.missing_requirements(prog)
    if missing:
        marks.append(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))
    return pytest.param(path, id=path.stem, marks=marks)


def _compared(path: Path):
    """A program for the plain-vs-traced comparison; a documented known difference is a strict xfail."""
    param = _param(path)
    prog = H.parse(path)
    if prog.known_difference:
        param = pytest.param(path, id=path.stem, marks=[*param.marks, pytest.mark.xfail(strict=True, reason=prog.known_difference)])
    return param


def _load_schema():
    return json.loads(H.SCHEMA_PATH.read_text(encoding="utf-8"))


def _run_plain(prog, workdir: Path):
    script = H.stage(prog.path, workdir)
    return H.run(H.plain_argv(script, prog.args), workdir, prog.stdin, prog.merge_stderr, prog.timeout)


@pytest.mark.parametrize("path", [_param(p) for p in PROGRAMS])
def test_program_runs_under_python(path, tmp_path):
    """Sanity (needs no engine): every program runs under plain python and prints."""
    prog = H.parse(path)
    result = _run_plain(prog, tmp_path)
    assert result.stdout or result.stderr, "program printed nothing: it checks nothing"
    if result.returncode not in (0, 1):
        # only the exit_* programs leave with an unusual status on purpose
        assert prog.name.startswith("exit_"), result.describe()


@pytest.mark.parametrize("path", [_compared(p) for p in PROGRAMS])
def test_same_behaviour_as_python(path, tmp_path):
    prog = H.parse(path)
    workdir = tmp_path / "work"
    script = H.stage(prog.path, workdir)
    env = H.child_env()
    plain = H.run(H.plain_argv(script, prog.args), workdir, prog.stdin, prog.merge_stderr, prog.timeout, env)
    trace_path = tmp_path / "trace.json"
    traced = H.run(H.tracekit_argv(script, prog.args, trace_path, prog.tracekit_options), workdir, prog.stdin, prog.merge_stderr, prog.timeout * 3, env)

    problems = []
    if traced.stdout != plain.stdout:
        problems.append("stdout differs:\n" + H.diff("stdout", plain.stdout, traced.stdout))
    if traced.stderr != plain.stderr:
        problems.append("stderr differs:\n" + H.diff("stderr", plain.stderr, traced.stderr))
    if traced.returncode != plain.returncode:
        problems.append(f"exit status differs: python {plain.returncode}, tracekit run {traced.returncode}")
    assert not problems, f"{prog.name}: " + "\n".join(problems)

    assert trace_path.exists(), "tracekit run wrote no trace file"
    trace = json.loads(trace_path.read_text(encoding="utf-8"))
    import jsonschema

    jsonschema.validate(trace, _load_schema())
    assert trace.get("exit_status") == plain.returncode, f"trace exit_status {trace.get('exit_status')!r} != real {plain.returncode}"
    lines = trace.get("lines")
    if not prog.expect_no_lines:
        assert isinstance(lines, list) and any(ln.get("hits", 0) > 0 for ln in lines), "trace records no executed line: was the script instrumented at all?"


def test_trace_schema_available():
    """Schema validation in test_same_behaviour_as_python needs the shipped schema."""
    schema = _load_schema()
    import jsonschema

    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_program_names_do_not_shadow_modules():
    """Programs run with their folder on sys.path: none may shadow an importable module."""
    stdlib = set(sys.stdlib_module_names)
    clashes = []
    for p in [*PROGRAMS, *H.helpers()]:
        name = p.stem
        if name in stdlib:
            clashes.append(name)
            continue
        spec = importlib.util.find_spec(name)
        if spec is not None and not str(spec.origin or "").startswith(str(H.PROGRAMS_DIR)):
            clashes.append(name)
    assert not clashes


def test_enough_programs():
    assert len(PROGRAMS) >= 60
    # each torch program imports torch twice (python, then tracekit): only behaviour torch alone has
    assert sum("torch" in H.parse(p).requires for p in PROGRAMS) <= 7
