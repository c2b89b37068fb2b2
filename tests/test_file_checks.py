"""Chapters and part headers get the checks examples get: regular files only, no symlink out of
the examples folder, a size cap; the error names the file and the rest of the build goes on. A
FIFO where a listed page should be in the output hangs neither build nor check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracekit.site.files import MAX_TEXT_BYTES

CHAPTER = "# The chapter\n\nSee the listing.\n\n```{listing} a.py\n```\n"
EXAMPLE = '"""A"""\nx = 1\n'


def tk(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """A command that must end by itself: on a FIFO it once blocked for ever."""
    env = dict(os.environ, TRACEKIT_CACHE_DIR=str(cwd / "cache"), TRACEKIT_NO_FAST_PATH="1")
    return subprocess.run([sys.executable, "-m", "tracekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\n')
    (tmp_path / "ex" / "part").mkdir(parents=True)
    (tmp_path / "ex" / "1-intro.md").write_text(CHAPTER)
    (tmp_path / "ex" / "a.py").write_text(EXAMPLE)
    (tmp_path / "ex" / "part" / "b.py").write_text('"""B"""\ny = 2\n')
    (tmp_path / "ex" / "part" / "README.md").write_text("# The part\n\nIts intro.\n")
    return tmp_path


def _published(out: Path, text: str) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


@pytest.mark.parametrize("rel", ["2-pipe.md", "part/README.md"])
def test_a_fifo_chapter_or_part_header_fails_by_name_and_the_rest_is_built(book: Path, rel: str) -> None:
    path = book / "ex" / rel
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    built = tk(book, "build")
    assert built.returncode == 1
    assert f"ex/{rel}: is not a regular file (a FIFO): refused" in built.stderr
    assert "The chapter" in (book / "out" / "1-intro.html").read_text()
    assert (book / "out" / "a.html").is_file() and (book / "out" / "part" / "b.html").is_file()
    checked = tk(book, "check")
    assert checked.returncode == 1
    assert f"ex/{rel}: is not a regular file (a FIFO): refused" in checked.stdout + checked.stderr


def test_a_chapter_linked_out_of_the_examples_folder_is_not_published(book: Path) -> None:
    secret = book / "secret.md"
    secret.write_text("# Secret\n\nTOPSECRET-4711\n")
    (book / "ex" / "2-secret.md").symlink_to(secret)
    (book / "ex" / "part" / "README.md").unlink()
    (book / "ex" / "part" / "README.md").symlink_to(secret)
    built = tk(book, "build")
    assert built.returncode == 1
    assert f"ex/2-secret.md: is a symlink to {secret}, outside ex: refused" in built.stderr
    assert f"ex/part/README.md: is a symlink to {secret}, outside ex: refused" in built.stderr
    assert _published(book / "out", "TOPSECRET") == []
    assert (book / "out" / "1-intro.html").is_file()


def test_a_chapter_linked_inside_the_examples_folder_is_read(book: Path) -> None:
    (book / "ex" / "2-same.md").symlink_to(book / "ex" / "1-intro.md")
    assert tk(book, "build").returncode == 0
    assert "The chapter" in (book / "out" / "2-same.html").read_text()


def test_a_chapter_over_the_size_cap_fails_by_name(book: Path) -> None:
    with open(book / "ex" / "2-big.md", "wb") as f:
        f.truncate(MAX_TEXT_BYTES + 1)  # sparse: costs no disk
    built = tk(book, "build")
    assert built.returncode == 1
    assert f"ex/2-big.md: is {MAX_TEXT_BYTES + 1:,} bytes; tracekit reads files up to {MAX_TEXT_BYTES:,}" in built.stderr
    assert (book / "out" / "1-intro.html").is_file()


@pytest.mark.parametrize("listed", ["a.html", "a.json", "1-intro.html", "index.html"])
def test_a_fifo_where_a_listed_page_should_be_hangs_neither_check_nor_build(book: Path, listed: str) -> None:
    assert tk(book, "build").returncode == 0
    page = book / "out" / listed
    page.unlink()
    os.mkfifo(page)
    checked = tk(book, "check")
    assert checked.returncode == 1
    assert f"out/{listed}" in checked.stdout
    built = tk(book, "build")  # the listed file is tracekit's to write: the page takes the FIFO's place
    assert built.returncode == 0, built.stderr
    assert page.is_file() and page.stat().st_size > 0
    assert tk(book, "check").returncode == 0
