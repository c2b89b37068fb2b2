"""`tracekit merge`: the output folders of a sharded build become one site, or nothing is written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tracekit.site import MANIFEST_NAME, BuildError, Reporter, build, check, merge

QUIET = Reporter(verbosity=-1)

EXAMPLES = {
    "alpha.py": '"""Alpha\n\nAdds."""\nx = 1\n#: x is {x}.\ny = x + 1\nprint(y)\n',
    "beta.py": '"""Beta"""\nfrom _shared import K\nz = K * 2\nprint(z)\n',
    "_shared.py": "K = 21\n",
    "deep/gamma.py": '"""Gamma"""\nwords = ["a", "b"]\nfor w in words:\n    print(w)\n',
    "delta.py": '"""Delta"""\nn = sum(range(5))\n',
    "epsilon.py": '"""Epsilon"""\ns = "text".upper()\n',
}


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".tracekit.lock"}


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    """A real 3-shard run with the command line, each shard into a folder of its own, and a full build."""
    base = tmp_path_factory.mktemp("merge")
    ex = base / "examples"
    for rel, text in EXAMPLES.items():
        (ex / rel).parent.mkdir(parents=True, exist_ok=True)
        (ex / rel).write_text(text)
    folders = []
    for i in (1, 2, 3):
        out = base / f"shard-{i}"
        proc = subprocess.run([sys.executable, "-m", "tracekit", "build", str(ex), "-o", str(out), "--shard", f"{i}/3", "-q"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        folders.append(out)
    full = base / "full"
    assert build([ex], output=full, reporter=QUIET).exit_status == 0
    return ex, folders, full


def _copies(tmp_path: Path, folders: list[Path]) -> list[Path]:
    copies = []
    for folder in folders:
        copy = tmp_path / folder.name
        shutil.copytree(folder, copy)
        copies.append(copy)
    return copies


def test_merged_shards_equal_one_full_build_and_check_is_green(shards, tmp_path: Path) -> None:
    ex, folders, full = shards
    out = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "tracekit", "merge", *map(str, folders), "--examples", str(ex), "-o", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 example(s) from 3 shard(s)" in proc.stdout + proc.stderr
    assert tree(out) == tree(full)
    result = check([ex], output=out)
    assert result.problems == [] and result.examples == 5
    # a second merge changes nothing
    before = tree(out)
    assert merge(folders, output=out, paths=[ex], reporter=QUIET).written == []
    assert tree(out) == before


def test_ci_flow_each_shard_starts_from_the_committed_site(shards, tmp_path: Path) -> None:
    """Every shard rebuilds its share inside a copy of the committed output; merge takes each share from its shard."""
    ex, _, full = shards
    work = tmp_path / "examples"
    shutil.copytree(ex, work)
    (work / "delta.py").write_text('"""Delta"""\nn = sum(range(6))\n')  # edited since the site was committed
    (work / "zeta.py").write_text('"""Zeta"""\nq = 3\n')  # new
    (work / "epsilon.py").unlink()  # removed
    folders = []
    for i in (1, 2, 3):
        folder = tmp_path / f"shard-{i}"
        shutil.copytree(full, folder)
        assert build([work], output=folder, shard=f"{i}/3", reporter=QUIET).exit_status == 0
        folders.append(folder)
    out = tmp_path / "site"
    result = merge(folders, output=out, paths=[work], reporter=QUIET)
    assert result.exit_status == 0
    assert sorted(o.path for o in result.outcomes) == ["alpha.py", "beta.py", "deep/gamma.py", "delta.py", "zeta.py"]
    assert check([work], output=out).problems == []
    assert not (out / "epsilon.html").exists()
    assert json.loads((out / "delta.json").read_text())["source"]["sha256"] == hashlib.sha256((work / "delta.py").read_bytes()).hexdigest()
    fresh = tmp_path / "fresh"
    build([work], output=fresh, reporter=QUIET)
    assert tree(out) == tree(fresh)


def test_a_missing_shard_is_refused(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    out = tmp_path / "site"
    with pytest.raises(BuildError, match=r"shard\(s\) 2/3 missing"):
        merge([folders[0], folders[2]], output=out, paths=[ex], reporter=QUIET)
    assert not out.exists()


def test_an_example_built_by_no_shard_is_refused(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    work = tmp_path / "examples"
    shutil.copytree(ex, work)
    (work / "late.py").write_text("a = 1\n")
    with pytest.raises(BuildError, match="no shard built late.py"):
        merge(folders, output=tmp_path / "site", paths=[work], reporter=QUIET)


def test_a_shard_given_twice_is_refused(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    (copy,) = _copies(tmp_path, folders[:1])
    with pytest.raises(BuildError, match="shard 1/3 is in both"):
        merge([*folders, copy], output=tmp_path / "site", paths=[ex], reporter=QUIET)


def test_an_example_built_differently_by_two_shards_is_refused(shards, tmp_path: Path) -> None:
    ex, folders, full = shards
    whole = tmp_path / "whole"
    shutil.copytree(full, whole)
    data = json.loads((whole / MANIFEST_NAME).read_text())
    data["examples"]["alpha.py"]["key"] = "0" * 64
    (whole / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(BuildError, match="alpha.py was built differently"):
        merge([*folders, whole], output=tmp_path / "site", paths=[ex], reporter=QUIET)
    # the same pages from a whole build are no conflict
    assert merge([*folders, full], output=tmp_path / "site", paths=[ex], reporter=QUIET).exit_status == 0


def test_shards_from_different_environments_are_refused(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    copies = _copies(tmp_path, folders)
    data = json.loads((copies[1] / MANIFEST_NAME).read_text())
    data["env"]["torch"] = "0.0.1"
    (copies[1] / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(BuildError, match="different environments: torch"):
        merge(copies, output=tmp_path / "site", paths=[ex], reporter=QUIET)
    data["env"]["torch"] = json.loads((folders[0] / MANIFEST_NAME).read_text())["env"]["torch"]
    data["env"]["tool"] = "f" * 64
    (copies[1] / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(BuildError, match="tracekit's own files differ"):
        merge(copies, output=tmp_path / "site", paths=[ex], reporter=QUIET)


def test_a_listed_file_missing_or_edited_is_refused(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    copies = _copies(tmp_path, folders)
    owner = next(c for c in copies if (c / "alpha.html").exists() and "alpha.py" in json.loads((c / MANIFEST_NAME).read_text())["shards"].popitem()[1])
    page = owner / "alpha.html"
    page.write_text(page.read_text() + "<!-- edited -->")
    out = tmp_path / "site"
    with pytest.raises(BuildError, match="alpha.html changed since tracekit wrote it"):
        merge(copies, output=out, paths=[ex], reporter=QUIET)
    page.unlink()
    with pytest.raises(BuildError, match="alpha.html is missing"):
        merge(copies, output=out, paths=[ex], reporter=QUIET)
    assert not out.exists()


def test_merge_never_overwrites_a_file_it_did_not_write(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    out = tmp_path / "site"
    out.mkdir()
    (out / "alpha.html").write_text("mine")
    with pytest.raises(BuildError, match="refusing to overwrite"):
        merge(folders, output=out, paths=[ex], reporter=QUIET)
    assert (out / "alpha.html").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["alpha.html"]


def test_merge_cli_refusal_is_exit_status_2(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    proc = subprocess.run(
        [sys.executable, "-m", "tracekit", "merge", str(folders[0]), "--examples", str(ex), "-o", str(tmp_path / "site")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "tracekit: shard(s) 2/3, 3/3 missing: give every shard's output folder"


def test_the_ci_workflow_uses_only_the_command_line() -> None:
    """The sample workflow merges shards with `tracekit merge`, never with Python importing tracekit's internals."""
    from tracekit.cli import cli

    text = (Path(__file__).resolve().parent.parent / "docs" / "ci-workflow.yml").read_text()
    assert "import" not in text and "python -" not in text
    commands = [line.split("tracekit ", 1)[1].split()[0] for line in text.splitlines() if line.strip().startswith("- run: tracekit ")]
    assert commands == ["check", "build", "merge", "check"]
    assert set(commands) <= set(cli.commands)


