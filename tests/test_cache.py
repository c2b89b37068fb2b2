"""The cache folder is not a way in: it is made private, one that others could write to is
refused, and what it holds cannot change what tracekit runs, says or reads as configuration."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracekit.config import load_config

EXAMPLE = '"""One"""\nx = 1\nprint(x)\n'


def tk(cwd: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TRACEKIT_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "tracekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "one.py").write_text(EXAMPLE)
    return tmp_path


def test_a_new_cache_folder_is_made_private(project: Path) -> None:
    cache = project / "new" / "cache"
    proc = tk(project, cache, "build", "examples", "-o", "site")
    assert proc.returncode == 0, proc.stderr
    assert (project / "site" / "one.html").is_file()
    assert cache.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("command", [["build", "examples", "-o", "site"], ["check", "examples", "-o", "site"], ["run", "examples/one.py"]])
def test_a_cache_others_can_write_to_is_refused(project: Path, command: list[str]) -> None:
    cache = project / "cache"
    cache.mkdir()
    os.chmod(cache, 0o777)
    proc = tk(project, cache, *command)
    assert proc.returncode == 2
    assert proc.stderr == f"tracekit: cache folder {cache} can be written by others (mode 0777): tracekit will not use it; run chmod 700 {cache}\n"
    assert proc.stdout == ""
    assert not (project / "site").exists()


def test_a_cache_below_a_folder_others_can_write_to_is_refused(project: Path) -> None:
    open_folder = project / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)  # without the sticky bit anyone may rename the cache away
    proc = tk(project, open_folder / "cache", "build", "examples", "-o", "site")
    assert proc.returncode == 2
    assert f"{open_folder} above it can be written by others" in proc.stderr
    assert not (project / "site").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a folder away needs root")
def test_a_cache_owned_by_another_user_is_refused(project: Path) -> None:
    cache = project / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, 12345, 12345)
    proc = tk(project, cache, "build", "examples", "-o", "site")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"tracekit: cache folder {cache} is owned by uid 12345, not by you (uid 0): tracekit will not use it;")
    assert not (project / "site").exists()


def test_a_planted_pyc_never_runs(project: Path) -> None:
    cache = project / "cache"
    assert tk(project, cache, "build", "examples", "-o", "site").returncode == 0
    [pyc] = (cache / "code").rglob("*.pyc")
    marker = project / "planted-ran"
    planted = compile(f"open({str(marker)!r}, 'w').close()\n", "planted", "exec")
    pyc.write_bytes(pyc.read_bytes()[:16] + marshal.dumps(planted))
    os.chmod(cache, 0o777)  # as a cache others could plant it in would be
    proc = tk(project, cache, "build", "examples", "-o", "site", "--force")
    assert proc.returncode == 2
    assert "can be written by others" in proc.stderr
    assert not marker.exists()


def test_a_config_entry_made_for_other_text_is_not_believed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TRACEKIT_CACHE_DIR", str(cache))
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.tracekit]\nhits = 2\n")
    entry = cache / "config" / (hashlib.sha256(pyproject.read_bytes()).hexdigest() + ".json")
    entry.parent.mkdir(parents=True)
    for planted in ({"hits": 9, "examples": "/etc"}, {"sha256": "0" * 64, "table": {"hits": 9}}):
        entry.write_text(json.dumps(planted))
        config = load_config(pyproject=pyproject)
        assert (config.hits, config.examples) == (2, tmp_path / "examples")
    # the entry the load wrote for this file is believed: a second load gives the same table
    assert json.loads(entry.read_text()) == {"sha256": hashlib.sha256(pyproject.read_bytes()).hexdigest(), "table": {"hits": 2}}
    assert load_config(pyproject=pyproject).hits == 2
