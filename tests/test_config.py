"""`[tool.tracekit]` in pyproject.toml, command-line overrides and per-file options; usage errors
exit with status 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

from tracekit.config import Config, ConfigError, find_pyproject, load_config, parse_memory, parse_shard


def run_cli(cwd: Path, *args: str):  # type: ignore[no-untyped-def]
    return invoke(*args, cwd=cwd)


def project(tmp_path: Path, table: str = "", examples: dict[str, str] | None = None) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.tracekit]\n' + table)
    for rel, text in (examples if examples is not None else {"examples/a.py": "x = 1\n"}).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def assert_usage_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 or err.startswith("Usage:"), err
    for needle in needles:
        assert needle in err, err


# ── loading ─────────────────────────────────────────────────────────────────


def test_defaults_without_pyproject(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(pyproject=None, start=tmp_path) if find_pyproject(tmp_path) is None else None
    if config is None:
        pytest.skip("a pyproject.toml above the temporary folder")
    assert config.examples == tmp_path / "examples"
    assert config.output == tmp_path / "output"
    assert (config.seed, config.hits, config.timeout, config.device, config.exclude) == (0, 3, 60.0, None, ())


def test_values_are_read_and_paths_are_relative_to_pyproject(tmp_path: Path) -> None:
    project(
        tmp_path,
        'examples = "docs/ex"\noutput = "site"\ndevice = "cpu"\nseed = 3\ntimeout = 12\njobs = 2\nhits = 5\nexclude = ["drafts/*"]\nmemory = "512M"\n',
    )
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    config = load_config(start=sub)  # found by searching upward
    assert config.pyproject == tmp_path / "pyproject.toml"
    assert config.examples == tmp_path / "docs/ex"
    assert config.output == tmp_path / "site"
    assert (config.device, config.seed, config.timeout, config.jobs, config.hits) == ("cpu", 3, 12.0, 2, 5)
    assert config.exclude == ("drafts/*",)
    assert config.memory == 512 << 20


def test_command_line_overrides_config(tmp_path: Path) -> None:
    project(tmp_path, "seed = 3\nhits = 5\n")
    config = load_config(start=tmp_path).with_options(seed=9, hits=None)
    assert (config.seed, config.hits) == (9, 5)
    assert config.explicit == {"seed"}
    with pytest.raises(ConfigError):
        config.with_options(device="gpu")


@pytest.mark.parametrize(
    "table, needle",
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ('device = "gpu"\n', "device"),
        ("seed = -1\n", "seed"),
        ('seed = "abc"\n', "seed"),
        ("jobs = 0\n", "jobs"),
        ("hits = 0\n", "hits"),
        ("timeout = -5\n", "timeout"),
        ('timeout = "soon"\n', "timeout"),
        ("exclude = 3\n", "exclude"),
        ('memory = "lots"\n', "memory"),
        ("examples = 5\n", "examples"),
        ("seed = true\n", "seed"),
    ],
)
def test_bad_config_is_a_one_line_usage_error(tmp_path: Path, table: str, needle: str) -> None:
    project(tmp_path, table)
    with pytest.raises(ConfigError, match=needle):
        load_config(start=tmp_path)
    for command in ("build", "check"):
        result = run_cli(tmp_path, command)
        assert_usage_error(result, needle, "pyproject.toml")


def test_invalid_toml_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.tracekit\nseed = 1\n")
    assert_usage_error(run_cli(tmp_path, "build"), "not valid TOML")


def test_bad_command_line_values_exit_2(tmp_path: Path) -> None:
    project(tmp_path)
    result = run_cli(tmp_path, "build", "--device", "gpu")
    assert_usage_error(result, "bad device 'gpu'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert_usage_error(run_cli(tmp_path, "build", "--hits", "0"))
    assert_usage_error(run_cli(tmp_path, "build", "--memory", "lots"), "memory")
    assert_usage_error(run_cli(tmp_path, "build", "--shard", "5/2"), "shard")
    assert_usage_error(run_cli(tmp_path, "build", "no/such/path"), "no such file")


def test_missing_examples_folder_exits_2(tmp_path: Path) -> None:
    project(tmp_path, 'examples = "nowhere"\n', examples={})
    assert_usage_error(run_cli(tmp_path, "build"), "nowhere", "does not exist")
    assert_usage_error(run_cli(tmp_path, "check"), "does not exist")


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "afile").write_text("x")
    assert_usage_error(run_cli(tmp_path, "build", "-o", "afile"), "is a file")
    assert_usage_error(run_cli(tmp_path, "build", "-o", "afile/sub"), "cannot create output folder")


def test_defaults_come_from_pyproject(tmp_path: Path) -> None:
    project(tmp_path, 'examples = "ex"\noutput = "public"\nseed = 4\n', examples={"ex/a.py": "import random\nr = random.random()\n"})
    result = run_cli(tmp_path, "build", "-q")
    assert result.exit_code == 0, result.output
    page = json.loads((tmp_path / "public" / "a.json").read_text())
    assert page["meta"]["seed"] == 4
    assert (tmp_path / "public" / "index.html").is_file()
    assert run_cli(tmp_path, "check", "-q").exit_code == 0
    # a different seed on the command line makes the committed page stale for `check`
    assert run_cli(tmp_path, "check", "--seed", "5").exit_code == 1


def test_per_file_options_override_command_line_and_config(tmp_path: Path) -> None:
    project(
        tmp_path,
        "seed = 4\nhits = 2\n",
        examples={"examples/a.py": "# tracekit: seed=7 hits=4\nx = 1\n", "examples/b.py": "x = 1\n"},
    )
    assert run_cli(tmp_path, "build", "-q", "--seed", "5").exit_code == 0
    a = json.loads((tmp_path / "output/a.json").read_text())["meta"]
    b = json.loads((tmp_path / "output/b.json").read_text())["meta"]
    assert (a["seed"], a["hits"]) == (7, 4)
    assert (b["seed"], b["hits"]) == (5, 2)


def test_exclude_from_config_and_command_line(tmp_path: Path) -> None:
    project(tmp_path, 'exclude = ["drafts/*"]\n', examples={"examples/a.py": "x = 1\n", "examples/drafts/d.py": "x = 1\n", "examples/wip.py": "x = 1\n"})
    out = tmp_path / "output"
    assert run_cli(tmp_path, "build", "-q").exit_code == 0
    assert sorted(p.name for p in out.rglob("*.html")) == ["a.html", "api.html", "index.html", "wip.html"]
    assert run_cli(tmp_path, "build", "-q", "--exclude", "wip.py").exit_code == 0
    # the command line replaces the configured list; wip's page is an orphan now and goes
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")) == ["a.html", "api.html", "drafts/d.html", "index.html"]


# ── small parsers ───────────────────────────────────────────────────────────


def test_parse_memory_and_shard() -> None:
    assert parse_memory("2G") == 2 << 30
    assert parse_memory("1.5GiB") == int(1.5 * (1 << 30))
    assert parse_memory("512m") == 512 << 20
    assert parse_memory(1000) == 1000
    for bad in ("lots", "0", -1, True, "2X"):
        with pytest.raises(ValueError):
            parse_memory(bad)
    assert parse_shard("2/5") == (2, 5)
    for bad in ("0/1", "2/1", "a/b", "", "1/0"):
        with pytest.raises(ConfigError):
            parse_shard(bad)


def test_config_is_a_plain_value() -> None:
    c = Config(examples=Path("/e"), output=Path("/o"))
    assert c.with_options(hits=4).hits == 4 and c.hits == 3