def test_site_names_are_the_functions_whatever_is_imported_first() -> None:
    code = "import tracekit.site.discover, tracekit.site.merge_site, tracekit.site.uptodate, types\nfrom tracekit.site import discover, merge, build, check\nassert all(isinstance(f, types.FunctionType) for f in (discover, merge, build, check))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ── a shard is untrusted input ──────────────────────────────────────────────


def _owner(copies: list[Path], rel: str) -> Path:
    """The copied shard folder that built REL."""
    return next(c for c in copies if rel in next(iter(json.loads((c / MANIFEST_NAME).read_text())["shards"].values())))


def _merge_cli(folders: list[Path], ex: Path, out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tracekit", "merge", *map(str, folders), "--examples", str(ex), "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_merge_follows_no_symlink_out_of_a_shard_file_or_folder(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    copies = _copies(tmp_path, folders)
    outside = tmp_path / "outside"
    outside.mkdir()
    alpha = _owner(copies, "alpha.py") / "alpha.html"
    alpha.rename(outside / "alpha.html")  # the same bytes, so only the link gives it away
    alpha.symlink_to(outside / "alpha.html")
    with pytest.raises(BuildError, match=r"alpha.html is a symlink to .*outside\b.*: refused \(listed in the manifest of shard"):
        merge(copies, output=tmp_path / "site", paths=[ex], reporter=QUIET)
    alpha.unlink()
    (outside / "alpha.html").rename(alpha)
    deep = _owner(copies, "deep/gamma.py") / "deep"
    deep.rename(outside / "deep")
    deep.symlink_to(outside / "deep")
    with pytest.raises(BuildError, match=r"deep/gamma.html is a symlink to .*outside.*: refused"):
        merge(copies, output=tmp_path / "site", paths=[ex], reporter=QUIET)
    assert not (tmp_path / "site").exists()


def test_merge_copies_only_the_files_a_shards_examples_produce(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    for extra in ("notes.html", "figures/0123456789abcdef.png"):
        copies = _copies(tmp_path / extra.replace("/", "-"), folders)
        owner = _owner(copies, "alpha.py")
        (owner / extra).parent.mkdir(exist_ok=True)
        (owner / extra).write_text("<script>alert(1)</script>")
        data = json.loads((owner / MANIFEST_NAME).read_text())
        data["examples"]["alpha.py"]["files"][extra] = hashlib.sha256((owner / extra).read_bytes()).hexdigest()
        (owner / MANIFEST_NAME).write_text(json.dumps(data))
        out = tmp_path / extra.replace("/", "-") / "site"
        with pytest.raises(BuildError, match=f"lists {extra} for alpha.py, which is not a file alpha.py produces: refused"):
            merge(copies, output=out, paths=[ex], reporter=QUIET)
        assert not out.exists()


def test_one_shard_cannot_overwrite_anothers_files(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    work = tmp_path / "examples"
    shutil.copytree(ex, work)
    (work / "alpha.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')  # its page is alpha.html too
    copies = _copies(tmp_path, folders)
    other = next(c for c in copies if c != _owner(copies, "alpha.py"))
    (other / "alpha.html").write_text("<p>not alpha's page</p>")
    (other / "alpha.json").write_text("{}")
    data = json.loads((other / MANIFEST_NAME).read_text())
    rec = dict(next(iter(data["examples"].values())))
    rec["files"] = {f"alpha.{x}": hashlib.sha256((other / f"alpha.{x}").read_bytes()).hexdigest() for x in ("html", "json")}
    data["examples"]["alpha.ipynb"] = rec
    next(iter(data["shards"].values())).append("alpha.ipynb")
    (other / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(BuildError, match=r"both list alpha\.html, with other bytes: refused"):
        merge(copies, output=tmp_path / "site", paths=[work], reporter=QUIET)
    assert not (tmp_path / "site").exists()


def test_merge_refuses_a_fifo_in_a_shard_without_hanging(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    copies = _copies(tmp_path, folders)
    alpha = _owner(copies, "alpha.py") / "alpha.json"
    alpha.unlink()
    os.mkfifo(alpha)
    proc = _merge_cli(copies, ex, tmp_path / "site")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"tracekit: {alpha} is not a regular file (a FIFO): refused (listed in the manifest of shard")
    assert len(proc.stderr.splitlines()) == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a device node needs root")
def test_merge_refuses_a_device_in_a_shard(shards, tmp_path: Path) -> None:
    ex, folders, _ = shards
    copies = _copies(tmp_path, folders)
    alpha = _owner(copies, "alpha.py") / "alpha.html"
    alpha.unlink()
    os.mknod(alpha, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    with pytest.raises(BuildError, match=r"alpha.html is not a regular file \(a device\): refused"):
        merge(copies, output=tmp_path / "site", paths=[ex], reporter=QUIET)


def test_merge_caps_what_it_reads_of_a_shard(shards, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracekit.site.merge_site as merge_site

    ex, folders, _ = shards
    monkeypatch.setattr(merge_site, "MAX_SHARD_FILE_BYTES", 1000)
    with pytest.raises(BuildError, match=r"\.html is [\d,]+ bytes; tracekit reads files up to 1,000 \(listed in the manifest of shard"):
        merge(folders, output=tmp_path / "site", paths=[ex], reporter=QUIET)
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("name", ["x/3", "4/3", "1/3\n\x1b[31mred"])
def test_a_bad_shard_name_in_a_manifest_is_a_one_line_error(shards, tmp_path: Path, name: str) -> None:
    ex, folders, _ = shards
    copies = _copies(tmp_path, folders)
    data = json.loads((copies[0] / MANIFEST_NAME).read_text())
    data["shards"] = {name: next(iter(data["shards"].values()))}
    (copies[0] / MANIFEST_NAME).write_text(json.dumps(data))
    proc = _merge_cli(copies, ex, tmp_path / "site")
    assert proc.returncode == 2
    assert proc.stderr == f"tracekit: shard {copies[0]}: its manifest names a shard {name!r}, which is not I/N (1 <= I <= N)\n"
    assert not (tmp_path / "site").exists()
