"""Output written below sys.stdout (fd 1 directly, sys.stdout.buffer, subprocesses, C) is shown
on the page, apart from the lines, since no line is known for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import page_text

BELOW = '''\
"""Below stdout."""
import ctypes, os, subprocess, sys

#: Printed.
print("printed")
#: Written to fd 1.
os.write(1, b"raw\\n")
#: A subprocess.
subprocess.run(["echo", "sub"])
#: Bytes through sys.stdout.buffer.
sys.stdout.buffer.write(b"buffered\\n")
sys.stdout.flush()
#: C printf.
libc = ctypes.CDLL(None)
libc.printf(b"from C\\n")
libc.fflush(None)
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="C printf through ctypes.CDLL(None)")
def test_output_below_sys_stdout_is_shown_apart_from_the_lines(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "below.py").write_text(BELOW)
    (examples / "plain.py").write_text('"""Plain."""\nprint("only printed")\n')
    result = subprocess.run([sys.executable, "-m", "tracekit", "build", "examples", "-o", "site"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "below.html").read_text(encoding="utf-8")
    text = page_text(page)
    assert "output = printed" in text  # on its line, as before
    block = text[text.index("Output not attributed to a line") :]
    assert block.startswith(
        "Output not attributed to a line Written around sys.stdout (to file descriptor 1, through sys.stdout.buffer, "
        "or by a subprocess or C code), so no line is known for it. output = raw sub buffered from C "
    )
    assert '<pre class="st-pre" tabindex="0">raw\nsub\nbuffered\nfrom C</pre>' in page  # in the order written
    # a page whose script prints only through sys.stdout has no such block
    assert "not attributed" not in (tmp_path / "site" / "plain.html").read_text(encoding="utf-8")
