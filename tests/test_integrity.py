"""The output folder stays consistent: interrupted builds, a full disk, leftovers and a broken manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

S1 = '"""First."""\nx = 1\nprint(x)\n'
S2 = '"""Second."""\ny = 2\nprint(y)\n'

# Runs `tracekit ARGS` in-process, SIGKILLing itself (or raising ENOSPC) the moment a file named
# TARGET is written: os.replace is where a file tracekit writes takes its place.
KILLER = textwrap.dedent("""\
    import errno, os, signal, sys
    target, when, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    real_replace = os.replace
    def replace(src, dst, *a, **k):
        if os.path.basename(os.fspath(dst)) == target:
            if when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            real_replace(src, dst, *a, **k)
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, *a, **k)
    os.replace = replace
    from tracekit.cli import main
    sys.argv = ["tracekit", *args]
    main()
""")


def tracekit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TRACEKIT_NO_FAST_PATH="1")
    return subprocess.run([sys.executable, "-m", "tracekit", *args], cwd=cwd, capture_output=True, text=True, timeout=180, env=env)


def killed(target: str, when: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TRACEKIT_NO_FAST_PATH="1")
    return subprocess.run([sys.executable, "-c", KILLER, target, when, *args], cwd=cwd, capture_output=True, text=True, timeout=180, env=env)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(".*.tmp"))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """An examples folder that is also its output folder (-o examples), built once."""
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "s1.py").write_text(S1)
    (ex / "s2.py").write_text(S2)
    r = tracekit("build", "ex", "-o", "ex", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return tmp_path


@pytest.mark.parametrize("target, when", [("s2.html", "after"), ("s2.json", "before"), ("index.html", "after")])
def test_a_build_killed_while_replacing_pages_blocks_no_later_build(site: Path, target: str, when: str) -> None:
    (site / "ex" / "s2.py").write_text(S2.replace("y = 2", "y = 3").replace("Second", "Second, edited"))  # the index changes too
    r = killed(target, when, "build", "ex", "-o", "ex", cwd=site)
    assert r.returncode == -9, r.stderr
    again = tracekit("build", "ex", "-o", "ex", cwd=site)
    assert again.returncode == 0, again.stderr
    assert "refusing" not in again.stderr
    assert '"y = 3"' in (site / "ex" / "s2.json").read_text()
    assert temporaries(site / "ex") == []
    checked = tracekit("check", "ex", "-o", "ex", cwd=site)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_force_after_a_killed_build_succeeds(site: Path) -> None:
    (site / "ex" / "s2.py").write_text(S2.replace("y = 2", "y = 4"))
    assert killed("s2.html", "after", "build", "ex", "-o", "ex", cwd=site).returncode == -9
    again = tracekit("build", "ex", "-o", "ex", "--force", cwd=site)
    assert again.returncode == 0, again.stderr


def test_an_examples_files_are_replaced_together_after_a_kill_between_them(site: Path) -> None:
    (site / "ex" / "s2.py").write_text(S2.replace("y = 2", "y = 5"))
    assert killed("s2.html", "after", "build", "ex", "-o", "ex", cwd=site).returncode == -9
    # the next start finishes what the killed build had staged: page and JSON are of the same run
    tracekit("check", "ex", "-o", "ex", cwd=site)
    again = tracekit("build", "ex", "-o", "ex", cwd=site)
    assert again.returncode == 0, again.stderr
    page = json.loads((site / "ex" / "s2.json").read_text())
    assert '"y = 5"' in json.dumps(page) and page["build"]["cache_key"] in (site / "ex" / ".tracekit-manifest.json").read_text()


def test_check_reports_leftover_temporaries_and_the_next_build_removes_them(site: Path) -> None:
    out = site / "ex"
    (out / "s2.py").write_text(S2.replace("y = 2", "y = 6"))
    # killed with the JSON staged but not yet in place: its temporary is left behind
    assert killed("s2.json", "before", "build", "ex", "-o", "ex", cwd=site).returncode == -9
    (out / ".s1.json.999999999.tmp").write_text("{}")  # an older build's, as the issue found them
    assert temporaries(out)
    checked = tracekit("check", "ex", "-o", "ex", cwd=site)
    assert checked.returncode == 1
    assert "ex/.s1.json.999999999.tmp" in checked.stdout and "temporary file" in checked.stdout
    again = tracekit("build", "ex", "-o", "ex", cwd=site)
    assert again.returncode == 0, again.stderr
    assert temporaries(out) == []
    assert tracekit("check", "ex", "-o", "ex", cwd=site).returncode == 0


def test_a_temporary_of_a_running_build_is_not_removed(site: Path) -> None:
    mine = site / "ex" / f".s1.html.{os.getpid()}.tmp"  # this test's process is alive
    mine.write_text("in progress")
    assert tracekit("build", "ex", "-o", "ex", cwd=site).returncode == 0
    assert mine.exists()


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 1 MB tmpfs (root only)."""
    disk = tmp_path / "out"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_is_one_line_exit_1_and_leaves_the_previous_pages(tmp_path: Path, small_disk: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "s1.py").write_text(S1)
    (ex / "s2.py").write_text(S2)
    assert tracekit("build", "ex", "-o", "out", "--max-output", "4M", cwd=tmp_path).returncode == 0
    before = {p.name: p.read_bytes() for p in small_disk.iterdir() if p.is_file()}
    (ex / "s2.py").write_text(S2 + 'print("x" * 700_000)\n')  # its page and JSON cannot both fit
    r = tracekit("build", "ex", "-o", "out", "--max-output", "4M", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"the disk holding out (mounted at {small_disk}) is full" in r.stderr
    after = {p.name: p.read_bytes() for p in small_disk.iterdir() if p.is_file()}
    assert after == before  # s2's page and JSON, the index and the manifest: all as they were
    assert temporaries(small_disk) == []
    checked = tracekit("check", "ex", "-o", "out", "--max-output", "4M", cwd=tmp_path)
    assert checked.stdout == "stale     ex/s2.py: the example changed since its page was built\n"


def test_control_characters_from_an_example_are_shown_not_sent_to_the_terminal(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "esc.py").write_text('"""Escapes."""\nraise ValueError("\\x1b]0;pwned\\x07\\x1b[2J gone")\n')
    (ex / "forged\nok             ex.py").write_text('"""Newline in the name."""\nraise ValueError("no")\n')
    r = tracekit("build", "ex", "-o", "out", cwd=tmp_path)
    assert r.returncode == 1
    both = r.stdout + r.stderr
    assert "\x1b" not in both and "\x07" not in both
    assert "ValueError: <U+001B>]0;pwned<U+0007><U+001B>[2J gone" in both
    assert "ex/forged<U+000A>ok             ex.py" in both
    assert not any(line.startswith("ok ") for line in both.splitlines())
    checked = tracekit("check", "ex", "-o", "out", cwd=tmp_path)
    assert "\x1b" not in checked.stdout and "ex/forged<U+000A>ok" in checked.stdout


def _get(server: object, path: str, host: str | None = None) -> tuple[int, bytes]:
    import http.client

    h, port = server.httpd.server_address[:2]  # type: ignore[attr-defined]
    conn = http.client.HTTPConnection(h, port, timeout=5)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def test_serve_serves_only_regular_files_inside_the_folder_to_local_hosts(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    from tracekit.serve import Server

    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "sub" / "page.html").write_text("<p>page</p>")
    (site / ".tracekit-manifest.json").write_text('{"files": {}}')
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0")
    (site / "etclink").symlink_to(secret)
    (site / "filelink.html").symlink_to(secret / "passwd")
    server = Server(site, port=0).start()
    port = server.httpd.server_address[1]
    try:
        assert _get(server, "/") == (200, b"<p>home</p>")
        assert _get(server, "/sub/page.html", host=f"localhost:{port}") == (200, b"<p>page</p>")
        assert _get(server, "/etclink/passwd")[0] == 404
        assert _get(server, "/filelink.html")[0] == 404
        assert _get(server, "/sub/")[0] == 404  # no listing
        assert _get(server, "/.tracekit-manifest.json")[0] == 404
        assert _get(server, "/index.html%00.png")[0] == 404
        assert _get(server, "/", host="evil.example:80")[0] == 403
        assert _get(server, "/", host=f"127.0.0.1:{port + 1}")[0] == 403
        assert _get(server, "/", host="")[0] == 403
    finally:
        server.stop()
    assert "Traceback" not in capfd.readouterr().err


def test_a_fifo_among_the_examples_is_skipped_with_a_warning(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "s1.py").write_text(S1)
    os.mkfifo(ex / "f.py")
    r = tracekit("build", "ex", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "tracekit: ex/f.py is not a regular file; skipped" in r.stderr
    assert not (tmp_path / "out" / "f.html").exists()
    assert tracekit("check", "ex", "-o", "out", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("value", ["0.0000001K", "0.4"])
def test_limits_that_round_to_zero_bytes_are_rejected(value: str) -> None:
    from tracekit.config import parse_memory

    with pytest.raises(ValueError):
        parse_memory(value)


def test_an_empty_output_folder_is_rejected(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "s1.py").write_text(S1)
    r = tracekit("build", "ex", "-o", "", cwd=tmp_path)
    assert r.returncode == 2
    assert "tracekit: the output folder is empty" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ex"]


def test_a_symlinked_output_subfolder_leading_out_is_refused(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    (ex / "sub").mkdir(parents=True)
    (ex / "sub" / "s1.py").write_text(S1)
    (ex / "s2.py").write_text(S2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").symlink_to(elsewhere)
    r = tracekit("build", "ex", "-o", "out", cwd=tmp_path)
    assert r.returncode == 1
    assert "refusing to write out/sub/s1.html: out/sub leads outside the output folder" in r.stderr
    assert list(elsewhere.iterdir()) == []
    assert (tmp_path / "out" / "s2.html").is_file()


def test_instrument_refuses_a_device_and_a_huge_source(tmp_path: Path) -> None:
    r = tracekit("instrument", "/dev/zero", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == "tracekit: /dev/zero is not a regular file\n"
    big = tmp_path / "big.py"
    big.write_bytes(b"x = 1\n" * 2_000_000)
    r = tracekit("instrument", "big.py", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == "tracekit: big.py is 12,000,000 bytes; tracekit reads sources up to 10,000,000\n"


@pytest.mark.parametrize("damage", ["malformed", "huge"])
def test_a_damaged_manifest_is_rebuilt_from_the_files_tracekit_wrote(site: Path, damage: str) -> None:
    out = site / "ex"
    manifest = out / ".tracekit-manifest.json"
    if damage == "malformed":
        manifest.write_text('{"format": 1, "examples": ')
    else:
        with open(manifest, "wb") as f:
            f.truncate(70 * 1024 * 1024)  # sparse: read it and tracekit would spend a minute on it
    mine = out / "notes.html"
    mine.write_text("<p>my own page</p>")
    (out / "s1.py").write_text(S1.replace("x = 1", "x = 10"))
    stuck = tracekit("build", "ex", "-o", "ex", cwd=site)
    assert stuck.returncode == 2
    assert "run `tracekit build --rebuild-manifest`" in stuck.stderr
    r = tracekit("build", "ex", "-o", "ex", "--rebuild-manifest", cwd=site)
    assert r.returncode == 0, r.stderr
    assert '"x = 10"' in (out / "s1.json").read_text()
    assert mine.read_text() == "<p>my own page</p>"
    assert tracekit("check", "ex", "-o", "ex", cwd=site).returncode == 0


SABOTEUR = '''"""Rewrites the trace file its run writes."""
import os
real_replace = os.replace
def replace(src, dst, *args, **kwargs):
    if os.fspath(dst).endswith(".json"):
        with open(src, "wb") as f:
            f.write(b'{"status": "ok", "lines": {"1": "many"}, "stdout": "sabotaged"}')
    return real_replace(src, dst, *args, **kwargs)
os.replace = replace
print("hello")
'''


def test_an_example_that_overwrites_its_own_trace_file_fails_alone(tmp_path: Path) -> None:
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "a_saboteur.py").write_text(SABOTEUR)
    (ex / "b_fine.py").write_text(S1)
    r = tracekit("build", "ex", "-o", "out", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "ex/a_saboteur.py: crashed: the trace it wrote is not valid" in r.stderr
    assert "ok             ex/b_fine.py" in r.stdout
    assert (tmp_path / "out" / "a_saboteur.html").is_file() and (tmp_path / "out" / "index.html").is_file()


def test_a_forged_journal_takes_no_file_of_the_users(site: Path) -> None:
    out = site / "ex"
    mine = out / "notes.html"
    mine.write_text("<p>mine</p>")
    import hashlib

    sha = hashlib.sha256(b"<p>mine</p>").hexdigest()
    (out / ".notes.html.999999998.tmp").write_text("<p>replaced</p>")
    forged = hashlib.sha256(b"<p>replaced</p>").hexdigest()
    (out / ".tracekit-journal.999999998").write_text(
        json.dumps({"files": [["notes.html", ".notes.html.999999998.tmp", forged], ["notes.html", "x", sha]]}) + "\n"
    )
    assert tracekit("build", "ex", "-o", "ex", cwd=site).returncode == 0
    assert mine.read_text() == "<p>mine</p>"
    assert tracekit("build", "ex", "-o", "ex", "--force", cwd=site).returncode == 0
    assert mine.read_text() == "<p>mine</p>"
    assert not (out / ".tracekit-journal.999999998").exists() and temporaries(out) == []


def test_the_no_op_fast_path_does_not_skip_what_a_killed_build_left(tmp_path: Path) -> None:
    import time

    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "s1.py").write_text(S1)
    fast = dict(os.environ)
    fast.pop("TRACEKIT_NO_FAST_PATH", None)

    def build() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tracekit", "build", "ex", "-o", "out"], cwd=tmp_path, capture_output=True, text=True, env=fast)

    assert build().returncode == 0
    time.sleep(2.2)  # files this fresh are never trusted by the remembered answer
    assert build().stdout == "1 example(s) up to date → out\n"
    assert build().stdout == "1 example(s) up to date → out\n"  # from memory now
    # a --force build killed with s1's files staged, none renamed yet, leaves its temporaries
    assert killed("s1.html", "before", "build", "ex", "-o", "out", "--force", cwd=tmp_path).returncode == -9
    assert temporaries(tmp_path / "out")
    r = build()
    assert r.returncode == 0 and temporaries(tmp_path / "out") == []
    assert tracekit("check", "ex", "-o", "out", cwd=tmp_path).returncode == 0


def test_an_interrupt_a_library_wraps_while_rendering_is_no_cached_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    import tracekit.render as render
    from tracekit.site import BuildInterrupted, Reporter, build

    ex, out = tmp_path / "ex", tmp_path / "out"
    ex.mkdir()
    (ex / "s1.py").write_text(S1)
    real = render.render_page

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        except BuildInterrupted as e:  # as pygments does with an exception inside its regex compiler
            raise ValueError(f"uncompilable regex: {e}") from e
        return real(*args, **kwargs)

    monkeypatch.setattr(render, "render_page", interrupted)
    with pytest.raises(BuildInterrupted):
        build([ex], output=out, reporter=Reporter(verbosity=-1))
    monkeypatch.setattr(render, "render_page", real)
    result = build([ex], output=out, reporter=Reporter(verbosity=-1))
    assert [(o.status, o.cached) for o in result.outcomes] == [("ok", False)]


def test_a_users_own_tmp_file_beside_the_pages_stays(site: Path) -> None:
    out = site / "ex"
    (out / ".backup.2023.tmp").write_text("mine")
    (out / "s1.py").write_text(S1.replace("x = 1", "x = 7"))
    assert tracekit("build", "ex", "-o", "ex", cwd=site).returncode == 0
    assert (out / ".backup.2023.tmp").read_text() == "mine"
    assert tracekit("check", "ex", "-o", "ex", cwd=site).returncode == 0
