"""`tracekit build` and `tracekit check`: incremental, reproducible, failure-isolating site builds.

Every example here is a tiny pure-Python script (no torch), so each run is one short child process.
Examples that must not be re-run append a line to a log file when they run: the number of lines
tells how often they ran, without timing anything.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path, PurePosixPath

import pytest
from helpers import ROOT, invoke, page_text

from tracekit import site as build_mod
from tracekit.site import MANIFEST_NAME, BuildError, Reporter, build, check, discover, local_dependencies
from tracekit.site import keys as keys_mod
from tracekit.site import paths as paths_mod

QUIET = Reporter(verbosity=-1)


# ── helpers ─────────────────────────────────────────────────────────────────


def write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def logged(log: Path, name: str, body: str = "") -> str:
    """Source of an example that appends NAME to LOG each time it runs."""
    return f'''"""{name.title()} example

Runs {name}.
"""
with open({str(log)!r}, "a") as _f:
    _f.write({name!r} + "\\n")
{textwrap.dedent(body)}
x = 1
y = x + 1
print(y)
'''


def runs(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def tree(folder: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[p.relative_to(folder).as_posix()] = p.read_bytes()
    return out


def do_build(examples: Path, out: Path, **kw) -> build_mod.BuildResult:
    kw.setdefault("jobs", 4)
    kw.setdefault("reporter", QUIET)
    return build([examples], output=out, **kw)


@pytest.fixture
def site(tmp_path: Path):
    """Three passing examples (one using a sibling helper module) and their log."""
    ex = tmp_path / "examples"
    log = tmp_path / "runs.log"
    write(
        ex,
        {
            "_data.py": "VALUES = [1, 2, 3]\n",
            "alpha.py": logged(log, "alpha", "from _data import VALUES\ntotal = sum(VALUES)\nprint(total)\n"),
            "beta.py": logged(log, "beta"),
            "deep/gamma.py": logged(log, "gamma", "import _pkg.mod\nprint(_pkg.mod.K)\n"),
            "deep/_pkg/__init__.py": "",
            "deep/_pkg/mod.py": "from . import util\nK = util.K\n",
            "deep/_pkg/util.py": "K = 7\n",
        },
    )
    return ex, tmp_path / "out", log


# ── discovery and dependencies ──────────────────────────────────────────────


def test_discovery_skips_helpers_and_excluded(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "", "_h.py": "", "_lib/x.py": "", "d/b.py": "", "drafts/c.py": "", "d/.hidden/e.py": "", "notes.txt": ""})
    assert discover(tmp_path) == ["a.py", "d/b.py", "drafts/c.py"]
    assert discover(tmp_path, exclude=["drafts"]) == ["a.py", "d/b.py"]
    assert discover(tmp_path, exclude=["*/b.py"]) == ["a.py", "drafts/c.py"]
    with pytest.raises(BuildError, match="helper"):
        discover(tmp_path, [tmp_path / "_h.py"])


def test_local_dependencies_follow_imports_recursively(site) -> None:
    ex, _, _ = site
    assert list(local_dependencies(ex / "alpha.py", ex)) == ["_data.py"]
    assert list(local_dependencies(ex / "beta.py", ex)) == []
    assert list(local_dependencies(ex / "deep/gamma.py", ex)) == ["deep/_pkg/__init__.py", "deep/_pkg/mod.py", "deep/_pkg/util.py"]


# ── writing the site ────────────────────────────────────────────────────────


def test_build_writes_pages_index_assets_and_manifest(site) -> None:
    ex, out, log = site
    result = do_build(ex, out)
    assert result.exit_status == 0, [o.lines() for o in result.failed]
    assert sorted(runs(log)) == ["alpha", "beta", "gamma"]
    for rel in ("alpha", "beta", "deep/gamma"):
        assert (out / f"{rel}.html").is_file()
        page = json.loads((out / f"{rel}.json").read_text())
        assert page["status"] == "ok"
        assert len(page["build"]["cache_key"]) == 64
        assert page["source"]["path"] == f"{rel}.py"
    assert "6" in json.loads((out / "alpha.json").read_text())["stdout"]  # the sibling helper was imported
    assert "7" in json.loads((out / "deep/gamma.json").read_text())["stdout"]
    assert not (out / "_data.html").exists() and not (out / "deep/_pkg").exists()
    assert (out / "index.html").is_file()
    assets = sorted(p.name for p in (out / "assets").iterdir())
    assert assets and all(len(name.split(".")) == 3 for name in assets)  # name.<hash>.ext
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    listed = manifest["files"]
    assert [rel for rel in tree(out) if rel.startswith(".")] == [MANIFEST_NAME]  # no lock file left behind
    on_disk = {rel for rel in tree(out) if not rel.startswith(".tracekit")}
    assert set(listed) == on_disk
    for rel, sha in listed.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha
    assert manifest["examples"]["alpha.py"]["deps"] == {"_data.py": hashlib.sha256(b"VALUES = [1, 2, 3]\n").hexdigest()}
    text = (out / MANIFEST_NAME).read_text()
    assert str(ex) not in text and str(out) not in text  # no absolute paths


def test_two_builds_are_byte_identical(site, tmp_path: Path) -> None:
    ex, out, _ = site
    assert do_build(ex, out).exit_status == 0
    other = tmp_path / "other"
    assert do_build(ex, other, jobs=1).exit_status == 0
    assert tree(out) == tree(other)
    first = tree(out)
    assert do_build(ex, out, force=True).exit_status == 0
    assert tree(out) == first


def test_noop_rebuild_runs_nothing(site) -> None:
    ex, out, log = site
    do_build(ex, out)
    before = tree(out)
    result = do_build(ex, out)
    assert result.exit_status == 0
    assert result.ran == [] and len(result.outcomes) == 3
    assert sorted(runs(log)) == ["alpha", "beta", "gamma"]
    assert tree(out) == before


def test_a_manifest_as_earlier_builds_wrote_it_loads_and_a_rebuild_runs_nothing(tmp_path: Path) -> None:
    """Records are read into ManifestRecord and written back as the JSON had them: a key this
    version does not know stays, a page-less record keeps no intro_markup, and nothing runs again."""
    from tracekit.site.manifest import Manifest
    from tracekit.trace import dumps

    ex, out = tmp_path / "examples", tmp_path / "out"
    write(ex, {"a.py": '"""A."""\nx = 1\n', "b.py": '"""B."""\nraise SystemExit(3)\n'})
    do_build(ex, out)
    path = out / MANIFEST_NAME
    data = json.loads(path.read_bytes())
    data["examples"]["a.py"]["noted_by_a_later_version"] = [1, 2]
    path.write_bytes(dumps(data).encode("utf-8"))
    before = path.read_bytes()
    a = Manifest.load(out).examples["a.py"]
    assert (a.status, a.title, a.html, a.hits, a.failures, a.intro_markup) == ("ok", "A.", "a.html", 1, [], "markdown")
    assert a.page_key is not None and sorted(a.files) == ["a.html", "a.json"]
    b = Manifest.load(out).examples["b.py"]
    assert (b.status, b.failures) == ("failed", [{"line": 2, "message": "SystemExit: 3"}])
    result = do_build(ex, out)
    assert result.ran == []
    assert [o.status for o in result.outcomes] == ["ok", "failed"]
    assert path.read_bytes() == before
    assert Manifest.load(out).to_bytes() == before  # read and written back: the same bytes


def test_each_example_s_trace_is_read_once_per_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's trace is read and checked once (by trace_file); its status, its page, the book's
    copy of the page, its notebook and a chapter's listing of it all use that one reading. An
    example not run again is read once, from its page JSON. A varied example's runs: once each."""
    from tracekit.trace import Trace

    ex, out = tmp_path / "examples", tmp_path / "out"
    write(
        ex,
        {
            "a.py": '"""A."""\nx = 40 + 2\n',
            "b.py": '"""B."""\ny = 6 * 7\n',
            "c.py": '"""C."""\nlr = 0.5  # tracekit: vary=0.5,2\nz = lr * 4\n',
            "chapter.md": "# Chapter\n\n```{listing} a.py\n```\n\n```{listing} c.py\n```\n",
        },
    )
    real = Trace.from_dict.__func__  # type: ignore[attr-defined]
    read: list[str] = []

    def counted(cls: type[Trace], d: object) -> Trace:
        trace = real(cls, d)
        read.append(PurePosixPath(trace.source.path).name)
        return trace

    monkeypatch.setattr(Trace, "from_dict", classmethod(counted))
    result = do_build(ex, out)
    assert {o.path: o.status for o in result.outcomes} == {"a.py": "ok", "b.py": "ok", "c.py": "ok", "chapter.md": "ok"}
    assert sorted(read) == ["a.py", "b.py", "c.py", "c.py"]
    chapter = page_text((out / "chapter.html").read_text(encoding="utf-8"), " ")
    assert "x = 42" in chapter and "z = 8" in chapter  # the chapter's listings show a's run and c's lr=2 run
    read.clear()
    (ex / "b.py").write_text('"""B."""\ny = 6 * 8\n', encoding="utf-8")
    result = do_build(ex, out)
    assert [o.path for o in result.ran] == ["b.py"]
    assert sorted(read) == ["a.py", "b.py", "c.py", "c.py"]


