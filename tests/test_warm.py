"""Warm parents: an example forked from a process that imported its heavy modules once runs as
a fresh `python script.py` would, and its trace is the one a cold run writes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tracekit.config import ConfigError, load_config
from tracekit.run import trace_file
from tracekit.warm import DEFAULT_PRELOAD, preload_for

WARM = "-c" in sys.orig_argv  # not a test: the marker a script prints to say it ran warm
SAYS_WARM = "import sys\nprint('warm' if '-c' in sys.orig_argv else 'cold')\n"


def _run(tmp_path: Path, name: str, source: str, warm: bool, **kw: object) -> dict:
    script = tmp_path / name
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    return trace_file(script, capture=True, cwd=tmp_path, root=tmp_path, preload=DEFAULT_PRELOAD if warm else None, **kw).trace.to_dict()  # type: ignore[arg-type]


def _same(trace: dict) -> dict:
    return {k: trace.get(k) for k in ("status", "exit_status", "error", "stdout", "stderr", "lines", "meta")}


# ── which examples run warm ──────────────────────────────────────────────────


@pytest.mark.parametrize(
    "source, expected",
    [
        ('"""Doc."""\nimport torch\nx = 1\n', ("torch",)),
        ("from __future__ import annotations\nimport numpy as np\nimport torch.nn as nn\n", ("torch", "numpy")),
        ("import matplotlib.pyplot as plt\nimport numpy as np\n", ("numpy", "matplotlib", "matplotlib.pyplot")),
        ("from matplotlib import pyplot\n", ("matplotlib", "matplotlib.pyplot")),
        ("import os, math\nprint(1)\n", ()),
        # code before the heavy import: cold, as before
        ("import os\nos.environ['OMP_NUM_THREADS'] = '1'\nimport torch\n", None),
        ("import numpy\nx = 1\ndef f():\n    import torch\n", None),
        # a module of the example's own before a heavy import could change what it does
        ("import helpers\nimport torch\n", None),
        ("from . import helpers\nimport numpy\n", None),
        ("import torch\nimport helpers\n", ("torch",)),
        ("def broken(:\n", None),
        # the backend every warm parent's matplotlib has: choosing it again changes nothing
        ('import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nimport numpy\n', ("numpy", "matplotlib", "matplotlib.pyplot")),
        ('import matplotlib as mpl\nmpl.use("agg", force=True)\nimport torch\n', ("torch", "matplotlib")),
        ("import matplotlib\nmatplotlib.use(backend)\nimport numpy\n", None),
        ('import matplotlib\nmatplotlib.use("svg")\nimport numpy\n', None),
    ],
)
def test_the_leading_imports_choose_the_preload_set(source: str, expected: tuple[str, ...] | None) -> None:
    assert preload_for(source, DEFAULT_PRELOAD) == expected


def test_preload_and_warm_are_checked_in_the_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\npreload = ["torch", "my pkg"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad value for 'preload': \['torch', 'my pkg'\]"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nwarm = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad value for 'warm': 'yes'"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nwarm = false\npreload = "numpy"\n', encoding="utf-8")
    cfg = load_config(tmp_path)
    assert (cfg.warm, cfg.preload) == (False, ("numpy",))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text("[tool.tracekit]\n", encoding="utf-8")
    assert load_config(tmp_path / "other").preload == DEFAULT_PRELOAD == ("torch", "torch._dynamo", "numpy", "matplotlib", "matplotlib.pyplot")
    assert load_config(tmp_path / "other").warm is True


def test_a_script_setting_the_environment_before_its_heavy_import_runs_cold(tmp_path: Path) -> None:
    source = "import os\nos.environ['X'] = '1'\nimport numpy\n" + SAYS_WARM
    assert _run(tmp_path, "env_first.py", source, warm=True)["stdout"] == "cold\n"
    assert _run(tmp_path, "plain.py", "import numpy\n" + SAYS_WARM, warm=True)["stdout"] == "warm\n"
    assert _run(tmp_path, "plain.py", "import numpy\n" + SAYS_WARM, warm=False)["stdout"] == "cold\n"


def test_a_file_shadowing_a_preloaded_module_makes_its_folder_run_cold(tmp_path: Path) -> None:
    (tmp_path / "numbers.py").write_text("print('shadow')\n", encoding="utf-8")  # numpy imports numbers
    cold, warm = (_run(tmp_path, "shadowed.py", "import numpy\n" + SAYS_WARM, w) for w in (False, True))
    assert warm["stdout"].startswith("shadow\n")
    assert _same(warm) == _same(cold)


# ── the same run, warm or cold ───────────────────────────────────────────────

STATE = """\
import numpy as np
import os, sys, warnings, random
print(np.get_printoptions()["precision"], np.array([1 / 3]), np.random.rand())
print(sys.argv, sys.path[0] == os.path.dirname(os.path.abspath(__file__)), os.getcwd() == os.path.dirname(os.path.abspath(__file__)))
print(os.environ.get("TK_PAIR"), np.__dict__.get("tk_pair"), "/pair" in sys.path, random.random())
print(sum(1 for f in warnings.filters if f[2] is UserWarning), __name__, __file__, globals().get("tk_pair"), sorted(globals())[:8])
np.set_printoptions(precision=2)
np.tk_pair = 1
os.environ["TK_PAIR"] = "set"
sys.path.append("/pair")
warnings.simplefilter("error", UserWarning)
np.random.seed(99)
random.seed(99)
tk_pair = 2
"""


@pytest.mark.parametrize("seed", [0, None])
def test_global_state_one_example_changes_is_not_seen_by_the_next(tmp_path: Path, seed: int | None) -> None:
    (tmp_path / "sub").mkdir()
    runs = {}
    for warm in (False, True):
        runs[warm] = [_run(tmp_path / folder, "state.py", STATE, warm, seed=seed) for folder in (".", "sub", ".")]
    for trace in runs[True] + runs[False]:
        assert trace["status"] == "ok", trace["stderr"]
    first = runs[True][0]["stdout"].splitlines()
    assert first[0].startswith("8 [0.33333333] ")
    assert first[1] == "['state.py'] True True"
    assert first[2].startswith("None None False ")
    assert (
        first[3] == "0 __main__ state.py None ['__annotations__', '__builtins__', '__cached__', '__doc__', '__file__', '__loader__', '__name__', '__package__']"
    )
    if seed is not None:
        assert [_same(t) for t in runs[True]] == [_same(t) for t in runs[False]]
    else:
        # unseeded: numpy and random differ from run to run, warm as cold
        draws = [t["stdout"].split()[2] for t in runs[True]]
        assert len(set(draws)) == 3


def test_the_trace_of_an_error_is_the_cold_one_with_no_tracekit_frame(tmp_path: Path) -> None:
    source = """\
        import numpy as np
        def inner(x):
            return x / np.zeros(1) + int("nope")
        inner(1)
    """
    cold, warm = (_run(tmp_path, "fails.py", source, w) for w in (False, True))
    assert warm["error"]["traceback"] == cold["error"]["traceback"]
    assert [e["function"] for e in warm["error"]["traceback"]] == ["<module>", "inner"]
    assert warm["stderr"] == cold["stderr"]
    assert "tracekit" not in warm["stderr"] and "<string>" not in warm["stderr"]
    assert _same(warm) == _same(cold)


def test_exit_statuses_and_interrupts_are_pythons_own(tmp_path: Path) -> None:
    for source, status in [
        ("import numpy\nimport sys\nsys.exit(3)\n", 3),
        ("import numpy\nimport sys\nsys.exit('bye')\n", 1),
        ("import numpy\nraise KeyboardInterrupt\n", -2),
        ("import numpy\nimport os\nos._exit(7)\n", 7),
    ]:
        cold, warm = (_run(tmp_path, "ends.py", source, w) for w in (False, True))
        assert (warm["exit_status"], warm["stderr"]) == (cold["exit_status"], cold["stderr"])
        assert warm["exit_status"] == status


@pytest.mark.xfail(strict=True, reason="the warm parent's top-level frame sits under the script's: one frame deeper than python")
def test_frame_depth_is_pythons(tmp_path: Path) -> None:
    source = "import numpy\nimport sys\nprint(sys._getframe().f_back is None)\n"
    assert _run(tmp_path, "depth.py", source, warm=True)["stdout"] == "True\n"


def test_frame_depth_differs_by_one_frame(tmp_path: Path) -> None:
    source = "import numpy\nimport inspect\nprint(len(inspect.stack()))\n"
    cold, warm = (_run(tmp_path, "depth.py", source, w)["stdout"] for w in (False, True))
    assert (cold, warm) == ("1\n", "2\n")


# ── torch: CUDA, thread pools and print options across fork ──────────────────

TORCH = """\
import torch
import numpy as np
print(torch.cuda.is_initialized(), torch.get_default_dtype(), torch.tensor([1 / 3]))
print(torch.get_num_threads() == {threads}, torch.rand(1).item())
torch.set_num_threads(2)
a = torch.ones(512, 512)
print(float((a @ a).sum()), float((np.ones((600, 600)) @ np.ones((600, 600))).sum()))
torch.set_printoptions(precision=1)
torch.manual_seed(5)
"""


def test_torch_in_a_forked_example_starts_fresh_and_its_thread_pools_work(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    threads = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"], capture_output=True, text=True, check=True).stdout
    source = TORCH.format(threads=int(threads))
    cold = [_run(tmp_path, "t.py", source, False, timeout=120) for _ in range(2)]
    warm = [_run(tmp_path, "t.py", source, True, timeout=120) for _ in range(2)]
    for trace in warm:
        assert trace["status"] == "ok", trace["stderr"]
        lines = trace["stdout"].splitlines()
        assert lines[0] == "False torch.float32 tensor([0.3333])"  # CUDA never started in the parent
        assert lines[1].startswith("True 0.49")  # seed 0, and the default thread count
        assert lines[2] == "134217728.0 216000000.0"
    assert [_same(t) for t in warm] == [_same(t) for t in cold]


GARBAGE = """\
import torch

