"""The trace engine: what a run records, and that recording changes nothing about the run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import TRACE_SCHEMA as SCHEMA
from helpers import line, run_traced

from tracekit import trace as trace_mod
from tracekit.child.instrument import ReservedNameError, instrument, instrumented_source
from tracekit.run import DeviceUnavailable, trace_file


def run_script(tmp_path: Path, code: str, *args: str, **kw: object) -> dict:
    return run_traced(tmp_path, code, *args, **kw).trace.to_dict()


def events(trace: dict, number: int, hit: int = 0) -> list[tuple[str, str, str | None]]:
    rec = line(trace, number)["records"][hit]
    return [(e["role"], e["text"], e.get("value", {}).get("repr")) for e in rec["events"]]


def test_every_target_kind_records_its_value(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        class C: pass
        c = C()
        d = {}
        a, *rest = [1, 2, 3]
        c.attr = 5
        d["k"] = [7]
        n = 1
        n += 41
        z: int = 3
        if (w := n * 2) > 10: pass
        for i, j in [(1, 2)]: pass
        with open(__file__) as fh: pass
        try:
            1 / 0
        except ZeroDivisionError as err:
            pass
        import os.path as osp
        """,
    )
    assert ("bind", "a", "1") in events(t, 4) and ("bind", "rest", "[2, 3]") in events(t, 4)
    assert ("bind", "c.attr", "5") in events(t, 5)
    assert ("bind", 'd["k"]', "[7]") in events(t, 6)
    assert events(t, 8) == [("bind", "n", "42")]
    assert events(t, 9) == [("bind", "z", "3")]
    assert ("value", "n * 2", "84") in events(t, 10) and ("bind", "w", "84") in events(t, 10)
    assert ("bind", "i", "1") in events(t, 11) and ("bind", "j", "2") in events(t, 11)
    assert any(role == "bind" and text == "fh" for role, text, _ in events(t, 12))
    assert ("bind", "err", "ZeroDivisionError('division by zero')") in events(t, 15)
    assert ("bind", "osp", "<module 'posixpath'>") in events(t, 17)


def test_calls_args_results_and_subexpressions_carry_their_source_text(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        def f(x, scale=1):
            return x * scale
        x = 3
        y = f(x ** 2, scale=2) + abs(-3 * x)
        print(y)
        """,
    )
    ev = line(t, 4)["records"][0]["events"]
    calls = [e for e in ev if e["role"] == "call"]
    assert [c["text"] for c in calls] == ["f", "abs"]
    args = [(e["text"], e["value"]["repr"], e.get("keyword"), e.get("index")) for e in ev if e["role"] == "arg"]
    assert args == [("x ** 2", "9", None, 0), ("2", "2", "scale", None), ("-3 * x", "-9", None, 0)]
    results = [(e["text"], e["value"]["repr"]) for e in ev if e["role"] == "result"]
    assert results == [("f(x ** 2, scale=2)", "18"), ("abs(-3 * x)", "9")]
    assert ("bind", "y", "27") in events(t, 4)
    assert line(t, 1)["hits"] == 1 and events(t, 1) == [("bind", "x", "9"), ("bind", "scale", "2")]
    # the returned expression is the statement's own value: recorded once, as the return
    assert line(t, 2)["function"] == "f" and events(t, 2) == [("return", "x * scale", "18")]
    assert line(t, 5)["records"][0]["output"] == "27\n"


def test_short_circuit_and_single_evaluation_are_kept(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        log = []
        def f(v):
            log.append(v)
            return v
        r = f(0) and f(1)
        s = f(2) or f(3)
        c = f(1) < f(2) < f(0) < f(5)
        e = f(7) if f(0) else f(8)
        print(log, r, s, c, e)
        """,
    )
    assert t["stdout"] == "[0, 2, 1, 2, 0, 0, 8] 0 2 False 8\n"