def test_dependency_change_reruns_exactly_its_dependents(site) -> None:
    ex, out, log = site
    do_build(ex, out)
    log.unlink()
    (ex / "_data.py").write_text("VALUES = [10, 20]\n")
    result = do_build(ex, out)
    assert runs(log) == ["alpha"]
    assert [o.path for o in result.ran] == ["alpha.py"]
    assert "30" in json.loads((out / "alpha.json").read_text())["stdout"]
    log.unlink()
    (ex / "deep/_pkg/util.py").write_text("K = 8\n")  # imported by mod.py, imported by gamma.py
    do_build(ex, out)
    assert runs(log) == ["gamma"]
    log.unlink()
    (ex / "beta.py").write_text((ex / "beta.py").read_text() + "z = 3\n")
    do_build(ex, out)
    assert runs(log) == ["beta"]


def test_options_change_and_force_rerun_everything(site) -> None:
    ex, out, log = site
    do_build(ex, out)
    log.unlink()
    do_build(ex, out, hits=5)
    assert sorted(runs(log)) == ["alpha", "beta", "gamma"]
    assert json.loads((out / "beta.json").read_text())["meta"]["hits"] == 5
    log.unlink()
    do_build(ex, out, hits=5)
    assert runs(log) == []
    do_build(ex, out, hits=5, force=True)
    assert sorted(runs(log)) == ["alpha", "beta", "gamma"]


