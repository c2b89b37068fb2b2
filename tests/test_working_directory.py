"""An example runs as `cd its_folder && python its_file.py` would, and the build names the files it writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SAVER = """\
import os
import subprocess
import sys

print(open("data/x.txt").read().strip())
subprocess.run(["cp", "data/x.txt", "copy.txt"], check=True)  # written outside Python, as torch.save does
with open("model.bin", "wb") as f:
    f.write(b"weights")
print(__file__)
print(sys.argv[0], sys.path[0], os.getcwd())
"""


def build_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracekit", "build", "ex", "-o", "out", *args], cwd=root, capture_output=True, text=True, timeout=300)


def test_an_example_runs_in_its_own_folder_as_python_runs_it(tmp_path: Path) -> None:
    root = Path(os.path.realpath(tmp_path))
    sub = root / "ex" / "lessons"
    (sub / "data").mkdir(parents=True)
    (sub / "data" / "x.txt").write_text("read beside the script\n")
    (sub / "saver.py").write_text(SAVER)
    plain = subprocess.run([sys.executable, "saver.py"], cwd=sub, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 0, plain.stderr
    (sub / "model.bin").unlink()
    (sub / "copy.txt").unlink()
    done = build_cli(root, "-j", "1")
    assert done.returncode == 0, done.stderr
    assert (sub / "model.bin").read_bytes() == b"weights" and not (root / "ex" / "model.bin").exists()
    named = [line for line in done.stderr.splitlines() if "(not part of the site)" in line]
    assert named == [
        "tracekit: ex/lessons/saver.py wrote ex/lessons/model.bin (not part of the site)",
        "tracekit: ex/lessons/saver.py wrote ex/lessons/copy.txt (not part of the site)",
    ]
    trace = json.loads((root / "out" / "lessons" / "saver.json").read_text())
    # the same lines as python's, with paths under the examples folder written relative to it
    assert trace["stdout"] == plain.stdout.replace(f"{root / 'ex'}/", "")
    assert trace["stdout"] == "read beside the script\nlessons/saver.py\nsaver.py lessons lessons\n"


def test_every_example_is_named_for_its_own_files_under_parallel_jobs(tmp_path: Path) -> None:
    root = Path(os.path.realpath(tmp_path))
    (root / "ex").mkdir()
    for name in ("a", "b", "c"):
        (root / "ex" / f"{name}.py").write_text(
            f"import os, time\nos.makedirs('runs/{name}')\ntime.sleep(0.3)\nwith open('runs/{name}/log.txt', 'w') as f:\n    f.write('x')\n"
            f"open('{name}.csv', 'w').close()\n"
        )
    done = build_cli(root, "-j", "3")
    assert done.returncode == 0, done.stderr
    named = sorted(line for line in done.stderr.splitlines() if "(not part of the site)" in line)
    assert named == [
        "tracekit: ex/a.py wrote ex/a.csv (not part of the site)",
        "tracekit: ex/a.py wrote ex/runs/a/log.txt (not part of the site)",
        "tracekit: ex/b.py wrote ex/b.csv (not part of the site)",
        "tracekit: ex/b.py wrote ex/runs/b/log.txt (not part of the site)",
        "tracekit: ex/c.py wrote ex/c.csv (not part of the site)",
        "tracekit: ex/c.py wrote ex/runs/c/log.txt (not part of the site)",
    ]


def test_a_build_of_an_example_that_only_reads_names_nothing(tmp_path: Path) -> None:
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "quiet.py").write_text("import os\nos.makedirs('.', exist_ok=True)\nx = open(__file__).read()\nprint(len(x) > 0)\n")
    done = build_cli(tmp_path, "-j", "1")
    assert done.returncode == 0, done.stderr
    assert "wrote" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == ["quiet.py"]