class Noisy:
    def __del__(self):
        print("finalised", self.name)

def collect():
    # how many objects python finds differs from a fresh process to a forked one: not shown
    exec("import gc; gc.collect()")

a = Noisy()
a.name, a.me = "a", a
del a
collect()
print("collected")
b = [Noisy() for _ in range(3)]
for i, n in enumerate(b):
    n.name, n.me = f"b{i}", n
del b, n
collect()
print("torch works too", torch.tensor([1.0]).sum().item())
"""


def test_a_forked_example_collects_its_own_garbage_as_python_does(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    cold = _run(tmp_path, "g.py", GARBAGE, False, timeout=120)
    warm = _run(tmp_path, "g.py", GARBAGE, True, timeout=120)
    assert warm["stdout"] == "finalised a\ncollected\nfinalised b0\nfinalised b1\nfinalised b2\ntorch works too 1.0\n"
    assert _same(warm) == _same(cold)


# ── the end of a forked example: python's exit, without tearing down the preloaded modules ──

ENDING = """\
import numpy
import atexit
import threading
import time
import helper

class Marks:
    def __init__(self, name):
        self.name = name
    def __del__(self, open=open):  # python's teardown has taken `open` out of builtins by then
        with open(self.name, "w") as f:
            f.write("finalised")

