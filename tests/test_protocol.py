"""One protocol: the literals parent, child, build and schema share, and the status bugs they stop."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import page_text as shared_page_text

from tracekit.child import protocol
from tracekit.cli import cli
from tracekit.directives import requested_devices
from tracekit.options import RunOptions
from tracekit.site import build
from tracekit.site.report import Reporter
from tracekit.trace import PAGE_SCHEMA_PATH, SCHEMA_PATH

QUIET = Reporter(verbosity=-1)
TRACE_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def page_text(page: str) -> str:
    return shared_page_text(page, tag=" ")


def build_one(tmp_path: Path, name: str, source: str) -> tuple[dict, str, object]:
    ex, out = tmp_path / "ex", tmp_path / "out"
    ex.mkdir(exist_ok=True)
    (ex / name).write_text(source, encoding="utf-8")
    result = build([ex], output=out, reporter=QUIET)
    stem = Path(name).stem
    data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    return data, page_text((out / f"{stem}.html").read_text(encoding="utf-8")), result


def page_validator():  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource

    page_schema = json.loads(PAGE_SCHEMA_PATH.read_text(encoding="utf-8"))
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (TRACE_SCHEMA, page_schema)])
    return jsonschema.Draft202012Validator(page_schema, registry=registry)


# ── the schema and the protocol agree ────────────────────────────────────────


def test_schema_enums_are_the_protocols_literals() -> None:
    body = TRACE_SCHEMA["$defs"]["trace_body"]["properties"]
    assert body["schema"]["const"] == protocol.SCHEMA_VERSION
    assert tuple(body["status"]["enum"]) == protocol.STATUSES
    error = next(alt for alt in body["error"]["oneOf"] if alt.get("type") == "object")
    assert tuple(error["properties"]["reason"]["enum"]) == protocol.REASONS
    assert tuple(TRACE_SCHEMA["$defs"]["event"]["properties"]["role"]["enum"]) == protocol.ROLES


def test_builders_refuse_unknown_literals() -> None:
    with pytest.raises(ValueError, match="unknown error reason"):
        protocol.error_record("X", "m", reason="authorship")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown status"):
        protocol.trace_record(meta={}, source={}, status="fine", exit_status=0, error=None)  # type: ignore[arg-type]


def test_hook_names_are_the_instrumenters() -> None:
    from tracekit.child import instrument

    assert set(instrument._HOOK_NAMES) == set(protocol.HOOKS.values())
    assert all(name.startswith(protocol.HOOK_PREFIX) for name in protocol.HOOKS.values())


# ── status bugs ──────────────────────────────────────────────────────────────


def test_a_failed_placeholder_fails_the_page_itself(tmp_path: Path) -> None:
    data, text, result = build_one(tmp_path, "ph.py", '"""Placeholder."""\n\na = 1\n#: Value {a.nonexistent}.\nb = a + 1\nc = b\n')
    assert result.exit_status == 1
    assert data["status"] == "error" and data["error"]["reason"] == "placeholder"
    assert "ran without errors" not in text
    assert "This example failed PlaceholderError" in text
    # the listing numbers lines as shown (docstring left out); the banner also names the file line
    assert "on line 2 (file line: ph.py:5)" in text
    # a failed placeholder does not stop the run: later lines are not "not reached"
    assert "not reached" not in text
    assert not list(page_validator().iter_errors(data))


def test_placeholders_above_a_class_are_evaluated(tmp_path: Path) -> None:
    data, text, result = build_one(tmp_path, "cls.py", '#: A class of {len("abc")} letters.\nclass A:\n    pass\n')
    assert result.exit_status == 0
    assert "A class of 3 letters." in text
    data, text, result = build_one(tmp_path, "cls0.py", "#: Zero is {B.missing}.\nclass B:\n    pass\n")
    assert result.exit_status == 1
    assert data["placeholder_errors"] == [{"line": 2, "placeholder": "B.missing", "error": "AttributeError: type object 'B' has no attribute 'missing'"}]


def test_placeholders_above_a_def_never_called_are_an_error(tmp_path: Path) -> None:
    data, text, result = build_one(tmp_path, "d.py", "#: One more is {x + 1}.\ndef f(x):\n    return x\n")
    assert result.exit_status == 1
    assert data["status"] == "error"
    assert "never evaluated: the function was defined but never called" in data["placeholder_errors"][0]["error"]


def test_a_def_that_ran_is_not_shown_as_not_run(tmp_path: Path) -> None:
    data, text, result = build_one(tmp_path, "d2.py", "#: A function.\ndef f(x):\n    return x\n\n\nif False:\n    #: Never.\n    def g():\n        pass\n")
    assert result.exit_status == 0
    lines = {entry["line"]: entry for entry in data["lines"]}
    assert lines[2]["defined"] == 1 and lines[2]["hits"] == 0
    assert "defined" not in lines[8]
    assert text.count("defined here; never called") == 1
    assert text.count("this line did not run") >= 1  # g's def, inside the false branch


def test_authoring_error_page_validates_and_reads_as_not_run(tmp_path: Path) -> None:
    source = '"""Broken directive.\n\nIt explains things.\n"""\n\nx = 1  # tracekit: bogus=1\n'
    data, text, result = build_one(tmp_path, "authoring_case.py", source)
    assert result.exit_status == 1
    assert data["error"]["reason"] == "authoring"
    assert not list(page_validator().iter_errors(data))
    page = (tmp_path / "out" / "authoring_case.html").read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>Broken directive\.</h1>", page)  # the title, from the docstring
    assert "Authoring case" not in text
    assert '"""' not in text  # the docstring is not shown as code
    assert "recorded while the code ran" not in text
    assert "This code did not run" in text