def test_tracekit_version_is_part_of_the_key(site, monkeypatch) -> None:
    ex, out, log = site
    do_build(ex, out)
    log.unlink()
    monkeypatch.setattr(keys_mod, "_tool_hash_cache", "0" * 64)
    do_build(ex, out)
    assert sorted(runs(log)) == ["alpha", "beta", "gamma"]


def test_hand_edited_or_deleted_page_is_rebuilt(site) -> None:
    ex, out, log = site
    do_build(ex, out)
    good = (out / "beta.html").read_bytes()
    log.unlink()
    (out / "beta.html").write_text("edited")
    (out / "alpha.json").unlink()
    do_build(ex, out)
    assert sorted(runs(log)) == ["alpha", "beta"]
    assert (out / "beta.html").read_bytes() == good
    assert (out / "alpha.json").is_file()


def test_removed_example_pages_are_deleted_unless_edited(site) -> None:
    ex, out, _ = site
    do_build(ex, out)
    (ex / "beta.py").unlink()
    (ex / "deep/gamma.py").unlink()
    (out / "deep/gamma.html").write_text("my notes")  # changed since tracekit wrote it: kept
    (out / "mine.html").write_text("not tracekit's")  # never listed: never touched
    result = do_build(ex, out)
    assert not (out / "beta.html").exists() and not (out / "beta.json").exists()
    assert not (out / "deep/gamma.json").exists()
    assert (out / "deep/gamma.html").read_text() == "my notes"
    assert (out / "mine.html").read_text() == "not tracekit's"
    assert result.kept == ["deep/gamma.html"]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(manifest["examples"]) == ["alpha.py"]
    assert "beta" not in (out / "index.html").read_text()