def test_values_are_snapshots_taken_when_the_line_runs(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    t = run_script(
        tmp_path,
        """\
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        g = x.grad
        with torch.no_grad():
            x.add_(1)
        x.grad.zero_()
        """,
    )
    assert ("bind", "x", "tensor([1., 2.], requires_grad=True)") in events(t, 2)
    bound_y = [e for e in line(t, 3)["records"][0]["events"] if e["role"] == "bind"][0]["value"]
    assert bound_y["grad_fn"] == "SumBackward0" and bound_y["shape"] == [] and bound_y["requires_grad"] is True
    assert bound_y["is_leaf"] is False and bound_y["dtype"] == "torch.float32" and bound_y["device"] == "cpu"
    assert ("bind", "g", "tensor([2., 4.])") in events(t, 5)


def test_two_d_values_keep_their_rows_and_print_like_print(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    t = run_script(
        tmp_path,
        """\
        import numpy as np
        a = np.array([[1.0, 2.0], [3.0, float('nan')]])
        """,
    )
    v = [e for e in line(t, 2)["records"][0]["events"] if e["role"] == "bind"][0]["value"]
    assert v["repr"] == "[[ 1.  2.]\n [ 3. nan]]"
    assert v["rows"] == [[1.0, 2.0], [3.0, "nan"]] and v["shape"] == [2, 2] and v["dtype"] == "float64"


def test_hostile_values_never_break_the_run(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        class Bad:
            def __repr__(self): raise ValueError("no repr")
            def __bool__(self): raise RuntimeError("no bool")
            def __eq__(self, other): raise RuntimeError("no eq")
            def __len__(self): raise RuntimeError("no len")
            __hash__ = object.__hash__
        b = Bad()
        items = [b, b]
        big = list(range(10**6))
        text = "x" * 10**6
        print("ok")
        """,
    )
    assert t["stdout"] == "ok\n" and t["status"] == "ok"
    v = line(t, 7)["records"][0]["events"][-1]["value"]
    assert v["error"] == "ValueError: no repr" and v["repr"] == "<Bad object>"
    big = line(t, 9)["records"][0]["events"][-1]["value"]
    assert len(big["repr"]) <= 4000 and big["repr"].startswith("[0, 1, 2,") and big["len"] == 10**6
    assert len(line(t, 10)["records"][0]["events"][-1]["value"]["repr"]) <= 4001


def test_recording_is_bounded_and_counts_are_exact(tmp_path: Path) -> None:
    code = """\
        total = 0
        for i in range({n}):
            total += i
            if i % 2:
                print(i)
        """
    small = run_script(tmp_path, code.format(n=10), hits=3)
    large = run_script(tmp_path, code.format(n=100_000), hits=3)
    assert line(large, 3)["hits"] == 100_000 and line(large, 5)["hits"] == 50_000
    assert line(large, 2)["hits"] == 100_000
    # the first hits and the last one (tracekit.child.lasthit), nothing in between
    assert [(r["hit"], r.get("last", False)) for r in line(large, 3)["records"]] == [(0, False), (1, False), (2, False), (99_999, True)]
    final = {v["name"]: v["value"]["repr"] for v in line(large, 2)["final"][0]["values"]}
    assert final == {"i": "99999", "total": str(sum(range(100_000)))}
    # trace size stays flat whatever the number of iterations (only stdout grows)
    size = lambda t: len(json.dumps(dict(t, stdout="")))
    assert abs(size(large) - size(small)) < 5_000


def test_output_goes_to_the_line_that_printed_it(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import sys
        def shout(x):
            print("in shout", x)
        print("top")
        shout(1)
        sys.stderr.write("err line\\n")
        for k in range(5):
            print(k)
        """,
    )
    assert line(t, 4)["records"][0]["output"] == "top\n"
    assert line(t, 3)["records"][0]["output"] == "in shout 1\n"
    assert line(t, 6)["records"][0]["output"] == "err line\n"
    # the last hit (recorded in the same run) keeps its own output; the later output has it too
    assert [r["output"] for r in line(t, 8)["records"]] == ["0\n", "1\n", "2\n", "4\n"]
    assert line(t, 8)["output_later"] == "3\n4\n"
    assert t["stdout"] == "top\nin shout 1\n0\n1\n2\n3\n4\n" and t["stderr"] == "err line\n"


def test_exceptions_are_recorded_on_their_lines(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        def g(x):
            return 1 / x
        try:
            g(0)
        except ZeroDivisionError:
            pass
        g(0)
        """,
    )
    assert line(t, 2)["records"][0]["exception"] == {"type": "ZeroDivisionError", "message": "division by zero"}
    assert line(t, 4)["records"][0]["exception"]["type"] == "ZeroDivisionError"
    assert t["status"] == "error" and t["exit_status"] == 1
    assert t["error"]["line"] == 2 and t["error"]["type"] == "ZeroDivisionError"
    assert [(f["line"], f["function"]) for f in t["error"]["traceback"]] == [(7, "<module>"), (2, "g")]


def test_same_output_streams_and_status_as_python(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        textwrap.dedent("""\
        import sys, os
        print(__name__, os.path.basename(__file__), sys.argv[1:], sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
        print(sorted(k for k in globals()))
        def deep(n): return 0 if n == 0 else 1 + deep(n - 1)
        sys.setrecursionlimit(300)
        print(deep(280))
        [].pop()
        """)
    )
    plain = subprocess.run([sys.executable, str(script), "a", "-x"], capture_output=True, text=True, cwd=tmp_path)
    traced = subprocess.run([sys.executable, "-m", "tracekit", "run", str(script), "a", "-x"], capture_output=True, text=True, cwd=tmp_path)
    assert (traced.stdout, traced.stderr, traced.returncode) == (plain.stdout, plain.stderr, plain.returncode)
    assert "IndexError: pop from empty list" in plain.stderr and plain.returncode == 1


def test_sys_exit_codes_pass_through(tmp_path: Path) -> None:
    for code, expected in (("sys.exit(3)", 3), ("sys.exit('bye')", 1), ("sys.exit()", 0)):
        script = tmp_path / "exit.py"
        script.write_text(f"import sys\n{code}\n")
        traced = subprocess.run([sys.executable, "-m", "tracekit", "run", "--trace", str(tmp_path / "t.json"), str(script)], capture_output=True, text=True)
        assert traced.returncode == expected
        assert json.loads((tmp_path / "t.json").read_text())["exit_status"] == expected


def test_reserved_names_are_refused() -> None:
    with pytest.raises(ReservedNameError) as err:
        instrument("x = 1\n__tk_v__ = 2\n", "s.py")
    assert err.value.lineno == 2


def test_timeout_kills_and_still_writes_a_trace(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        n = 0
        while True:
            n += 1
        """,
        timeout=1.0,
    )
    assert t["status"] == "timeout" and t["exit_status"] == 124
    assert t["error"]["line"] in (2, 3) and t["error"]["reason"] == "timeout"


def test_os_exit_still_leaves_a_trace_naming_its_line(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import os
        print("bye", flush=True)
        os._exit(7)
        """,
    )
    assert t["status"] == "error" and t["exit_status"] == 7 and t["stdout"] == "bye\n"
    assert t["error"]["type"] == "OsExit" and t["error"]["line"] == 3 and t["error"]["message"] == "os._exit(7)"
    assert line(t, 2)["hits"] == 1 and line(t, 2)["records"][0]["output"] == "bye\n"


def test_a_child_that_dies_without_a_trace_is_reported_as_crashed(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import os, signal
        print("bye", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    assert t["status"] == "crashed" and t["exit_status"] == -9 and t["stdout"] == "bye\n"
    assert t["error"]["message"] == "killed by SIGKILL"


def test_unavailable_device_stops_before_running(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    script = tmp_path / "s.py"
    script.write_text("open('ran', 'w').write('yes')\n")
    with pytest.raises(DeviceUnavailable):
        trace_file(script, device="cuda", capture=True, cwd=tmp_path)
    assert not (tmp_path / "ran").exists()
    cli = subprocess.run([sys.executable, "-m", "tracekit", "run", "--device", "cuda", str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert cli.returncode == 2 and "not available" in cli.stderr and cli.stdout == ""


@pytest.mark.cuda
def test_cuda_device_is_used_and_named(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    t = run_script(tmp_path, "import torch\nx = torch.ones(2)\nprint(x.device)\n", device="cuda")
    assert t["meta"]["device"] == "cuda" and t["meta"]["device_name"] and t["stdout"] == "cuda:0\n"


def test_seed_makes_runs_reproducible_and_byte_identical(tmp_path: Path) -> None:
    script = tmp_path / "r.py"
    script.write_text("import random\nclass K: pass\nk = K()\nprint(random.random(), k)\n")
    a = trace_file(script, trace_path=tmp_path / "a.json", seed=5, capture=True)
    trace_file(script, trace_path=tmp_path / "b.json", seed=5, capture=True)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    import random

    random.seed(5)
    assert a.trace.stdout.split()[0] == str(random.random())
    assert "0x…" in line(a.trace.to_dict(), 3)["records"][0]["events"][-1]["value"]["repr"]


def test_instrument_command_prints_source(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    out = subprocess.run([sys.executable, "-m", "tracekit", "instrument", str(script)], capture_output=True, text=True)
    assert (
        out.returncode == 0 and "__tk_s__(0, True)" in out.stdout and "__tk_d__(0)" in out.stdout and out.stdout == instrumented_source("x = 1\n", str(script))
    )
    compile(out.stdout, "s.py", "exec")


def test_trace_round_trips_through_the_dataclasses(tmp_path: Path) -> None:
    t = run_script(tmp_path, "x = [1, 2]\nprint(len(x))\n")
    assert trace_mod.Trace.from_dict(t).to_dict() == t


def test_child_schema_version_matches_the_model() -> None:
    from tracekit.child import protocol

    assert protocol.SCHEMA_VERSION == trace_mod.SCHEMA_VERSION == SCHEMA["$defs"]["trace_body"]["properties"]["schema"]["const"]


def test_output_limit_stops_a_captured_run(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        while True:
            print("spam" * 100)
        """,
        max_output=50_000,
        timeout=30,
    )
    assert t["status"] == "limit" and t["error"]["reason"] == "output" and t["error"]["line"] == 2
    assert len(t["stdout"]) <= 50_000


def test_memory_limit_is_reported(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        blocks = []
        while True:
            blocks.append(bytearray(50 * 2**20))
        """,
        memory=400 * 2**20,
        timeout=30,
    )
    assert t["status"] == "error" and t["error"]["type"] == "MemoryError" and t["error"]["line"] == 3
    assert t["error"]["reason"] == "memory" and t["error"]["message"].startswith("memory limit of 400 MiB reached")


def test_placeholders_are_evaluated_after_their_line_runs(tmp_path: Path) -> None:
    script = tmp_path / "p.py"
    script.write_text(
        textwrap.dedent("""\
        total = 0
        for i in range(4):
            total += i
        if total > 3:
            pass
        def f(a):
            return a
        f(5)
        missing = 1
        """)
    )
    probes = {1: ["total"], 2: ["i * 10"], 3: ["total:.2f"], 4: ["total!r"], 6: ["a + 1"], 9: ["nope"]}
    t = trace_file(script, probes=probes, capture=True).trace.to_dict()
    assert line(t, 1)["records"][0]["probes"] == {"total": "0"}
    assert [r["probes"] for r in line(t, 2)["records"]] == [{"i * 10": "0"}, {"i * 10": "10"}, {"i * 10": "20"}, {"i * 10": "30"}]
    assert line(t, 3)["records"][1]["probes"] == {"total:.2f": "1.00"}
    assert line(t, 4)["records"][0]["probes"] == {"total!r": "6"}
    assert line(t, 6)["records"][0]["probes"] == {"a + 1": "6"}
    assert t["placeholder_errors"] == [{"line": 9, "placeholder": "nope", "error": "NameError: name 'nope' is not defined"}]
    assert t["error"]["reason"] == "placeholder" and t["error"]["line"] == 9


def test_a_segfault_is_reported_with_its_line(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import ctypes
        print("before", flush=True)
        ctypes.string_at(0)
        """,
    )
    assert t["status"] == "crashed" and t["exit_status"] == -11
    assert t["error"]["message"] == "killed by SIGSEGV" and t["error"]["line"] == 3


def test_finalizers_at_teardown_run_as_under_python(tmp_path: Path) -> None:
    script = tmp_path / "fin.py"
    script.write_text(
        textwrap.dedent("""\
        class Noisy:
            def __del__(self):
                print("deleted", self.__class__.__name__)
        keep = Noisy()
        def gen():
            try:
                yield 1
            finally:
                print("generator closed")
        g = gen()
        next(g)
        """)
    )
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    traced = subprocess.run([sys.executable, "-m", "tracekit", "run", str(script)], capture_output=True, text=True)
    assert (traced.stdout, traced.stderr) == (plain.stdout, plain.stderr) and "deleted Noisy" in plain.stdout


def test_the_script_sees_no_tracekit_module_and_no_preloaded_random(tmp_path: Path) -> None:
    t = run_script(
        tmp_path,
        """\
        import sys
        print(sorted(m for m in sys.modules if m.startswith("tracekit") or m == "random"))
        import random
        print(random.random())
        """,
        seed=3,
    )
    import random

    random.seed(3)
    assert t["stdout"] == f"[]\n{random.random()}\n"


def test_a_script_using_reserved_names_is_refused_before_it_runs(tmp_path: Path) -> None:
    script = tmp_path / "clash.py"
    script.write_text("open('ran', 'w').write('yes')\n__tk_v__ = 1\n")
    cli = subprocess.run(
        [sys.executable, "-m", "tracekit", "run", "--trace", str(tmp_path / "t.json"), "clash.py"], capture_output=True, text=True, cwd=tmp_path
    )
    assert cli.returncode == 2 and cli.stdout == ""
    assert "clash.py:2:1" in cli.stderr and "reserved for tracekit" in cli.stderr
    assert not (tmp_path / "ran").exists()
    trace = json.loads((tmp_path / "t.json").read_text())
    assert trace["error"]["type"] == "ReservedNameError" and trace["error"]["line"] == 2 and trace["status"] == "error"


def test_trailing_trace_options_are_tracekits_and_other_arguments_stay_the_scripts(tmp_path: Path) -> None:
    script = tmp_path / "argv.py"
    script.write_text("import sys\nprint(sys.argv[1:])\n")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tracekit", "run", *args], capture_output=True, text=True, cwd=tmp_path)

    # DESIGN.md's form: SCRIPT [ARGS…] [--trace FILE] [--device D] [--seed N]
    done = run("argv.py", "a", "--seed", "3", "--trace", "t.json", "--seed", "5")
    assert done.stdout == "['a', '--seed', '3']\n"
    assert json.loads((tmp_path / "t.json").read_text())["meta"]["seed"] == 5
    # a training script's own options are never taken
    assert run("argv.py", "--device", "cuda", "--seed", "1").stdout == "['--device', 'cuda', '--seed', '1']\n"
    assert run("argv.py", "x", "--trace").stdout == "['x', '--trace']\n"
    assert run("argv.py", "--trace", "out.json", "-h").stdout == "['--trace', 'out.json', '-h']\n"


def test_safe_path_mode_keeps_python_s_sys_path(tmp_path: Path) -> None:
    script = tmp_path / "sp.py"
    script.write_text("import sys\nprint(sys.path)\n")
    env = dict(__import__("os").environ, PYTHONSAFEPATH="1")
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    traced = subprocess.run([sys.executable, "-m", "tracekit", "run", str(script)], capture_output=True, text=True, env=env)
    assert traced.stdout == plain.stdout and str(tmp_path) not in plain.stdout


def test_interpreter_options_reach_the_script(tmp_path: Path) -> None:
    script = tmp_path / "flags.py"
    script.write_text("import sys\nassert False, 'asserts are on'\nprint(__debug__, sys.flags.optimize, sys.flags.dev_mode)\n")
    for flags in ([], ["-O", "-X", "dev"]):
        plain = subprocess.run([sys.executable, *flags, str(script)], capture_output=True, text=True)
        traced = subprocess.run([sys.executable, *flags, "-m", "tracekit", "run", str(script)], capture_output=True, text=True)
        assert (traced.stdout, traced.returncode) == (plain.stdout, plain.returncode)
        assert traced.stderr == plain.stderr


def test_a_format_spec_error_names_the_placeholder_and_suggests_doubled_braces(tmp_path: Path) -> None:
    script = tmp_path / "p.py"
    script.write_text("x = 1.5\n")
    t = trace_file(script, probes={1: ["x:d"]}, capture=True).trace.to_dict()
    (error,) = t["placeholder_errors"]
    assert error["placeholder"] == "x:d"
    assert error["error"].startswith("ValueError: format spec 'd' in {x:d}: Unknown format code 'd' for object of type 'float'")
    assert error["error"].endswith("to show braces as text write {{ and }}")
