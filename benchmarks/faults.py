"""Fault injection: builds interrupted at random moments, escaping daemons and a full disk.

Runs BUILDS builds (default 50) of a small examples folder, one example of which detaches a
double-forked daemon and a new-session process. Before each build 1-3 sources change; each
build is then SIGKILLed or SIGTERMed at a random moment, or left to finish. After every build:
no process of the example may be left (measured: how long until none is). At the end, a
build that is left alone must succeed, leave no temporary file, write a manifest that matches
the folder, and `check` must say the folder is up to date, and say it is not after an edit.
With a mountable tmpfs (root), a rebuild into a full disk must fail with a one-line error and
leave the previous pages consistent. Prints the figures; exit status 1 if any check fails.

Usage: python benchmarks/faults.py [--builds N] [--seed S]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = re.compile(r"(\d+) example\(s\): (\d+) run")
NOOP = re.compile(r"^\d+ example\(s\) up to date → ", re.MULTILINE)

# a setsid double-forked daemon naming MARKER, then whatever the example does next
DETACH = """\
import os, signal, subprocess, sys, time
marker = {marker!r}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", marker])
    os._exit(0)
os.wait()
"""

DAEMON = (
    '"""Starts processes that try to outlive it."""\n'
    + DETACH
    + """\
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker], start_new_session=True)
time.sleep(0.3)
print("started")
"""
)

ASSASSIN = (
    '"""Starts a daemon, then {how} its supervisor."""\n'
    + DETACH
    + """\
os.kill(os.getppid(), signal.{signal})
time.sleep(30)
"""
)

PLAIN = """\
\"\"\"Example {i}.\"\"\"
total = 0
for k in range(200):
    total += k * {i}
