"""The child process's side: boot the runtime inside the instrumented script, write its trace.

The child is `python <instrumented>.pyc spec.json`; the module's first statements call `boot()`,
which prepares the process as `python SCRIPT ARGS…` would have it and returns, so the script
runs as the main module itself. Imports only the standard library (and tracekit's own light
modules); torch, numpy and matplotlib are touched only after the script imports them."""

from __future__ import annotations

import atexit
import builtins
import json
import os
import sys
import time
import types

from . import apiname, jsonio
from . import figures as figures_module
from . import runtime as runtime_module
from . import written as written_module
from .protocol import DEVICE_ERROR_SUFFIX, EXIT_UNAVAILABLE, HOOK_PREFIX, error_record, meta_record, trace_record
from .version import __version__

TYPE_CHECKING = False  # `typing` is not imported at run time: this module starts every child
if TYPE_CHECKING:
    from typing import Any

    from .protocol import Status

__all__ = ["boot"]


def _versions() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("torch", "numpy"):
        mod = sys.modules.get(name)
        # Only what the script imported: a script without torch does not depend on its version.
        version = getattr(mod, "__version__", None) if mod is not None else None
        out[name] = str(version) if version is not None else None
    return out


class _AfterImport:
    """A meta-path finder that runs a hook right after a given module is imported.

    Names may be dotted (``matplotlib.pyplot``): a submodule's hook runs once that submodule's
    code has run, before the ``import`` statement that asked for it binds any name."""

    def __init__(self, hooks: dict[str, Any]) -> None:
        self.hooks = hooks

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        hook = self.hooks.get(name)
        if hook is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        del self.hooks[name]
        if not self.hooks and self in sys.meta_path:
            sys.meta_path.remove(self)
        spec.loader = _HookedLoader(loader, hook)  # type: ignore[assignment]
        return spec