# ── failures ────────────────────────────────────────────────────────────────


FAILING = {
    "ok.py": '"""Fine"""\nx = 1\nprint(x)\n',
    "syntax.py": "x = (1,\n",
    "unmarked.py": "x = 1\nraise ValueError('boom')\n",
    "marked.py": "x = 1\n# tracekit: raises=ValueError\nint('nope')\n",
    "exits.py": "import os\nprint('bye', flush=True)\nos._exit(3)\n",
    "slow.py": "# tracekit: timeout=0.5\nimport time\ntime.sleep(30)\n",
    "placeholder.py": "#: The value is {later}.\nx = 1\nlater = 2\n",  # bound, but only after line 2 ran
    "directive.py": "x = 1  # tracekit: bogus=1\n",
    "killed.py": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "huge.py": "print('x' * 10_000_001)\n",
}


def test_one_bad_example_never_sinks_the_build(tmp_path: Path) -> None:
    ex, out = tmp_path / "examples", tmp_path / "out"
    write(ex, FAILING)
    result = do_build(ex, out)
    status = {o.path: o.status for o in result.outcomes}
    assert status == {
        "ok.py": "ok",
        "marked.py": "expected error",
        "syntax.py": "failed",
        "unmarked.py": "failed",
        "exits.py": "failed",
        "slow.py": "failed",
        "placeholder.py": "failed",
        "directive.py": "failed",
        "killed.py": "failed",
        "huge.py": "failed",
    }
    assert result.exit_status == 1
    lines = {o.path: " ".join(o.lines()) for o in result.failed}
    assert lines["syntax.py"].startswith(f"{paths_mod.display_path(ex / 'syntax.py')}:1: SyntaxError")
    assert ":2: ValueError: boom" in lines["unmarked.py"]
    assert "os._exit" in lines["exits.py"]
    assert "timed out" in lines["slow.py"]
    assert "placeholder.py:2:" in lines["placeholder.py"] and "later" in lines["placeholder.py"]
    assert "directive.py:1:" in lines["directive.py"] and "bogus" in lines["directive.py"]
    assert "SIGKILL" in lines["killed.py"]
    assert "output limit" in lines["huge.py"]
    # every example has a page, failed ones included, and the index marks them
    for rel in status:
        assert (out / rel).with_suffix(".html").is_file(), rel
    index = (out / "index.html").read_text()
    assert "failed" in index and "expected error" in index


def test_cli_summary_names_each_failure(tmp_path: Path) -> None:
    ex, out = tmp_path / "examples", tmp_path / "out"
    write(ex, {k: FAILING[k] for k in ("ok.py", "unmarked.py", "exits.py")})
    result = invoke("build", str(ex), "-o", str(out))
    assert result.exit_code == 1
    assert "2 example(s) failed" in result.stderr
    assert "unmarked.py:2: ValueError: boom" in result.stderr
    assert "exits.py:3: OsExit: os._exit(3)" in result.stderr
    # not a TTY: one plain line per example on stdout
    assert sum(1 for line in result.stdout.splitlines() if line.split()[:1] in (["ok"], ["failed"])) == 3


def test_failed_examples_are_cached_reported_again_and_retried_on_request(tmp_path: Path) -> None:
    ex, out, log = tmp_path / "examples", tmp_path / "out", tmp_path / "runs.log"
    write(ex, {"bad.py": logged(log, "bad", "raise RuntimeError('no')\n"), "good.py": '"""Good."""\nx = 1\n'})
    assert do_build(ex, out).exit_status == 1
    again = invoke("build", str(ex), "-o", str(out))
    assert again.exit_code == 1
    assert runs(log) == ["bad"]  # unchanged: not run again
    assert "1 example(s) failed" in again.stderr and "RuntimeError: no" in again.stderr
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1
    assert "failing" in result.stdout and "RuntimeError: no" in result.stdout
    assert runs(log) == ["bad"]
    retried = invoke("build", str(ex), "-o", str(out), "--retry-failed")
    assert retried.exit_code == 1
    assert runs(log) == ["bad", "bad"]