print(total)
text = "x" * 20000
"""


def processes(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmd and state != b"Z" and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


def gone_after(marker: str, limit: float = 10.0) -> float | None:
    """Seconds until no process mentions MARKER; None if some still do after LIMIT."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if not processes(marker):
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def manifest_problems(out: Path) -> list[str]:
    """Files the manifest lists that are missing or differ, and files of tracekit's it does not list."""
    try:
        data = json.loads((out / ".tracekit-manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"manifest unreadable: {e}"]
    listed: dict[str, str] = dict(data.get("files") or {})
    problems = []
    for rel, sha in listed.items():
        path = out / rel
        if not path.is_file():
            problems.append(f"listed but missing: {rel}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            problems.append(f"listed with another hash: {rel}")
    for path in out.rglob("*"):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in listed and not rel.startswith(".tracekit") and rel != "filler" and not path.suffix == ".py":
            problems.append(f"not listed: {rel}")
    return problems


def temporaries(out: Path, cache: Path) -> list[str]:
    found = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
    runs = cache / "runs"
    found += [f"cache/runs/{p.name}" for p in runs.iterdir()] if runs.is_dir() else []
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--into-examples", action="store_true", help="build with -o examples (pages beside the sources)")
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        root = Path(tmp)
        marker = f"faults-daemon-{os.getpid()}"
        # -o examples: the output folder is the examples folder, as in a project's own docs
        examples, cache = root / "examples", root / "cache"
        out = examples if opts.into_examples else root / "site"
        examples.mkdir()
        (examples / "daemon.py").write_text(DAEMON.format(marker=marker))
        for i in range(5):
            (examples / f"ex_{i}.py").write_text(PLAIN.format(i=i))
        env = dict(os.environ, TRACEKIT_CACHE_DIR=str(cache), TRACEKIT_NO_FAST_PATH="1")
        cmd = [sys.executable, "-m", "tracekit", "build", "examples", "-o", out.name, "-j", "2"]
        sources = sorted(examples.glob("*.py"))
        outcomes = {"SIGKILL": 0, "SIGTERM": 0, "finished": 0}
        blocked, waits, slow, checks = 0, [], 0, 0
        check_cmd = [sys.executable, "-m", "tracekit", "check", "examples", "-o", out.name]
        started = time.monotonic()
        for n in range(opts.builds):
            for path in rng.sample(sources, rng.randint(1, 3)):
                path.write_text(path.read_text() + f"step_{n} = {n}\n")
            build = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            action = rng.choice(["SIGKILL", "SIGKILL", "SIGTERM", "finished"])
            if action != "finished":
                time.sleep(rng.uniform(0.0, 2.0))
                build.send_signal(signal.SIGKILL if action == "SIGKILL" else signal.SIGTERM)
            _, err = build.communicate(timeout=120)
            if build.returncode == 2 and "refusing to overwrite" in err:
                blocked += 1
            elif action == "finished" and build.returncode != 0:
                problems.append(f"build {n} (left alone) exited {build.returncode}: {err.strip()[-300:]}")
            outcomes[action] += 1
            waited = gone_after(marker)
            if waited is None:
                problems.append(f"build {n} ({action}): the example's processes outlived it: {processes(marker)}")
                for pid in processes(marker):
                    os.kill(pid, signal.SIGKILL)
            else:
                waits.append(waited)
                slow += waited > 2.0
            if action != "finished" and n % 5 == 4:
                # Is check truthful about the folder an interrupted build left? A build then
                # shows whether there was work to do.
                verdict = subprocess.run(check_cmd, cwd=root, env=env, capture_output=True, text=True)
                after = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
                m = SUMMARY.search(after.stdout + after.stderr)
                # a build with nothing to do says "N example(s) up to date → DIR": it ran none
                ran = int(m.group(2)) if m else 0 if NOOP.search(after.stdout) else -1
                checks += 1
                if verdict.returncode == 0 and ran != 0:
                    problems.append(f"build {n}: check said up to date, then a build ran {ran} example(s)")
                if verdict.returncode != 0 and ran == 0 and after.returncode == 0:
                    problems.append(f"build {n}: check said out of date, then a build had nothing to do: {verdict.stdout + verdict.stderr}")
        loop_seconds = time.monotonic() - started
        if blocked:
            problems.append(f"{blocked} build(s) refused to run after an interrupted one")
        print(
            f"{opts.builds} builds in {loop_seconds:.0f} s: {outcomes['SIGKILL']} SIGKILLed, {outcomes['SIGTERM']} SIGTERMed, {outcomes['finished']} left alone"
        )
        if waits:
            waits.sort()
            print(f"example's processes gone after the build ended: median {waits[len(waits) // 2] * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms")

        final = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if final.returncode != 0:
            problems.append(f"final build exited {final.returncode}: {final.stderr.strip()[-300:]}")
        time.sleep(0.2)
        left = processes(marker)
        temps = temporaries(out, cache)
        mismatch = manifest_problems(out)
        check = subprocess.run(check_cmd, cwd=root, env=env, capture_output=True, text=True)
        (examples / "ex_0.py").write_text((examples / "ex_0.py").read_text() + "edited = True\n")
        stale = subprocess.run(check_cmd, cwd=root, env=env, capture_output=True, text=True)
        print(f"check compared with the next build after {checks} interrupted build(s)")
        print(f"after the final build: {len(left)} process(es), {len(temps)} temporary file(s), {len(mismatch)} manifest mismatch(es)")
        print(f"check: exit {check.returncode} when up to date, exit {stale.returncode} after an edit")
        if left:
            problems.append(f"processes left: {left}")
        if temps:
            problems.append(f"temporary files left: {temps[:5]}")
        if mismatch:
            problems.append(f"manifest does not match the folder: {mismatch[:5]}")
        if check.returncode != 0:
            problems.append(f"check after a clean build exited {check.returncode}: {(check.stdout + check.stderr).strip()[-300:]}")
        if stale.returncode == 0:
            problems.append("check called the folder up to date after an edit")
        problems += full_disk(root, examples, env)
        problems += supervisor_killed(root, env)
    for p in problems:
        print("FAIL:", p)
    print("faults: ok" if not problems else f"faults: {len(problems)} problem(s)")
    return 1 if problems else 0


def supervisor_killed(root: Path, env: dict) -> list[str]:
    """Examples that kill or stop their supervisor: each build fails them by name, from the cache the second time, and leaves no process."""
    problems: list[str] = []
    examples, marker = root / "assassins", f"faults-assassin-{os.getpid()}"
    examples.mkdir()
    (examples / "kills.py").write_text(ASSASSIN.format(how="kills", marker=marker, signal="SIGKILL"))
    (examples / "stops.py").write_text(ASSASSIN.format(how="stops", marker=marker, signal="SIGSTOP"))
    cmd = [sys.executable, "-m", "tracekit", "build", examples.name, "-o", "assassins-site", "-j", "2"]
    for attempt in ("first", "cached"):
        started = time.monotonic()
        build = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
        said = build.stdout + build.stderr
        print(f"examples that kill or stop their supervisor, {attempt} build: exit {build.returncode} in {time.monotonic() - started:.1f} s")
        if build.returncode != 1 or said.count("killed its supervisor") < 2:
            problems.append(f"{attempt} build of examples that end their supervisor: exit {build.returncode}: {said.strip()[-300:]}")
        if gone_after(marker) is None:
            problems.append(f"{attempt} build: a daemon of an example that killed its supervisor outlived the build: {processes(marker)}")
            for pid in processes(marker):
                os.kill(pid, signal.SIGKILL)
    return problems


def full_disk(root: Path, examples: Path, env: dict) -> list[str]:
    """Rebuild into a tmpfs with no room left: one-line error, exit 1, previous pages intact."""
    disk = root / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        print(f"full disk: skipped (cannot mount a tmpfs here: {mounted.stderr.strip() or 'mount failed'})")
        return []
    problems: list[str] = []
    try:
        cmd = [sys.executable, "-m", "tracekit", "build", "examples", "-o", str(disk / "site")]
        first = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if first.returncode != 0:
            return [f"full disk: the first build exited {first.returncode}: {first.stderr.strip()[-300:]}"]
        for path in examples.glob("ex_*.py"):
            path.write_text(path.read_text() + "again = 1\n")
        stat = os.statvfs(disk)
        with open(disk / "filler", "wb") as f:
            try:
                f.write(b"\0" * (stat.f_bavail * stat.f_frsize))
            except OSError:
                pass
        full = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        (disk / "filler").unlink()
        lines = [ln for ln in full.stderr.strip().splitlines() if "No space" in ln or "disk" in ln.lower()]
        print(f"full disk: exit {full.returncode}, {len(full.stderr.strip().splitlines())} line(s) on stderr")
        if full.returncode != 1 or "Traceback" in full.stderr or not lines:
            problems.append(f"full disk: expected exit 1 and a one-line error, got exit {full.returncode}: {full.stderr.strip()[-300:]}")
        problems += [f"full disk: {p}" for p in manifest_problems(disk / "site")]
        again = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        if again.returncode != 0:
            problems.append(f"full disk: the build after freeing space exited {again.returncode}: {again.stderr.strip()[-300:]}")
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
    return problems


if __name__ == "__main__":
    sys.exit(main())