class _HookedLoader:
    """Delegates to the real loader, then calls the hook and puts the real loader back."""

    def __init__(self, loader: Any, hook: Any) -> None:
        self._loader = loader
        self._hook = hook

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        self._hook(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _cuda_name(torch: Any, device: str) -> str | None:
    if device.startswith("cuda"):
        try:
            return str(torch.cuda.get_device_name(torch.device(device)))
        except Exception:
            return None
    return None


def _check_device(requested: str) -> tuple[str | None, str | None]:
    """(device to set, error message) for an explicitly requested device other than cpu."""
    import torch

    if requested == "auto":
        return ("cuda" if torch.cuda.is_available() else None), None
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            return None, f"device {requested!r} is not available: torch sees no CUDA device"
        if ":" in requested:
            idx = int(requested.split(":", 1)[1])
            if idx >= torch.cuda.device_count():
                return None, f"device {requested!r} is not available: {torch.cuda.device_count()} CUDA device(s)"
        return requested, None
    if requested == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            return None, "device 'mps' is not available on this machine"
        return "mps", None
    return None, f"unknown device {requested!r} (expected cpu, cuda, cuda:N, mps or auto)"


def _tb_entries(tb: Any, root: str) -> list[dict[str, Any]]:
    import traceback

    out = []
    for fs in traceback.extract_tb(tb, limit=-50):
        path = fs.filename
        try:
            rel = os.path.relpath(path, root)
            path = rel if not rel.startswith("..") else path
        except ValueError:
            pass
        out.append({"path": path, "line": fs.lineno, "function": fs.name, "text": fs.line or ""})
    return out


class _Run:
    """State of one child run, written out once whichever way the run ends."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.written = False
        self.pid = os.getpid()
        self.status: Status = "ok"
        self.exit_status = 0
        self.error: dict[str, Any] | None = None
        self.device = "cpu"
        self.device_name: str | None = None
        self.recorder: Any = None
        self.fault_file: Any = None
        # Paths under this folder are written relative to it: the examples root in a build,
        # else the folder the run started in.
        self.cwd = spec.get("root") or os.getcwd()
        self.watch: Any = None  # tracekit.child.written.Watch when the build asks which files the script wrote
        self.figures: Any = None  # tracekit.child.figures.Figures when figures are recorded
        self.started = time.monotonic()

    def write(self, flush: bool = True) -> None:
        """Write the trace JSON atomically; only the original process, and only once.

        FLUSH=False leaves the script's streams alone (os._exit loses what they buffer).
        """
        if self.written or os.getpid() != self.pid:
            return
        self.written = True
        for stream in (sys.stdout, sys.stderr) if flush else ():
            try:
                stream.flush()
            except Exception:
                pass

        rec = self.recorder
        if self.watch is not None:
            self.watch.write(self.spec["written"])
        figures = self.figures
        if figures is not None and self.status not in ("timeout", "limit"):
            # Figures still open (and changed) at the end; not from the watchdog thread or
            # from inside a print that hit the output limit, where the script is mid-statement.
            try:
                figures.finish()
            except Exception:
                pass
        torch = sys.modules.get("torch")
        if torch is not None and self.device == "cpu":
            try:
                self.device = str(torch.get_default_device())
                self.device_name = _cuda_name(torch, self.device)
            except Exception:
                pass
        versions = _versions()
        if self.status == "ok":
            self._how_it_ended()
        status = self.status
        if rec is not None and rec.out_exceeded and status == "ok":
            status = "limit"
            self.error = error_record(
                "OutputLimit", f"{rec.out_exceeded} exceeded {rec.max_output} bytes", reason="output"
            )
        if rec is not None:
            rec.uncalled_probes()
        if rec is not None and rec.probe_errors and self.error is None and status == "ok":
            # A failed placeholder fails the page: the run itself went well, the page cannot.
            pe = rec.probe_errors[0]
            status = "error"
            self.error = error_record(
                "PlaceholderError", f"{{{pe['placeholder']}}}: {pe['error']}", line=pe["line"], reason="placeholder"
            )
        meta = meta_record(
            tracekit=__version__,
            seed=self.spec.get("seed"),
            hits=self.spec["hits"],
            timeout=self.spec.get("timeout"),
            device=self.device,
            device_name=self.device_name,
            torch=versions["torch"],
            numpy=versions["numpy"],
        )
        data = trace_record(
            meta=meta,
            source={"path": self.spec["display_path"], "sha256": self.spec["sha256"]},
            status=status,
            exit_status=self.exit_status,
            error=self.error,
            stdout=rec.text("stdout") if rec else "",
            stderr=rec.text("stderr") if rec else "",
            lines=rec.lines() if rec else [],
        )
        if rec is not None and rec.probe_errors:
            data["placeholder_errors"] = rec.probe_errors
        if figures is not None:
            data.update(figures.trace_keys())
        # Paths under the folder the run started in are written relative to it, so that a
        # trace (tracebacks, printed paths) does not depend on where the project was checked out.
        text = jsonio.dumps(data)
        root = json.dumps(self.cwd.rstrip(os.sep) + os.sep, ensure_ascii=False)[1:-1]
        if len(root) > 1:
            text = text.replace(root, "")
        jsonio.atomic_write(self.spec["trace"], text.encode("utf-8"))
        _keep_hooks_for_teardown()
        if isinstance(getattr(sys, "last_value", None), KeyboardInterrupt):
            _exit_like_sigint()

    def _how_it_ended(self) -> None:
        """Set status/error from what python left: an uncaught exception, or a SystemExit seen."""
        value = getattr(sys, "last_value", None)
        if value is not None:
            safe_str, type_name = runtime_module.safe_str, runtime_module.type_name

            entries = _tb_entries(getattr(sys, "last_traceback", None), self.cwd)
            script = os.path.realpath(self.spec["script"])
            lines = [e["line"] for e in entries if os.path.realpath(os.path.join(self.cwd, e["path"])) == script]
            self.status = "error"
            self.exit_status = -2 if isinstance(value, KeyboardInterrupt) else 1
            self.error = error_record(
                type_name(type(value)),
                safe_str(value),
                line=lines[-1] if lines else None,
                reason="exception",
                traceback=entries,
            )
            if isinstance(value, MemoryError) and self.spec.get("memory"):
                limit = int(self.spec["memory"])
                self.error.update(
                    reason="memory",
                    message=f"memory limit of {limit // 2**20} MiB reached ({self.error['message'] or 'MemoryError'})",
                )
            return
        rec = self.recorder
        exit_seen = rec.exit_seen if rec is not None else None
        if exit_seen is not None:
            code, line, _exc = exit_seen
            status = code if isinstance(code, int) else (0 if code is None else 1)
            if status:
                self.status = "error"
                self.exit_status = status
                self.error = error_record("SystemExit", _exit_message(code), line=line, reason="exit")


def _keep_hooks_for_teardown() -> None:
    """Copy the hooks into __main__'s globals for the interpreter's teardown.

    Teardown restores builtins to their state at start-up, removing the hooks, while finalizers
    (``__del__``, generators closed late) may still run instrumented code. Names added last to
    the module dict are also the last it clears. Nothing of the script runs after this but them.
    """
    _hooks_into_main()


def _hooks_into_main() -> None:
    """Put the hooks into __main__'s globals, where instrumented code finds them before builtins."""
    main = sys.modules.get("__main__")
    if main is None:
        return
    hooks = {k: v for k, v in builtins.__dict__.items() if k.startswith(HOOK_PREFIX)}
    main.__dict__.update(hooks)


def _trace_os_exit(run: _Run) -> None:
    """Wrap os._exit so that the trace is still written (it skips every exit handler).

    Only the run's own process writes: a forked child (multiprocessing) exits straight away.
    """
    import functools

    real = os._exit

    @functools.wraps(real)
    def _exit(status: int) -> None:
        if os.getpid() == run.pid and not run.written:
            try:
                line = run.recorder.current_line(sys._getframe(1)) if run.recorder is not None else None
                run.exit_status = status if type(status) is int else 1
                if status != 0:
                    run.status = "error"
                    run.error = error_record("OsExit", f"os._exit({status!r})", line=line, reason="exit")
                run.write(flush=False)
            except BaseException:
                pass
        real(status)

    os._exit = _exit  # type: ignore[assignment]


def _exit_like_sigint() -> None:
    """End as python ends after an unhandled KeyboardInterrupt: killed by SIGINT.

    Python does this itself after teardown, but only if nothing ran Python code at exit in the
    meantime, and this trace writer just did. It runs last of the atexit callbacks.
    """
    import signal

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


def _exit_message(code: Any) -> str:
    try:
        return str(code)
    except Exception:
        return "<unprintable exit code>"


def _watchdog(run: _Run, timeout: float, main_ident: int) -> None:
    time.sleep(timeout)
    frame = sys._current_frames().get(main_ident)
    line = run.recorder.current_line(frame) if run.recorder is not None and frame is not None else None
    run.status = "timeout"
    run.exit_status = 124
    run.error = error_record("Timeout", f"timed out after {timeout:g} s", line=line, reason="timeout")
    try:
        _stderr().write(
            f"tracekit: {run.spec['display_path']}: timed out after {timeout:g} s"
            + (f" at line {line}" if line else "")
            + "\n"
        )
        run.write()
    finally:
        os._exit(124)


def _stderr() -> Any:
    """The process's own stderr (the script may have replaced sys.stderr)."""
    return sys.__stderr__ or sys.stderr


def boot() -> None:
    """Prepare the process, then return into the instrumented module, which runs the script.

    The child is `python <cached instrumented .pyc> <spec.json>`; the module's first statements
    put tracekit on sys.path and call this. Since the script's code *is* the main module, no
    frame of tracekit's sits under it: recursion depth, tracebacks and exit handling are python's.
    """
    import marshal

    spec_path = sys.argv[1]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    script = spec["script"]
    run = _Run(spec)

    seed = spec.get("seed")
    device = spec.get("device")
    if device not in (None, "cpu"):
        dev, err = _check_device(device)
        if err:
            # The parent says it (once) when it raises DeviceUnavailable.
            with open(spec["trace"] + DEVICE_ERROR_SUFFIX, "w", encoding="utf-8") as f:
                f.write(err)
            os._exit(EXIT_UNAVAILABLE)
        if dev is not None:
            import torch

            torch.set_default_device(dev)
            run.device = dev
            run.device_name = _cuda_name(torch, dev)

    hooks: dict[str, Any] = {}
    if seed is not None:

        def seed_random(random: Any) -> None:
            random.seed(seed)

        def seed_numpy(np: Any) -> None:
            np.random.seed(seed)

        def seed_torch(torch: Any) -> None:
            torch.manual_seed(seed)

        # Seeded right after the script imports them, so that nothing is imported on its behalf.
        hooks = {"random": seed_random, "numpy": seed_numpy, "torch": seed_torch}
        for name, hook in list(hooks.items()):
            if name in sys.modules:
                hook(sys.modules[name])
                del hooks[name]
    # One finder for every import hook (seeding here, matplotlib below); the script imports
    # nothing before it is in place.
    finder = _AfterImport(hooks)
    sys.meta_path.insert(0, finder)

    Recorder = runtime_module.Recorder
    with open(spec["tables"], "rb") as tables:
        stmts, exprs, compile_warnings, rebinds_builtins, loops = marshal.load(tables)
    probes = {int(k): v for k, v in spec.get("probes", {}).items()}
    rec = Recorder(
        stmts,
        exprs,
        script,
        spec["hits"],
        probes,
        spec["max_output"],
        spec.get("image_lines", ()),
        spec.get("graph_lines", ()),
        loops,
        bool(spec["last_hit"]),
    )
    run.recorder = rec
    if spec.get("root"):
        rec.names = apiname.Namer(spec["root"])
    _install_figures(run, spec, finder.hooks)
    for name in [n for n in finder.hooks if n in sys.modules]:
        # Imported already (by a warm parent, tracekit.warm): as right after the script's import.
        finder.hooks.pop(name)(sys.modules[name])
    if not finder.hooks:
        sys.meta_path.remove(finder)
    if spec.get("cells"):
        figures_module.gate_cells(rec, spec["cells"], lambda: run.figures)
    if spec.get("stop_on_limit"):
        rec.on_limit = lambda: _stop_for_output(run)
    if spec.get("memory"):
        import resource

        limit = int(spec["memory"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    sys.argv[:] = [spec["argv0"]] + list(spec["args"])
    # python puts the script's folder first; the bootstrap added tracekit's own folder before it.
    pkg = spec["pkg_parent"]
    if sys.path and sys.path[0] == pkg:
        del sys.path[0]
    # Under -P / PYTHONSAFEPATH python adds no script folder (and so none for the .pyc either).
    if sys.path and not getattr(sys.flags, "safe_path", False):
        sys.path[0] = os.path.dirname(os.path.realpath(script))
    _as_script(sys.modules["__main__"], script)
    atexit.register(run.write)
    _trace_os_exit(run)
    if spec.get("timeout"):
        import _thread

        _thread.start_new_thread(_watchdog, (run, float(spec["timeout"]), _thread.get_ident()))
    if spec.get("fault_fd") is not None:
        import faulthandler

        # A crash (segfault, abort) dumps the stack into the supervisor's pipe, so the parent
        # can name the line. The script's subprocesses do not get it, as they would not a file.
        os.set_inheritable(spec["fault_fd"], False)
        faulthandler.enable(file=spec["fault_fd"], all_threads=False)
    elif spec.get("fault_log"):
        import faulthandler

        run.fault_file = open(spec["fault_log"], "w")
        faulthandler.enable(file=run.fault_file, all_threads=False)
    if spec.get("stdout_fd") is not None:
        from . import streams as streams_module

        # sys.stdout writes to a pipe of its own, so the supervisor tells what went around it.
        os.set_inheritable(spec["stdout_fd"], False)
        sys.stdout = streams_module.SplitStdout(sys.stdout, spec["stdout_fd"])
    if spec.get("written") and spec.get("root"):
        # Last before the script runs: tracekit's own files are not the script's.
        run.watch = written_module.Watch(spec["root"], os.path.dirname(script), os.path.dirname(spec["trace"]))
        run.watch.install()
    rec.install()
    if rebinds_builtins:
        # Functions take their builtins from __builtins__ as it is when they are defined; a script
        # that replaces it would leave them without the hooks, so these scripts get them as globals.
        _hooks_into_main()
    if compile_warnings:
        _warn_like_compile(script, compile_warnings)
    # tracekit's modules leave sys.modules (their functions keep what they need), so the
    # script sees the same modules as under python and teardown does not clear them early.
    for name in [m for m in sys.modules if m == "tracekit" or m.startswith("tracekit.")]:
        del sys.modules[name]


def _as_script(mod: types.ModuleType, path: str) -> None:
    """Give the running __main__ module the attributes python gives a script's module."""
    from importlib.machinery import SourceFileLoader

    mod.__file__ = path
    mod.__cached__ = None  # type: ignore[attr-defined]
    mod.__loader__ = SourceFileLoader("__main__", path)
    mod.__spec__ = None
    mod.__package__ = None


def _install_figures(run: _Run, spec: dict[str, Any], hooks: dict[str, Any]) -> None:
    """matplotlib gets a non-interactive backend; with a figures folder in the spec, figures and
    image values are recorded by tracekit.child.figures (standard library only until the script
    imports matplotlib or records a value that may be an image)."""
    hooks["matplotlib"] = choose_backend
    folder = spec.get("figures_dir")
    if not folder:
        return

    def figures() -> Any:
        if run.figures is None:
            run.figures = figures_module.Figures(
                run.recorder,
                folder,
                dpi=spec.get("figure_dpi") or figures_module.DEFAULT_DPI,
                max_figures=spec.get("max_figures", figures_module.DEFAULT_MAX_FIGURES),
                max_size=spec.get("figure_max_size") or figures_module.DEFAULT_MAX_SIZE,
            )
            run.figures.cells = bool(spec.get("cells"))
            runtime_module.IMAGER = run.figures.image
        return run.figures

    def patch(method: str) -> Any:
        def hook(mod: Any) -> None:
            try:  # never break the script's import
                getattr(figures(), method)(mod)
            except Exception:
                pass

        return hook

    hooks["matplotlib.figure"] = patch("patch_figure")
    hooks["matplotlib.pyplot"] = patch("patch_pyplot")
    runtime_module.IMAGER = lambda value, marked: figures().image(value, marked)


def choose_backend(mpl: Any) -> None:
    """Right after ``import matplotlib``: the non-interactive agg backend unless the user chose
    one with MPLBACKEND, so ``plt.show()`` never blocks. (Like MPLBACKEND=Agg, without changing
    the environment the script and its subprocesses see.)"""
    if not os.environ.get("MPLBACKEND"):
        try:
            mpl.use("agg")
        except Exception:
            pass


def _warn_like_compile(path: str, found: list[Any]) -> None:
    """Re-emit the warnings python gives when it compiles the script (cached with the code)."""
    import warnings

    for category_name, message, line in found:
        category = getattr(builtins, category_name, None)
        if isinstance(category, type) and issubclass(category, Warning):
            warnings.warn_explicit(message, category, path, line)


def _stop_for_output(run: _Run) -> None:
    """End a run whose output passed the limit: say so on stderr and in the trace, then exit."""
    rec = run.recorder
    run.status = "limit"
    run.exit_status = 1
    frame = sys._getframe(3)
    run.error = error_record(
        "OutputLimit",
        f"{rec.out_exceeded} passed the output limit of {rec.max_output} bytes",
        line=rec.current_line(frame),
        reason="output",
    )
    try:
        _stderr().write(f"tracekit: {run.spec['display_path']}: output limit of {rec.max_output} bytes reached\n")
        run.write()
    finally:
        os._exit(1)