def test_device_auto_in_quotes_is_read_like_the_source_reader_reads_it() -> None:
    assert requested_devices(b'x = 1  # tracekit: device="auto"\n') == {"auto"}
    assert requested_devices(b"# tracekit: hits=2 device=auto\nx = 1\n") == {"auto"}
    assert requested_devices(b's = "# tracekit: device=auto"\n') == set()  # a string, not a comment


def test_device_auto_in_quotes_puts_cuda_in_the_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit.site import plan as plan_mod

    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "a.py").write_text('x = 1  # tracekit: device="auto"\n', encoding="utf-8")
    (ex / "b.py").write_text("x = 1\n", encoding="utf-8")
    out = tmp_path / "out"
    build([ex], output=out, reporter=QUIET)
    manifest = json.loads((out / ".tracekit-manifest.json").read_text(encoding="utf-8"))
    keys = {rel: rec["key"] for rel, rec in manifest["examples"].items()}
    monkeypatch.setattr(plan_mod, "cuda_fingerprint", lambda: ["a CUDA device appeared"])
    build([ex], output=out, reporter=QUIET)
    manifest = json.loads((out / ".tracekit-manifest.json").read_text(encoding="utf-8"))
    assert manifest["examples"]["a.py"]["key"] != keys["a.py"]
    assert manifest["examples"]["b.py"]["key"] == keys["b.py"]


def test_a_timeout_at_the_limit_is_reported_as_a_timeout(tmp_path: Path) -> None:
    from tracekit.run import trace_file

    script = tmp_path / "t.py"
    script.write_text("import time\ntime.sleep(5)\n", encoding="utf-8")
    result = trace_file(script, timeout=1e-9, capture=True)
    assert result.trace.status == "timeout"
    assert result.exit_status == protocol.EXIT_TIMEOUT
    assert result.trace.error.reason == "timeout"
    assert "crashed" not in json.dumps(result.trace.to_dict())


