"""The run options are declared once, in tracekit.options.OPTIONS: the commands' options, the
`[tool.tracekit]` keys, the `# tracekit:` file keys and every default come from that table."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
from helpers import invoke

import tracekit
from tracekit.child import protocol
from tracekit.config import ConfigError, load_config
from tracekit.options import OPTIONS, RunOptions
from tracekit.run import trace_file
from tracekit.source import AuthoringError, read_example

#: a good value of each `[tool.tracekit]` run option (TOML), and what it reads as
CONFIG_SAMPLES = {
    "device": ('"cpu"', "cpu"),
    "seed": ("7", 7),
    "timeout": ("12.5", 12.5),
    "hits": ("2", 2),
    "last_hit": ("false", False),
    "memory": ('"1G"', 1 << 30),
    "max_output": ('"1M"', 1 << 20),
    "preload": ('["numpy"]', ("numpy",)),
}
#: a good value of each `# tracekit:` file option, and what it reads as
HEADER_SAMPLES = {"device": ("cpu", "cpu"), "seed": ("7", 7), "timeout": ("12.5", 12.5), "hits": ("2", 2), "memory": ("1G", 1 << 30)}


def flat(text: str) -> str:
    """TEXT with click's line wrapping undone."""
    return " ".join(text.split())


def test_run_options_fields_are_the_table() -> None:
    assert [(f.name, f.type) for f in dataclasses.fields(RunOptions)] == [(o.name, o.type) for o in OPTIONS.values()]
    assert RunOptions() == RunOptions(**{name: option.default for name, option in OPTIONS.items()})
    assert RunOptions.for_build().timeout == 60.0 and RunOptions().timeout is None  # different on purpose
    assert RunOptions.for_build().preload == ("torch", "torch._dynamo", "numpy", "matplotlib", "matplotlib.pyplot") and RunOptions().preload is None


@pytest.mark.parametrize("command", ["run", "build", "check"])
def test_each_option_is_in_help_as_declared(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    shown = flat(result.output)
    for option in OPTIONS.values():
        takes = option.run_cli if command == "run" else option.build_cli
        if not takes:
            assert option.flag + " " not in shown, option.name
            continue
        help = option.help_of_run() if command == "run" else option.build_help()
        assert flat(help) in shown, option.name
        assert option.flag in shown
        if command == "run" and option.default is not None:
            assert f"{flat(help)} [default: {option.default}" in shown
    if command == "run":
        assert "--seed INTEGER Seed for random, numpy and torch. [default: 0]" in shown
        assert "--timeout FLOAT RANGE Kill the script after this many seconds. [x>0]" in shown
    else:
        assert "--last-hit / --no-last-hit Also record the last hit of lines hit more often than --hits, in the same run (config: last_hit)." in shown


def test_config_accepts_exactly_the_tables_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert set(CONFIG_SAMPLES) == {name for name, option in OPTIONS.items() if option.config}
    pyproject = tmp_path / "pyproject.toml"
    for name, option in OPTIONS.items():
        if option.config:
            text, value = CONFIG_SAMPLES[name]
            pyproject.write_text(f"[tool.tracekit]\n{name} = {text}\n")
            assert getattr(load_config(tmp_path), name) == value
        else:
            pyproject.write_text(f"[tool.tracekit]\n{name} = 1\n")
            with pytest.raises(ConfigError, match=f"unknown key '{name}'"):
                load_config(tmp_path)
    pyproject.write_text("[tool.tracekit]\nhits = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == "pyproject.toml [tool.tracekit]: bad value for 'hits': 0 (expected a positive integer)"


def test_file_header_accepts_exactly_the_tables_keys(tmp_path: Path) -> None:
    assert set(HEADER_SAMPLES) == {name for name, option in OPTIONS.items() if option.header}
    path = tmp_path / "example.py"
    for name, option in OPTIONS.items():
        if option.header:
            text, value = HEADER_SAMPLES[name]
            path.write_text(f"# tracekit: {name}={text}\nx = 1\n")
            assert read_example(path, tmp_path).options == {name: value}
            path.write_text(f"x = 1\n# tracekit: {name}=bogus\n")
            with pytest.raises(AuthoringError) as caught:
                read_example(path, tmp_path)
            assert (caught.value.line, caught.value.message) == (2, f"bad value for {name}: 'bogus'; expected {option.header_expected}")
        else:
            path.write_text(f"# tracekit: {name}=1\nx = 1\n")
            with pytest.raises(AuthoringError, match=f"unknown directive key '{name}'"):
                read_example(path, tmp_path)


def test_defaults_come_from_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPTIONS, "timeout", dataclasses.replace(OPTIONS["timeout"], build=7.0))
    monkeypatch.setitem(OPTIONS, "hits", dataclasses.replace(OPTIONS["hits"], default=1))
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path)
    assert (config.timeout, config.run_options().timeout, config.hits) == (7.0, 7.0, 1)
    script = tmp_path / "loop.py"
    script.write_text("for i in range(3):\n    x = i\n")
    result = trace_file(script, trace_path=tmp_path / "trace.json", capture=True)
    assert result.exit_status == 0
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert (trace["meta"]["hits"], trace["meta"]["timeout"]) == (1, None)  # `tracekit run`'s defaults: no time limit