kept = Marks("main_object.txt")
cycle = Marks("cycle.txt")
cycle.me = cycle
unclosed = open("unclosed.txt", "w")
unclosed.write("buffered, never closed")
helper.kept = Marks("helper_object.txt")
atexit.register(lambda: print("atexit ran"))

def late():
    time.sleep(0.3)
    with open("thread.txt", "w") as f:
        f.write("joined")

threading.Thread(target=late).start()
print("script done")
"""


@pytest.mark.parametrize("ending, status", [("", 0), ("raise SystemExit(4)\n", 4), ("raise ValueError('no')\n", 1)])
def test_an_example_ends_as_python_ends_whether_forked_or_not(tmp_path: Path, ending: str, status: int) -> None:
    results = {}
    for warm in (False, True):
        folder = tmp_path / ("warm" if warm else "cold")
        folder.mkdir()
        (folder / "helper.py").write_text("kept = None\n", encoding="utf-8")
        trace = _run(folder, "ends.py", ENDING + ending, warm)
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}
        results[warm] = (trace["exit_status"], trace["stdout"], files)
    assert results[True] == results[False]
    exit_status, stdout, files = results[True]
    assert exit_status == status
    assert stdout == "script done\natexit ran\n"  # the trace is written by the last atexit callback
    assert files == {
        "cycle.txt": "finalised",
        "helper_object.txt": "finalised",
        "main_object.txt": "finalised",
        "thread.txt": "joined",
        "unclosed.txt": "buffered, never closed",
    }


@pytest.mark.xfail(strict=True, reason="a forked example's inherited objects are frozen out of the garbage collector")
def test_no_object_is_frozen_out_of_the_garbage_collector(tmp_path: Path) -> None:
    source = "import numpy\nimport gc\nprint(gc.get_freeze_count())\n"
    assert _run(tmp_path, "frozen.py", source, warm=True)["stdout"] == "0\n"


LATE_OPEN = """\
import numpy