def test_device_error_is_printed_once(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    script = tmp_path / "d.py"
    script.write_text("print('hi')\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tracekit", "run", "--device", "cuda", str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("tracekit:") == 1, proc.stderr
    assert "cuda" in proc.stderr.lower()


@pytest.mark.parametrize(
    "imports",
    ["import tracekit", "import tracekit.site", "import tracekit.site.build_site", "from tracekit.site import build", "import tracekit.cli"],
)
def test_tracekit_build_is_always_the_function(imports: str) -> None:
    code = f"{imports}\nimport tracekit, types\nassert isinstance(tracekit.build, types.FunctionType), tracekit.build\nassert isinstance(tracekit.check, types.FunctionType)\nassert callable(tracekit.trace_file)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ})
    assert proc.returncode == 0, proc.stderr


def test_retry_failed_is_a_build_option() -> None:
    result = CliRunner().invoke(cli, ["build", "--help"])
    assert "--retry-failed" in result.output


def test_run_options_flow_from_configuration_to_the_child(tmp_path: Path) -> None:
    from tracekit.config import load_config
    from tracekit.run import trace_file

    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nhits = 5\ntimeout = 7\nseed = 3\nmax_output = "2K"\n', encoding="utf-8")
    opts = load_config(tmp_path).run_options()
    # warm runs are on by default, with the default preload list (the build's, not the child's)
    preload = ("torch", "torch._dynamo", "numpy", "matplotlib", "matplotlib.pyplot")
    assert opts == RunOptions(seed=3, timeout=7.0, hits=5, max_output=2048, preload=preload)
    assert set(opts.spec()) <= protocol.SPEC_KEYS and "preload" not in opts.spec()
    assert opts.merged({"hits": 2, "unknown": 1, "seed": None}) == RunOptions(seed=3, timeout=7.0, hits=2, max_output=2048, preload=preload)
    script = tmp_path / "s.py"
    script.write_text("import random\nfor i in range(6):\n    x = i\nprint(random.random())\n", encoding="utf-8")
    trace = trace_file(script, options=opts, capture=True).trace.to_dict()
    assert (trace["meta"]["hits"], trace["meta"]["seed"], trace["meta"]["timeout"]) == (5, 3, 7.0)
    loop = next(line for line in trace["lines"] if line["line"] == 3)
    # hits=5 reached the child: five first hits, then the last one
    assert [r.get("last", False) for r in loop["records"]] == [False] * 5 + [True] and loop["hits"] == 6
    # an explicit keyword wins over the options
    assert trace_file(script, options=opts, hits=1, capture=True).trace.meta.hits == 1
    # warm = false: every example in a fresh interpreter, nothing preloaded
    (tmp_path / "pyproject.toml").write_text("[tool.tracekit]\nwarm = false\n", encoding="utf-8")
    assert load_config(tmp_path).run_options().preload is None


# ── the typed trace reader ───────────────────────────────────────────────────


def test_the_trace_reader_is_lenient_about_missing_parts_and_strict_about_types() -> None:
    from tracekit.trace import Trace, TraceError

    partial = Trace.from_dict({"schema": protocol.SCHEMA_VERSION, "status": "crashed"})
    assert partial.lines == [] and partial.meta.device == "cpu" and partial.error is None
    with pytest.raises(TraceError, match=r"lines\[0\]\.records\[0\]\.events\[0\]\.role: expected str, got int"):
        Trace.from_dict({"schema": 1, "lines": [{"line": 1, "hits": 1, "records": [{"hit": 0, "events": [{"role": 3, "text": "x"}]}]}]})
    with pytest.raises(TraceError, match=r"lines\[0\]\.hits: expected int, got bool"):
        Trace.from_dict({"schema": 1, "lines": [{"line": 1, "hits": True}]})
    with pytest.raises(TraceError, match="trace.status"):
        Trace.from_dict({"schema": 1, "status": "fine"})
    with pytest.raises(TraceError, match=r"value\.shape\[0\]"):
        Trace.from_dict(
            {"schema": 1, "lines": [{"line": 1, "records": [{"events": [{"role": "bind", "text": "x", "value": {"type": "T", "repr": "r", "shape": ["2"]}}]}]}]}
        )


def test_an_unreadable_trace_fails_its_example_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit import run as run_mod

    ex, out = tmp_path / "ex", tmp_path / "out"
    ex.mkdir()
    (ex / "a_saboteur.py").write_text("print('hello')\n", encoding="utf-8")
    (ex / "b_fine.py").write_text('"""Fine."""\nx = 1\n', encoding="utf-8")
    real = run_mod._read_child_trace

    def spoiled(path: Path):  # type: ignore[no-untyped-def]
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["source"]["path"].endswith("a_saboteur.py"):  # as if the example had rewritten its trace file
            data["lines"] = [{"line": "one", "hits": 1}]
            path.write_text(json.dumps(data), encoding="utf-8")
        return real(path)

    monkeypatch.setattr(run_mod, "_read_child_trace", spoiled)
    result = build([ex], output=out, reporter=QUIET)
    assert {o.path: o.status for o in result.outcomes} == {"a_saboteur.py": "failed", "b_fine.py": "ok"}
    failure = " ".join(next(o for o in result.outcomes if o.path == "a_saboteur.py").lines())
    assert "the trace it wrote is not valid: lines[0].line: expected int, got str" in failure
    text = page_text((out / "a_saboteur.html").read_text(encoding="utf-8"))
    assert "hello" in text and "could not be read" in text
    assert not list(page_validator().iter_errors(json.loads((out / "a_saboteur.json").read_text(encoding="utf-8"))))