def test_fail_fast_stops_at_the_first_failure(tmp_path: Path) -> None:
    ex, out, log = tmp_path / "examples", tmp_path / "out", tmp_path / "runs.log"
    write(ex, {"a_bad.py": "raise ValueError('first')\n", "b_ok.py": logged(log, "b"), "c_ok.py": logged(log, "c")})
    result = do_build(ex, out, jobs=1, fail_fast=True)
    assert result.exit_status == 1
    assert [o.path for o in result.outcomes] == ["a_bad.py"]
    assert runs(log) == []


def test_device_unavailable_is_skipped_unless_asked_for(tmp_path: Path, monkeypatch) -> None:
    from tracekit import run as run_mod

    real = run_mod.trace_file

    def fake(script, *args, options=None, **kw):
        if options is not None and options.device == "cuda":
            raise run_mod.DeviceUnavailable("device 'cuda' is not available: torch sees no CUDA device")
        return real(script, *args, options=options, **kw)

    monkeypatch.setattr(run_mod, "trace_file", fake)
    ex, out = tmp_path / "examples", tmp_path / "out"
    write(ex, {"gpu.py": "# tracekit: device=cuda\nx = 1\n", "cpu.py": "x = 1\n"})
    result = do_build(ex, out)
    assert {o.path: o.status for o in result.outcomes} == {"cpu.py": "ok", "gpu.py": "skipped"}
    assert result.exit_status == 0
    assert "skipped" in (out / "index.html").read_text()
    cli_result = invoke("build", str(ex), "-o", str(out), "--device", "cuda")
    assert cli_result.exit_code == 2
    assert "device 'cuda' is not available" in cli_result.stderr
    assert "Traceback" not in cli_result.output


# ── check ───────────────────────────────────────────────────────────────────


def test_check_exit_status_and_messages(site) -> None:
    ex, out, log = site
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1 and "missing" in result.stdout
    do_build(ex, out)
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 0, result.output
    log.unlink()

    (out / "beta.html").write_text((out / "beta.html").read_text() + "<!-- edited -->")
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1
    assert "stale" in result.stdout and "beta.html" in result.stdout and "by hand" in result.stdout

    do_build(ex, out)
    (out / "alpha.json").unlink()
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1 and "missing" in result.stdout and "alpha.json" in result.stdout

    do_build(ex, out)
    (ex / "_data.py").write_text("VALUES = []\n")
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1
    assert "alpha.py" in result.stdout and "_data.py changed" in result.stdout
    assert "beta" not in result.stdout

    do_build(ex, out)
    (ex / "beta.py").unlink()
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1
    assert "orphaned" in result.stdout and "beta.html" in result.stdout
    assert "tracekit build" in result.stderr

    do_build(ex, out)
    (ex / "bad.py").write_text("raise KeyError('k')\n")
    do_build(ex, out)
    result = invoke("check", str(ex), "-o", str(out))
    assert result.exit_code == 1 and "failing" in result.stdout and "bad.py:1: KeyError" in result.stdout


def test_check_runs_nothing_when_keys_match(site) -> None:
    ex, out, log = site
    do_build(ex, out)
    log.unlink()
    assert check([ex], output=out).exit_status == 0
    (ex / "beta.py").write_text((ex / "beta.py").read_text() + "# changed\n")
    result = check([ex], output=out)
    assert [p.kind for p in result.problems] == ["stale"]
    assert runs(log) == []


def test_check_sees_a_stale_index(site) -> None:
    ex, out, _ = site
    do_build(ex, out)
    # a sharded build that did not regenerate the index afterwards
    (ex / "beta.py").write_text((ex / "beta.py").read_text().replace("Beta example", "Renamed"))
    do_build(ex, out, shard="1/1")
    result = check([ex], output=out)
    assert [(p.kind, Path(p.path).name) for p in result.problems] == [("stale", "index.html")]
    do_build(ex, out, index_only=True)
    assert check([ex], output=out).exit_status == 0


# ── shards ──────────────────────────────────────────────────────────────────