class Late:
    def __del__(self):
        with open("late.txt", "w") as f:
            f.write("finalised")

kept = Late()
"""


@pytest.mark.xfail(strict=True, reason="python's teardown takes `open` out of builtins before late finalizers run; a forked example's end leaves it")
def test_a_finalizer_at_the_end_sees_the_builtins_python_leaves_it(tmp_path: Path) -> None:
    made = []
    for warm in (False, True):
        folder = tmp_path / str(warm)
        folder.mkdir()
        _run(folder, "late.py", LATE_OPEN, warm)
        made.append((folder / "late.txt").exists())
    assert made == [False, False]


# ── each preloaded module imported once per build ────────────────────────────

MARKER = "import os\nwith open(os.environ['TK_IMPORTS'], 'a') as f:\n    f.write('{name} ' + str(os.getpid()) + '\\n')\n"


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_preloaded_module_is_imported_once_however_many_sets_and_slots_use_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    from tracekit import warm
    from tracekit.site import Reporter, build

    warm.shutdown()
    lib, ex, log = tmp_path / "lib", tmp_path / "ex", tmp_path / "imports.log"
    lib.mkdir()
    ex.mkdir()
    for name in ("heavy", "extra"):
        (lib / f"{name}.py").write_text(MARKER.format(name=name), encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(lib))
    monkeypatch.setenv("TK_IMPORTS", str(log))
    examples = {"a.py": "import heavy\n", "b.py": "import heavy\n", "c.py": "import heavy\nimport extra\n", "d.py": "import heavy\nimport extra\n"}
    for name, imports in examples.items():
        (ex / name).write_text(imports + SAYS_WARM, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.tracekit]\nexamples = "ex"\noutput = "out"\npreload = ["heavy", "extra"]\n', encoding="utf-8")
    try:
        result = build(config=load_config(pyproject=tmp_path / "pyproject.toml"), jobs=jobs, reporter=Reporter(verbosity=-1))
        assert result.exit_status == 0
        parents = warm.parents()
        # the thread that made the parents as the build started is gone with the build
        assert [t.name for t in threading.enumerate() if t.name.startswith("tracekit")] == []
    finally:
        warm.shutdown()
    for name in examples:
        trace = json.loads((tmp_path / "out" / name.replace(".py", ".json")).read_text(encoding="utf-8"))
        assert trace["stdout"] == "warm\n"
    imports = [line.split()[0] for line in log.read_text(encoding="utf-8").splitlines()]
    assert imports == ["heavy", "extra"]  # by warm parents: heavy's fork imported extra; the examples imported neither
    assert 4 <= len(parents) <= 8  # the root, heavy's, heavy-and-extra's, a spare of each (more under -j 2)


# ── torch._dynamo, preloaded for the examples that make an optimizer ─────────

OPTIMIZER = """\
import torch
torch.manual_seed(0)
w = torch.zeros(2, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.5)
(w - torch.tensor([1.0, 2.0])).pow(2).sum().backward()
opt.step()
print(w, torch.manual_seed(1).initial_seed())
import sys
print('-c' in sys.orig_argv)
"""


def test_an_example_that_makes_an_optimizer_gets_torch_dynamo_preloaded_and_the_same_trace(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    assert preload_for(OPTIMIZER, DEFAULT_PRELOAD) == ("torch", "torch._dynamo")
    assert preload_for("import torch\nfrom torch import optim\n", DEFAULT_PRELOAD) == ("torch", "torch._dynamo")
    assert preload_for("import torch as t\nf = t.compile\n", DEFAULT_PRELOAD) == ("torch", "torch._dynamo")
    assert preload_for("import torch\nimport re\nre.compile('x')\n", DEFAULT_PRELOAD) == ("torch",)
    cold, warm = (_run(tmp_path, "opt.py", OPTIMIZER, w, timeout=120) for w in (False, True))
    assert warm["stdout"].splitlines() == ["tensor([1., 2.], requires_grad=True) 1", "True"]
    assert cold["stdout"].splitlines()[-1] == "False"
    seed_line = next(line for line in warm["lines"] if line["line"] == 2)
    assert seed_line == next(line for line in cold["lines"] if line["line"] == 2)
    assert '"seed"' in json.dumps(seed_line)  # torch.manual_seed's parameter, though dynamo wrapped it
    # all but the line that says where it ran
    strip = lambda trace: {**_same(trace), "stdout": None, "lines": [line for line in trace["lines"] if line["line"] != 9]}  # noqa: E731
    assert strip(warm) == strip(cold)


@pytest.mark.xfail(strict=True, reason="torch._dynamo is preloaded for an example that makes an optimizer: imported before it does")
def test_torch_dynamo_is_imported_when_the_first_optimizer_is_made(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    source = "import torch\nimport sys\nprint('torch._dynamo' in sys.modules)\nopt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)\n"
    assert _run(tmp_path, "early.py", source, True, timeout=120)["stdout"] == "False\n"


def test_an_example_choosing_agg_between_its_imports_runs_warm_as_it_runs_cold(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    source = """\
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
print(matplotlib.get_backend(), matplotlib.rcParams["backend_fallback"], plt.get_fignums())
fig, ax = plt.subplots()
ax.plot(np.arange(3))
print(plt.get_fignums())
"""
    cold, warm = (_run(tmp_path, "agg.py", source + SAYS_WARM, w) for w in (False, True))
    assert (cold["stdout"], warm["stdout"]) == ("Agg False []\n[1]\ncold\n", "Agg False []\n[1]\nwarm\n")
    assert [line for line in warm["lines"] if line["line"] < 9] == [line for line in cold["lines"] if line["line"] < 9]


def test_a_free_slot_starts_the_first_example_whose_warm_parent_is_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracekit import warm
    from tracekit.site.build_site import _pick

    ready = {("numpy",)}
    monkeypatch.setattr(warm, "ready", lambda names, pool: names in ready)
    sets = {"a.py": ("torch",), "b.py": ("torch",), "c.py": ("numpy",), "d.md": None, "e.py": ("numpy",)}
    queue = list(reversed(sets))  # the first in order last
    assert [_pick(queue, sets, ()) for _ in range(2)] == ["c.py", "d.md"]  # torch is still being imported
    ready.add(("torch",))
    assert [_pick(queue, sets, ()) for _ in range(3)] == ["a.py", "b.py", "e.py"]  # in order again
    ready.clear()
    queue = ["b.py", "a.py"]
    assert _pick(queue, sets, ()) == "a.py"  # none ready: the first
