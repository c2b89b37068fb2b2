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

from tracekit import codecache
from tracekit.site import keys

PACKAGE = ROOT / "tracekit"


def _package_files() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".pyo")) and not p.name.startswith(".")
    }


def test_a_wheel_installs_every_package_file_and_builds_without_warnings(tmp_path: Path) -> None:
    # built from a copy, so that no stale build/ folder of the checkout can hide a missing file
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "tracekit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    wheels = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(wheels), str(src)], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "Could not find a version" in proc.stderr:
        pytest.skip("no package index to build a wheel with")
    assert proc.returncode == 0, proc.stderr[-2000:]
    warnings = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if "Warning:" in line]
    assert warnings == [], warnings  # the build backend has nothing to say about our metadata
    (wheel,) = wheels.glob("tracekit-*.whl")
    names = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("tracekit/")}
    assert names == _package_files(), f"missing: {sorted(_package_files() - names)}; extra: {sorted(names - _package_files())}"
    assert "tracekit/site/build_site.py" in names and "tracekit/render/page.py" in names
    assert {"tracekit/templates/page.html", "tracekit/assets/tracekit.css", "tracekit/schema/trace.schema.json"} <= names


def test_an_editable_install_builds_without_warnings(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "tracekit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    build = f"from setuptools import build_meta; build_meta.build_editable({str(tmp_path / 'wheel')!r})"
    (tmp_path / "wheel").mkdir()
    proc = subprocess.run([sys.executable, "-W", "always", "-c", build], cwd=src, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    said = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if "Warning" in line or "careful" in line]
    assert said == [], said  # `make install` (pip install -e) prints what the backend says here
    assert list((tmp_path / "wheel").glob("tracekit-*.whl"))


def test_the_tool_hash_covers_every_kind_of_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "tracekit"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(keys, "PACKAGE", pkg)

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


def test_the_code_cache_key_hashes_exactly_the_child_folder() -> None:
    child = sorted(p.name for p in (PACKAGE / "child").glob("*.py"))
    assert list(codecache.GENERATOR_MODULES) == child
    assert {"boot.py", "runtime.py", "instrument.py", "protocol.py", "jsonio.py", "version.py"} <= set(child)


def test_editing_the_protocol_invalidates_cached_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "s.py"
    src.write_text("x = 1\n")
    key = codecache._key(str(src), b"x = 1\n", 3, frozenset())
    real = codecache.generator_source
    monkeypatch.setattr(codecache, "generator_source", lambda: real() + b"# a new hook name\n")
    assert codecache._key(str(src), b"x = 1\n", 3, frozenset()) != key


def _child_modules() -> dict[str, set[str]]:
    """tracekit modules the child loads (from child/boot.py and the instrumenter, following
    relative imports anywhere in a module, lazy ones too) → the top-level names of the absolute
    imports each makes; a relative import that leaves the folder is recorded as "tracekit"."""
    todo, found = ["boot", "instrument"], {}
    while todo:
        name = todo.pop()
        if name in found:
            continue
        tree = ast.parse((PACKAGE / "child" / f"{name}.py").read_text(encoding="utf-8"))
        found[name] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo.extend([node.module] if node.module else [a.name for a in node.names])
            elif isinstance(node, ast.ImportFrom) and node.level > 1:
                found[name].add("tracekit")
            elif isinstance(node, ast.ImportFrom) and node.module:
                found[name].add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found[name].update(a.name.split(".")[0] for a in node.names)
    return found


def test_the_child_imports_only_the_standard_library_and_its_own_folder() -> None:
    modules = _child_modules()
    assert {"boot", "runtime", "protocol", "jsonio", "version", "instrument"} <= set(modules)
    uncovered = {f"{name}.py" for name in modules} - set(codecache.GENERATOR_MODULES)
    assert not uncovered, f"editing {sorted(uncovered)} would not re-instrument cached code"
    # the script's own libraries, touched only after the script imported them
    theirs = {"torch", "numpy", "matplotlib", "PIL"}
    foreign = {name: sorted(names - set(sys.stdlib_module_names) - theirs) for name, names in modules.items()}
    assert {k: v for k, v in foreign.items() if v} == {}