def test_shards_then_index_only_equal_one_full_build(tmp_path: Path) -> None:
    ex = tmp_path / "examples"
    write(ex, {f"e{i}.py": f'"""Example {i}"""\nx = {i}\nprint(x * 2)\n' for i in range(7)})
    write(ex, {"sub/deep.py": '"""Deep"""\nprint(1)\n', "bad.py": "raise ValueError(1)\n"})
    full, sharded = tmp_path / "full", tmp_path / "sharded"
    do_build(ex, full)
    built = []
    for i in (1, 2, 3):
        result = do_build(ex, sharded, shard=f"{i}/3")
        built += [o.path for o in result.outcomes]
    assert sorted(built) == sorted(discover(ex))
    assert not (sharded / "index.html").exists()
    do_build(ex, sharded, index_only=True)
    assert tree(sharded) == tree(full)


def test_shards_do_not_delete_each_others_pages(tmp_path: Path) -> None:
    ex, out = tmp_path / "examples", tmp_path / "out"
    write(ex, {f"e{i}.py": f"x = {i}\n" for i in range(4)})
    do_build(ex, out, shard="1/2")
    do_build(ex, out, shard="2/2")
    assert sorted(p.name for p in out.glob("*.html")) == [f"e{i}.html" for i in range(4)]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(manifest["examples"]) == [f"e{i}.py" for i in range(4)]


def test_bad_shard_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "examples", {"a.py": "x = 1\n"})
    for bad in ("0/2", "3/2", "x", "1/0"):
        result = invoke("build", str(tmp_path / "examples"), "-o", str(tmp_path / "out"), "--shard", bad)
        assert result.exit_code == 2, bad
        assert "shard" in result.stderr


# ── safety ──────────────────────────────────────────────────────────────────


def _sources(folder: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in tree(folder).items() if rel.endswith(".py")}


def test_output_into_the_examples_folder_never_deletes_sources(tmp_path: Path) -> None:
    ex = tmp_path / "examples"
    write(ex, {"a.py": "x = 1\n", "b.py": "y = 2\n", "_h.py": "", "c.json": '{"mine": true}\n', "c.py": "z = 3\n"})
    before = _sources(ex)
    result = do_build(ex, ex)
    assert (ex / "a.html").is_file() and (ex / "index.html").is_file()
    # c.json is not tracekit's: c fails instead of overwriting it
    assert {o.path: o.status for o in result.outcomes}["c.py"] == "failed"
    assert "refusing to overwrite" in result.failed[0].failures[0].message
    assert (ex / "c.json").read_text() == '{"mine": true}\n'
    (ex / "b.py").unlink()
    do_build(ex, ex)
    assert not (ex / "b.html").exists()
    after = _sources(ex)
    del before["b.py"]
    assert after == before
    assert (ex / "c.json").read_text() == '{"mine": true}\n'