def test_build_and_check_take_the_tables_keywords_only(tmp_path: Path) -> None:
    from tracekit.site import build, check

    for call in (build, check):
        with pytest.raises(TypeError, match="unexpected keyword argument 'preload'"):
            call([], output=tmp_path / "out", preload=("numpy",))  # config only


def _own_default(name: str, node: ast.expr | None) -> bool:
    """NODE, the default of something named for option NAME, is a default of its own: anything
    but None, a call (``field(...)``) or a constant of tracekit.child.protocol equal to the table's."""
    if node is None or isinstance(node, ast.Call) or (isinstance(node, ast.Constant) and node.value is None):
        return False
    if isinstance(node, (ast.Name, ast.Attribute)):
        constant = node.id if isinstance(node, ast.Name) else node.attr
        return getattr(protocol, constant, object()) != OPTIONS[name].default
    return True


def declared_defaults(source: str) -> list[tuple[int, str]]:
    """(line, option) of each default SOURCE gives a run option of its own: a parameter's, a class
    field's, a click option's or a `.get("option", default)`'s (see _own_default)."""
    flags = {option.flag for option in OPTIONS.values()}
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        named: list[tuple[str, ast.expr | None]] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            positional = node.args.posonlyargs + node.args.args
            named += [(a.arg, d) for a, d in zip(positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=True)]
            named += [(a.arg, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)]
        elif isinstance(node, ast.ClassDef):
            named += [(s.target.id, s.value) for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args and isinstance(node.args[0], ast.Constant):
            first = node.args[0].value
            if node.func.attr == "option" and first in flags:
                named += [(str(first).lstrip("-").replace("-", "_"), k.value) for k in node.keywords if k.arg == "default"]
            if node.func.attr == "get" and len(node.args) == 2 and isinstance(first, str):
                named.append((first, node.args[1]))
        found += [(default.lineno, name) for name, default in named if name in OPTIONS and default is not None and _own_default(name, default)]
    return sorted(found)


def test_declared_defaults_finds_each_kind() -> None:
    source = """
def run(script, hits=3, device=None, max_figures=DEFAULT_MAX_FIGURES, *, timeout=60.0): ...
class Config:
    memory: int = 512
    timeout: float | None = DEFAULT_TIMEOUT
    title: str = "x"
click.option("--max-output", default="1M")
spec.get("last_hit", True)
spec.get("preload")
"""
    # DEFAULT_MAX_FIGURES is the table's max_figures; DEFAULT_TIMEOUT is a build's, not the table's default
    assert declared_defaults(source) == [(2, "hits"), (2, "timeout"), (4, "memory"), (5, "timeout"), (7, "max_output"), (8, "last_hit")]


def test_no_other_module_declares_an_options_default() -> None:
    """Outside options.py, what is named for a run option has no default of its own: None, or a
    constant of tracekit.child.protocol equal to the table's (the child's side, which reads the spec)."""
    package = Path(tracekit.__file__).parent
    found = [
        f"{path.relative_to(package)}:{line}: {name}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "options.py" or path.parent != package
        for line, name in declared_defaults(path.read_text(encoding="utf-8"))
    ]
    assert found == []
