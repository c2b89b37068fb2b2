"""Figures and images for the trace (child side).

matplotlib figures are captured as PNG files on the script line that completes them:

- ``plt.show()`` / ``fig.show()``: every open figure (or that figure) changed since its last
  capture, on the line that called it;
- ``fig.savefig(...)`` / ``plt.savefig(...)``: that figure, on the line that called it, after the
  real savefig;
- closing a figure (``plt.close``) or the end of the script: a figure changed since its last
  capture, on the last script line that drew on it (no later line touched it);
- the end of a cell (in a script read as cells: gallery, percent or comment sections), when
  the next cell's first statement starts: every open figure changed since its last capture.

In a script with cells, a figure captured at the end of a cell, on closing or at the end of the
script is shown on the last line *of the module's own code* that drew on it, so that a figure
drawn by a function defined in an earlier cell stays in the cell that called it.

A figure "changes" when it becomes stale (matplotlib marks a figure stale whenever anything on it
changes); the line running at that moment is remembered as the last line that drew on it.

Image values (a ``PIL.Image.Image``, or a tensor or array on a line marked ``# tracekit: image``)
become small PNGs too. Every file is named by the sha256 of its bytes and written to the figures
folder the parent gave. This module imports only the standard library; matplotlib is patched only
when the script imports it, and PIL is imported only when an image has to be encoded.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import struct
import sys
import weakref

from .jsonio import atomic_write
from .protocol import DEFAULT_FIGURE_DPI, DEFAULT_FIGURE_MAX_SIZE, DEFAULT_MAX_FIGURES

TYPE_CHECKING = False  # `typing` is not imported at run time: this module starts every child
if TYPE_CHECKING:
    from typing import Any


__all__ = ["Figures", "gate_cells"]

DEFAULT_DPI = DEFAULT_FIGURE_DPI
DEFAULT_MAX_SIZE = DEFAULT_FIGURE_MAX_SIZE
MAX_IMAGES = 100  # distinct image-value files per run; later image values carry no image
IMAGE_BOX = 256  # image values are scaled down to fit IMAGE_BOX x IMAGE_BOX …
IMAGE_MIN = 64  # … and tiny ones scaled up (nearest neighbour) to at least IMAGE_MIN on their long side
MAX_IMAGE_PIXELS = 4096 * 4096  # larger arrays are not turned into images
MAX_ALT = 300


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


class _State:
    """What is known of one figure: the last script line that drew on it, and whether it changed."""

    __slots__ = ("line", "stmt", "record", "top", "dirty", "last")

    def __init__(self) -> None:
        self.line: int | None = None
        self.stmt: int | None = None
        self.record: dict[str, Any] | None = None
        self.top: tuple[Any, ...] | None = (
            None  # (line, statement, record) in the module's own code (scripts with cells)
        )
        self.dirty = True
        self.last: str | None = None  # file of its last capture


class _Quiet:
    """Silence warnings and logging while tracekit itself renders (plain python would not have).

    ``warnings.showwarning`` is swapped rather than using ``catch_warnings``, which would reset
    every module's warning registry and make already-shown warnings of the script appear again.
    """

    def __enter__(self) -> None:
        import warnings

        self._warnings = warnings
        self._show = warnings.showwarning
        warnings.showwarning = _no_warning
        logging = sys.modules.get("logging")
        self._logging = logging
        if logging is not None:
            self._disabled = logging.root.manager.disable
            logging.disable(logging.CRITICAL)

    def __exit__(self, *exc: Any) -> None:
        self._warnings.showwarning = self._show
        if self._logging is not None:
            self._logging.disable(self._disabled)


def _no_warning(*args: Any, **kwargs: Any) -> None:
    return None


class Figures:
    """Captures figures and image values of one run; its ``trace_keys()`` go into the trace."""

    def __init__(
        self,
        rec: Any,
        directory: str,
        *,
        dpi: float = DEFAULT_DPI,
        max_figures: int = DEFAULT_MAX_FIGURES,
        max_size: Any = DEFAULT_MAX_SIZE,
    ) -> None:
        self.rec = rec
        self.dir = directory
        self.dpi = float(dpi)
        self.max_figures = int(max_figures)
        self.max_w, self.max_h = (int(max_size[0]), int(max_size[1]))
        self.entries: list[dict[str, Any]] = []  # the trace's top-level "figures"
        self.skipped = 0  # captures refused by the count limit
        self.state: Any = weakref.WeakKeyDictionary()  # Figure -> _State
        self.busy = False  # True while tracekit itself renders a figure
        self.drawing = 0  # depth of Figure.draw calls: drawing (layout included) changes nothing
        self.written: set[str] = set()
        self.image_cache: dict[tuple[Any, ...], dict[str, Any] | None] = {}
        self.images = 0
        self._savefig: Any = None  # the real Figure.savefig
        self._gcf: Any = None  # matplotlib._pylab_helpers.Gcf, once pyplot is imported
        self.cells = False  # the script is read as cells: captures not on a show/savefig line go to the module's line

    # import hooks: run right after the script imports matplotlib.figure / matplotlib.pyplot ---
    def patch_figure(self, mod: Any) -> None:
        """Track changes to every Figure; capture on savefig and Figure.show."""
        Figure = mod.Figure
        figs = self
        base = Figure.stale  # Artist.stale: a property
        fget, fset = base.fget, base.fset
        getframe = sys._getframe

        def set_stale(fig: Any, val: Any) -> None:
            fset(fig, val)
            if val and not figs.busy and not figs.drawing:
                try:
                    figs._touched(fig, getframe(1))
                except Exception:
                    pass

        Figure.stale = property(fget, set_stale, None, base.__doc__)
        draw = Figure.draw

        @functools.wraps(draw)
        def wrapped_draw(fig: Any, *args: Any, **kwargs: Any) -> Any:
            figs.drawing += 1
            try:
                return draw(fig, *args, **kwargs)
            finally:
                figs.drawing -= 1

        Figure.draw = wrapped_draw
        savefig = Figure.savefig
        self._savefig = savefig

        @functools.wraps(savefig)
        def wrapped_savefig(fig: Any, *args: Any, **kwargs: Any) -> Any:
            result = savefig(fig, *args, **kwargs)
            figs._capture_here(fig, getframe(1))
            return result

        Figure.savefig = wrapped_savefig
        show = Figure.show

        @functools.wraps(show)
        def wrapped_show(fig: Any, *args: Any, **kwargs: Any) -> Any:
            figs._capture_here(fig, getframe(1))
            return show(fig, *args, **kwargs)

        Figure.show = wrapped_show

    def patch_pyplot(self, plt: Any) -> None:
        """Capture on plt.show and when a figure is closed; at exit, before pyplot closes them."""
        import atexit

        figs = self
        getframe = sys._getframe
        helpers = sys.modules.get("matplotlib._pylab_helpers")
        Gcf = getattr(helpers, "Gcf", None)
        self._gcf = Gcf
        show = plt.show

        @functools.wraps(show)
        def wrapped_show(*args: Any, **kwargs: Any) -> Any:
            frame = getframe(1)
            for fig in figs._open_figures():
                figs._capture_here(fig, frame)
            return show(*args, **kwargs)

        plt.show = wrapped_show
        if Gcf is not None:
            destroy = Gcf.__dict__.get("destroy")
            destroy_all = Gcf.__dict__.get("destroy_all")
            if isinstance(destroy, classmethod):
                real_destroy = destroy.__func__

                @functools.wraps(real_destroy)
                def wrapped_destroy(cls: Any, num: Any) -> Any:
                    try:
                        manager = num if (hasattr(num, "num") and hasattr(num, "destroy")) else cls.figs.get(num)
                        if manager is not None:
                            figs._capture_last(manager.canvas.figure)
                    except Exception:
                        pass
                    return real_destroy(cls, num)

                Gcf.destroy = classmethod(wrapped_destroy)
            if isinstance(destroy_all, classmethod):
                real_destroy_all = destroy_all.__func__

                @functools.wraps(real_destroy_all)
                def wrapped_destroy_all(cls: Any) -> Any:
                    figs.finish()
                    return real_destroy_all(cls)

                Gcf.destroy_all = classmethod(wrapped_destroy_all)
        # Registered after pyplot's own atexit(Gcf.destroy_all), so it runs before the figures
        # are closed (atexit runs last-registered first).
        atexit.register(self.finish)

    # tracking -----------------------------------------------------------------------------
    def _touched(self, fig: Any, frame: Any) -> None:
        st = self.state.get(fig)
        if st is None:
            st = self.state[fig] = _State()
        line, s, record = self.rec.locate(frame)
        if line is not None:  # a change from outside the script keeps the last script line
            st.line, st.stmt, st.record = line, s, record
            if self.cells:
                st.top = self.rec.locate(_module_frame(frame, self.rec.filename))
        st.dirty = True

    def _open_figures(self) -> list[Any]:
        Gcf = self._gcf
        if Gcf is None:
            return []
        try:
            managers = sorted(Gcf.get_all_fig_managers(), key=lambda m: m.num if isinstance(m.num, int) else 0)
            return [m.canvas.figure for m in managers]
        except Exception:
            return []

    def _capture_here(self, fig: Any, frame: Any) -> None:
        """Capture FIG, if it changed since its last capture, on the line FRAME is running."""
        try:
            st = self.state.get(fig)
            if st is not None and not st.dirty:
                return
            line, s, record = self.rec.locate(frame)
            self._capture(fig, line, s, record)
        except Exception:
            pass

    def _capture_last(self, fig: Any) -> None:
        """Capture FIG, if it changed since its last capture, on the last line that drew on it."""
        try:
            st = self.state.get(fig)
            if st is None or not st.dirty or _blank(fig):
                return  # never drawn on (a bare `plt.figure()`): nothing to show
            if self.cells and st.top is not None:
                self._capture(fig, *st.top)
            else:
                self._capture(fig, st.line, st.stmt, st.record)
        except Exception:
            pass

    def cell_end(self) -> None:
        """A cell ended: capture every open figure changed in it, in it."""
        for fig in self._open_figures():
            self._capture_last(fig)

    def finish(self) -> None:
        """End of the script: capture every open figure changed since its last capture."""
        for fig in self._open_figures():
            self._capture_last(fig)

    # capturing ----------------------------------------------------------------------------
    def _capture(self, fig: Any, line: int | None, s: int | None, record: dict[str, Any] | None) -> None:
        st = self.state.get(fig)
        if st is None:
            st = self.state[fig] = _State()
        st.dirty = False
        if len(self.entries) >= self.max_figures:
            self.skipped += 1
            return
        try:
            data = self._render(fig)
        finally:
            st.dirty = False  # rendering (layout engines) may mark the figure stale again
        if data is None:
            return
        name = hashlib.sha256(data).hexdigest()[:16] + ".png"
        if name == st.last:
            return  # drawn again, but it looks the same as when last captured
        st.last = name
        self._store(data, name)
        w, h = _png_size(data)
        self.entries.append(
            {
                "file": name,
                "line": line,
                # a hit past the first N shows its figures among the line's later ones (attach_figure)
                "hit": record["hit"] if record is not None and "extra" not in record else None,
                "width": w,
                "height": h,
                "alt": _alt(fig, len(self.entries) + 1),
            }
        )
        self.rec.attach_figure(s, record, name)

    def _render(self, fig: Any) -> bytes | None:
        savefig = self._savefig
        if savefig is None:
            return None
        self.busy = True
        try:
            with _Quiet():
                w_in, h_in = fig.get_size_inches()
                dpi = self.dpi
                if w_in > 0 and h_in > 0 and (w_in * dpi > self.max_w or h_in * dpi > self.max_h):
                    dpi = min(self.max_w / w_in, self.max_h / h_in)
                for _ in range(4):  # rc savefig.bbox="tight" can make the PNG bigger than size × dpi
                    buf = io.BytesIO()
                    savefig(fig, buf, format="png", dpi=dpi, metadata={"Software": None})
                    data = buf.getvalue()
                    w, h = _png_size(data)
                    if w <= self.max_w and h <= self.max_h:
                        return data
                    dpi *= min(self.max_w / w, self.max_h / h) * 0.99
                return None
        except Exception:
            return None
        finally:
            self.busy = False

    def _store(self, data: bytes, name: str | None = None) -> str:
        if name is None:
            name = hashlib.sha256(data).hexdigest()[:16] + ".png"
        if name not in self.written:
            atomic_write(os.path.join(self.dir, name), data)
            self.written.add(name)
        return name

    # image values -------------------------------------------------------------------------
    def image(self, v: Any, marked: bool) -> dict[str, Any] | None:
        """An ``image`` entry for value V: a PIL image, or (MARKED) a tensor/array shaped like one."""
        pil: Any = sys.modules.get("PIL.Image")
        if pil is not None and isinstance(v, pil.Image):
            d = vars(v)
            if ("_im" in d and d["_im"] is None) or ("_im" not in d and d.get("im") is None):
                return None  # not loaded yet (Image.open is lazy): loading it would change the run
            im = v
        elif marked:
            arr = _as_image_array(v)
            if arr is None:
                return None
            try:
                import PIL.Image

                pil = PIL.Image
            except Exception:
                return None
            im = pil.fromarray(arr)
        else:
            return None
        return self._encode(pil, im)

    def _encode(self, pil: Any, im: Any) -> dict[str, Any] | None:
        w, h = im.size
        if w <= 0 or h <= 0 or w * h > MAX_IMAGE_PIXELS:
            return None
        if im.mode not in ("L", "LA", "RGB", "RGBA"):
            if im.mode == "1":
                im = im.convert("L")
            else:
                has_alpha = "A" in im.getbands() or (im.mode == "P" and "transparency" in im.info)
                im = im.convert("RGBA" if has_alpha else "RGB")
        resampling = getattr(pil, "Resampling", pil)
        longest = max(w, h)
        if longest < IMAGE_MIN:
            k = math.ceil(IMAGE_MIN / longest)
            im = im.resize((w * k, h * k), resampling.NEAREST)
        elif w > IMAGE_BOX or h > IMAGE_BOX:
            scale = min(IMAGE_BOX / w, IMAGE_BOX / h)
            im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), resampling.LANCZOS)
        else:
            im = im.copy()
        key = (im.mode, im.size, hashlib.sha256(im.tobytes()).digest())
        if key in self.image_cache:
            return self.image_cache[key]
        if self.images >= MAX_IMAGES:
            return None
        im.info = {}
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        data = buf.getvalue()
        name = self._store(data)
        self.images += 1
        pw, ph = _png_size(data)
        info = {"file": name, "width": pw, "height": ph}
        self.image_cache[key] = info
        return info

    # trace --------------------------------------------------------------------------------
    def trace_keys(self) -> dict[str, Any]:
        """The top-level trace keys: ``figures`` and ``figure_limit``, present only when they say something."""
        out: dict[str, Any] = {}
        if self.entries:
            out["figures"] = list(self.entries)
        if self.skipped:
            out["figure_limit"] = f"{len(self.entries)} figures captured; {self.skipped} more were not"
        return out


def _blank(fig: Any) -> bool:
    """True if FIG holds nothing to see: no axes, subfigure, text, image, line, patch or legend."""
    parts = ("axes", "subfigs", "texts", "images", "lines", "patches", "artists", "legends")
    return not any(getattr(fig, name, None) for name in parts)


def _module_frame(frame: Any, filename: str) -> Any:
    """The outermost frame of the script's own file on FRAME's stack (its module code)."""
    found = None
    while frame is not None:
        if frame.f_code.co_filename == filename:
            found = frame
        frame = frame.f_back
    return found


class _CellGate:
    """Stands in for the hit counter of a cell's first statement: its first ``next()`` ends the
    cell before (END), then it puts the real counter back, so the statement costs as before."""

    __slots__ = ("counters", "index", "real", "end")

    def __init__(self, counters: list[Any], index: int, end: Any) -> None:
        self.counters = counters
        self.index = index
        self.real = counters[index]
        self.end = end

    def __iter__(self) -> _CellGate:
        return self

    def __next__(self) -> int:
        self.counters[self.index] = self.real
        try:
            self.end()
        except Exception:
            pass
        n: int = next(self.real)
        return n

    def __repr__(self) -> str:
        return repr(self.real)


def gate_cells(rec: Any, starts: list[Any], figures: Any) -> None:
    """End a cell when the first module-level statement of the next one starts.

    STARTS: the first line of every cell after the first (its marker or text block). FIGURES()
    gives the run's Figures, or None while the script has not imported matplotlib.
    """
    bounds = sorted({int(n) for n in starts})
    stmts = rec.stmts
    chosen: dict[int, int] = {}  # cell start → its first statement
    for s, st in enumerate(stmts):
        line, kind, fn = st[0], st[2], st[3]
        if fn is not None or kind in ("loopend", "blockend") or rec.count_of[s] != s:
            continue
        for i, start in enumerate(bounds):
            stop = bounds[i + 1] if i + 1 < len(bounds) else None
            if line >= start and (stop is None or line < stop):
                if start not in chosen or line < stmts[chosen[start]][0]:
                    chosen[start] = s
                break

    def end() -> None:
        figs = figures()
        if figs is not None:
            figs.cell_end()

    for s in chosen.values():
        rec.counters[s] = _CellGate(rec.counters, s, end)


def _as_image_array(v: Any) -> Any:
    """V as a uint8 numpy array of shape HxW, HxWx3 or HxWx4, or None when it is not image-like."""
    torch: Any = sys.modules.get("torch")
    np: Any = sys.modules.get("numpy")
    is_tensor = torch is not None and isinstance(v, torch.Tensor)
    if is_tensor:
        if v.numel() > MAX_IMAGE_PIXELS * 4 or v.is_complex() or v.device.type == "meta":
            return None
        t = v.detach().to("cpu")
        if t.dtype in (torch.float16, torch.bfloat16):
            t = t.float()
        arr = t.numpy()  # needs numpy installed; raises (caught) otherwise
        np = sys.modules.get("numpy")
    elif np is not None and isinstance(v, np.ndarray):
        if v.size > MAX_IMAGE_PIXELS * 4:
            return None
        arr = v
    else:
        return None
    while arr.ndim > 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3:
        first, last = arr.shape[0] in (1, 3, 4), arr.shape[-1] in (1, 3, 4)
        chw = (first and (is_tensor or not last)) if (first or last) else None
        if chw is None:
            return None
        if chw:
            arr = arr.transpose(1, 2, 0)
        if arr.shape[-1] == 1:
            arr = arr[..., 0]
    elif arr.ndim != 2:
        return None
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        return None
    kind = arr.dtype.kind
    if kind == "b":
        arr = arr.astype(np.uint8) * 255
    elif kind == "u" and arr.dtype.itemsize == 1:
        pass
    elif kind in "iu":
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    elif kind == "f":
        a = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        arr = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    else:
        return None
    return np.ascontiguousarray(arr)


def _alt(fig: Any, ordinal: int) -> str:
    """Alt text of a figure from its titles and axis labels; "Figure N" when it has none."""
    parts: list[str] = []

    def add(text: Any) -> None:
        if isinstance(text, str):
            text = " ".join(text.split())
            if text and text not in parts:
                parts.append(text)

    for attr in ("_suptitle",):
        t = getattr(fig, attr, None)
        if t is not None:
            add(t.get_text())
    for ax in list(getattr(fig, "axes", ())):
        for loc in ("left", "center", "right"):
            try:
                add(ax.get_title(loc))
            except Exception:
                pass
        try:
            xl, yl = ax.get_xlabel(), ax.get_ylabel()
        except Exception:
            continue
        if isinstance(xl, str) and xl.strip():
            add(f"x: {xl}")
        if isinstance(yl, str) and yl.strip():
            add(f"y: {yl}")
    for attr, axis in (("_supxlabel", "x"), ("_supylabel", "y")):
        t = getattr(fig, attr, None)
        if t is not None and t.get_text().strip():
            add(f"{axis}: {t.get_text()}")
    if not parts:
        num = getattr(fig, "_number", None)
        return f"Figure {num if isinstance(num, int) else ordinal}"
    text = "; ".join(parts)
    return text if len(text) <= MAX_ALT else text[: MAX_ALT - 1] + "…"