def test_output_dot_never_deletes_anything_else(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write(proj, {"examples/a.py": "x = 1\n", "examples/b.py": "x = 2\n", "README.md": "hi\n", "a.html": "mine\n"})
    (proj / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "examples"\noutput = "."\n')
    result = invoke("build", "-q", cwd=proj)
    assert result.exit_code == 1  # a.html exists and is not tracekit's
    assert (proj / "a.html").read_text() == "mine\n"
    assert (proj / "b.html").is_file()
    (proj / "examples/b.py").unlink()
    (proj / "a.html").unlink()
    result = invoke("build", "-q", cwd=proj)
    assert result.exit_code == 0, result.output
    assert not (proj / "b.html").exists()
    assert (proj / "README.md").read_text() == "hi\n"
    assert (proj / "examples/a.py").is_file() and (proj / "pyproject.toml").is_file()


def test_a_second_concurrent_build_is_refused(site) -> None:
    ex, out, _ = site
    out.mkdir()
    fd = os.open(out / ".tracekit.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = invoke("build", str(ex), "-o", str(out))
        assert result.exit_code == 2
        assert "another tracekit build" in result.stderr
        assert "Traceback" not in result.output
    finally:
        os.close(fd)
    assert invoke("build", str(ex), "-o", str(out), "-q").exit_code == 0


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_leaves_previous_pages_intact(tmp_path: Path, signum: int, status: int) -> None:
    ex, out = tmp_path / "examples", tmp_path / "out"
    flag = tmp_path / "started"
    write(ex, {"quick.py": "x = 1\n", "slow.py": "x = 1\n"})
    do_build(ex, out)
    before = tree(out)
    write(ex, {"quick.py": "x = 2\n", "slow.py": f"open({str(flag)!r}, 'w').close()\nimport time\ntime.sleep(60)\n"})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracekit", "build", str(ex), "-o", str(out), "-j", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    deadline = time.monotonic() + 30
    # quick.py's run ended before slow.py's began; its pages are made while slow.py runs
    while not (flag.exists() and b'"repr": "2"' in (out / "quick.json").read_bytes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists(), proc.communicate()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err
    assert "interrupted" in err and "Traceback" not in err
    after = tree(out)
    assert not [rel for rel in after if rel.endswith(".tmp")]
    assert after["slow.html"] == before["slow.html"] and after["slow.json"] == before["slow.json"]
    # quick.py finished before the interrupt: its new page is complete and recorded
    manifest = json.loads(after[MANIFEST_NAME])
    assert hashlib.sha256(after["quick.json"]).hexdigest() == manifest["files"]["quick.json"]
    record = json.loads(after["quick.json"])["lines"][0]["records"][0]
    assert record["events"][0]["value"] == {"repr": "2", "type": "int"}


def test_progress_is_plain_lines_off_a_tty_and_quiet_is_quiet(site) -> None:
    ex, out, _ = site
    result = invoke("build", str(ex), "-o", str(out), "-j", "2")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert "\r" not in result.stdout
    assert sum(1 for line in lines if line.startswith("ok ")) == 3
    result = invoke("build", str(ex), "-o", str(out), "-q", "--force")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_tty_progress_line_and_table(site) -> None:
    import io

    ex, out, _ = site
    stream = io.StringIO()
    result = build([ex], output=out, jobs=2, reporter=Reporter(out=stream, err=io.StringIO(), tty=True))
    assert result.exit_status == 0
    text = stream.getvalue()
    table = text.split("\r\033[K")[-1]
    assert "example" in table and "seconds" in table and "hits" in table
    assert "alpha.py" in table and "deep/gamma.py" in table


def test_serve_serves_and_rebuilds_on_change(site) -> None:
    import threading
    import urllib.request

    from tracekit.serve import Server, serve

    ex, out, log = site
    do_build(ex, out)
    server = Server(out, port=0).start()
    try:
        with urllib.request.urlopen(server.url + "index.html", timeout=5) as r:
            assert b"Alpha example" in r.read()
    finally:
        server.stop()
    stop = threading.Event()
    rebuilt = threading.Event()

    def rebuild():
        do_build(ex, out)
        rebuilt.set()
        stop.set()

    thread = threading.Thread(target=serve, args=(out,), kwargs=dict(port=0, watch=[ex], rebuild=rebuild, echo=lambda m: None, stop=stop))
    thread.start()
    time.sleep(0.7)
    log.unlink()
    (ex / "beta.py").write_text((ex / "beta.py").read_text() + "w = 4\n")
    thread.join(timeout=20)
    assert rebuilt.is_set()
    assert runs(log) == ["beta"]


def test_figures_are_written_shared_and_removed_with_their_last_page(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    ex, out = tmp_path / "examples", tmp_path / "out"
    image = 'from PIL import Image\nimg = Image.new("L", (4, 4), 128)\n'
    write(ex, {"a.py": image, "b.py": image})
    do_build(ex, out)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    figures = [rel for rel in manifest["files"] if rel.startswith("figures/")]
    assert len(figures) == 1 and (out / figures[0]).is_file()
    assert figures[0] in manifest["examples"]["a.py"]["files"] and figures[0] in manifest["examples"]["b.py"]["files"]
    (ex / "a.py").unlink()
    do_build(ex, out)
    assert (out / figures[0]).is_file()  # b's page still shows it
    (ex / "b.py").unlink()
    do_build(ex, out)
    assert not (out / figures[0]).exists()
    assert check([ex], output=out).exit_status == 0


def test_parent_never_imports_torch_and_a_noop_build_renders_nothing(site) -> None:
    ex, out, _ = site
    code = f"""
import sys
from tracekit.site import Reporter, build
quiet = Reporter(verbosity=-1)
build([{str(ex)!r}], output={str(out)!r}, reporter=quiet)
assert "torch" not in sys.modules and "numpy" not in sys.modules, "parent imported torch/numpy"
for name in list(sys.modules):
    if name.split(".")[0] in ("libcst", "jinja2", "ast"):
        del sys.modules[name]
build([{str(ex)!r}], output={str(out)!r}, reporter=quiet)
loaded = sorted({{n.split(".")[0] for n in sys.modules}} & {{"libcst", "jinja2", "torch", "ast"}})
assert loaded == [], loaded
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_concurrent_shards_merge_the_manifest_safely(tmp_path: Path) -> None:
    ex = tmp_path / "examples"
    write(ex, {f"e{i}.py": f'"""Example {i}"""\nx = {i}\nprint(x)\n' for i in range(9)})
    full, sharded = tmp_path / "full", tmp_path / "sharded"
    do_build(ex, full)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tracekit", "build", str(ex), "-o", str(sharded), "--shard", f"{i}/3", "-q", "-j", "1"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (1, 2, 3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    # shards share the output folder (a shared lock) and merge the manifest under its own lock
    assert invoke("build", str(ex), "-o", str(sharded), "--index-only", "-q").exit_code == 0
    assert tree(sharded) == tree(full)


def test_imported_modules_without_prose_are_helpers_with_no_page(tmp_path: Path) -> None:
    ex, out = tmp_path / "examples", tmp_path / "out"
    write(
        ex,
        {
            "a.py": '"""Uses utils."""\nfrom utils import K\nprint(K)\n',
            "utils.py": '"""Shared numbers."""\nK = 3\n',
            "b.py": '"""Uses lesson."""\nimport lesson\n',
            "lesson.py": "#: A module with prose of its own.\nL = 1\n",
        },
    )
    result = invoke("build", str(ex), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "get no page: utils.py" in result.stderr + result.stdout
    assert sorted(p.name for p in out.glob("*.html")) == ["a.html", "api.html", "b.html", "index.html", "lesson.html"]
    assert "utils.py" not in (out / "index.html").read_text()
    assert invoke("check", str(ex), "-o", str(out)).exit_code == 0


def test_configuration_overrides_helper_detection(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write(
        proj,
        {
            "examples/a.py": "from utils import K\nprint(K)\n",
            "examples/utils.py": "K = 3\n",
            "examples/tool.py": "print('standalone, imported by nobody')\n",
        },
    )
    (proj / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "examples"\noutput = "out"\npages = ["utils.py"]\nhelpers = ["tool.py"]\n')
    result = invoke("build", "-q", cwd=proj)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (proj / "out").glob("*.html")) == ["a.html", "api.html", "index.html", "utils.html"]


def test_jobs_auto_is_the_cpu_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import tracekit.site

    asked: list[object] = []

    def fake_build(paths, **kw):  # type: ignore[no-untyped-def]
        asked.append(kw["jobs"])
        return types.SimpleNamespace(exit_status=0)

    monkeypatch.setattr(tracekit.site, "build", fake_build)
    monkeypatch.setattr(os, "cpu_count", lambda: 7)
    for value, jobs in (("auto", 7), ("AUTO", 7), ("3", 3)):
        assert invoke("build", str(tmp_path), "-j", value).exit_code == 0
        assert asked.pop() == jobs
    assert invoke("build", str(tmp_path)).exit_code == 0 and asked.pop() is None  # the config's jobs, else the CPU count
    for bad in ("0", "-2", "many", "2.5"):
        result = invoke("build", str(tmp_path), "-j", bad)
        assert result.exit_code == 2 and asked == []
        assert f"Invalid value for '-j' / '--jobs': {bad!r} is neither a positive whole number nor auto" in result.stderr
