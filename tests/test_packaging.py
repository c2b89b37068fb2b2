"""Packaging traps: what a wheel installs, what the caches cover."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT

from tracekit import _codecache
from tracekit.site import keys

PACKAGE = ROOT / "tracekit"


def _package_files() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".pyo")) and not p.name.startswith(".")
    }


def test_a_wheel_installs_every_package_file(tmp_path: Path) -> None:
    # built from a copy, so that no stale build/ folder of the checkout can hide a missing file
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "tracekit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    wheels = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "Could not find a version" in proc.stderr:
        pytest.skip("no package index to build a wheel with")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = wheels.glob("tracekit-*.whl")
    names = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("tracekit/")}
    assert names == _package_files(), f"missing: {sorted(_package_files() - names)}; extra: {sorted(names - _package_files())}"
    assert "tracekit/site/build_site.py" in names and "tracekit/render/page.py" in names
    assert {"tracekit/templates/page.html", "tracekit/assets/tracekit.css", "tracekit/schema/trace.schema.json"} <= names


def test_the_tool_hash_covers_every_kind_of_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "tracekit"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(keys, "_PACKAGE", pkg)

    def fresh() -> str:
        monkeypatch.setattr(keys, "_tool_hash_cache", None)
        return keys.tool_hash()

    before = fresh()
    (pkg / "templates" / "chapter.jinja").write_text("{{ x }}\n")  # a kind of file no list names
    with_template = fresh()
    assert with_template != before
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert fresh() == with_template  # compiled caches are not tracekit's files


def test_the_code_cache_covers_every_module_the_instrumenter_imports() -> None:
    tree = ast.parse((PACKAGE / "instrument.py").read_text(encoding="utf-8"))
    imported = {f"{node.module}.py" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}
    assert imported <= set(_codecache.GENERATOR_MODULES), imported - set(_codecache.GENERATOR_MODULES)
    assert "instrument.py" in _codecache.GENERATOR_MODULES


def test_editing_the_protocol_invalidates_cached_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "s.py"
    src.write_text("x = 1\n")
    key = _codecache._key(str(src), b"x = 1\n", 3, frozenset())
    real = _codecache._generator_source
    monkeypatch.setattr(_codecache, "_generator_source", lambda: real() + b"# a new hook name\n")
    assert _codecache._key(str(src), b"x = 1\n", 3, frozenset()) != key


def test_the_child_imports_only_the_standard_library_and_modules_the_code_cache_covers(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\n"
        "mods = sorted(m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names)\n"
        "print(' '.join(m for m in mods if m != '__main__' and not m.startswith(('__editable__', '_distutils_hack'))))\n"
    )
    proc = subprocess.run([sys.executable, "-m", "tracekit", "run", str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = set(proc.stdout.split())
    child = {"tracekit", "tracekit._child", "tracekit._runtime", "tracekit._figures", "tracekit._jsonio", "tracekit._version", "tracekit.protocol"}
    assert loaded <= child | {"tracekit._placeholders"}, loaded - child
    covered = {"tracekit." + name.removesuffix(".py") for name in _codecache.GENERATOR_MODULES}
    assert loaded - {"tracekit"} <= covered, (loaded - {"tracekit"}) - covered  # editing one re-instruments cached code
