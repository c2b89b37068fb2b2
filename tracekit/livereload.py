"""Live reload for `tracekit serve --watch`: pages reload after the rebuild an edit caused.

Only the server adds the script, to the HTML it sends; built files never contain it. The page
opens one Server-Sent Events stream on ``/__tracekit__/reload``: the server sends the build
generation when the stream opens and again as soon as a rebuild is written, and a comment line
every few seconds while nothing happens. When the generation moves on, the page remembers its
scroll position (sessionStorage), reloads and scrolls back; when the rebuild failed, the page
shows the error over itself instead of reloading, so no stale page passes for current. A plain
GET of the endpoint (no ``Accept: text/event-stream``) answers the same state as JSON once.
"""

from __future__ import annotations

import json
import threading

__all__ = ["ENDPOINT", "HEARTBEAT_SECONDS", "LiveState", "inject"]

ENDPOINT = "/__tracekit__/reload"
HEARTBEAT_SECONDS = 10.0  # a comment line this often: a client gone away is noticed, proxies keep the stream
RETRY_MS = 1000  # how soon the browser opens the stream again after the server went away

SCRIPT = (
    """<script>/* tracekit serve: live reload (added by the server, not in the built file) */
(function () {
  var KEY = "tracekit-scroll:" + location.pathname, gen = null;
  try {
    var at = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (at) {
      sessionStorage.removeItem(KEY);
      var back = function () { window.scrollTo(at[0], at[1]); };
      if (document.readyState === "complete") back(); else window.addEventListener("load", back);
    }
  } catch (e) {}
  function show(err) {
    var box = document.getElementById("tk-live-error");
    if (!err) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "tk-live-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:99;max-height:50vh;overflow:auto;" +
        "background:#fdeeec;color:#8c1d18;border:2px solid #b3261e;border-radius:8px;padding:1rem;" +
        "font:13px/1.45 monospace;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "The rebuild failed; this page is out of date.\\n\\n" + err;
  }
  if (!window.EventSource) return;
  var stream = new EventSource("__ENDPOINT__");
  stream.addEventListener("build", function (ev) {
    var d = JSON.parse(ev.data);
    if (gen !== null && d.generation !== gen && !d.error) {
      stream.close();
      sessionStorage.setItem(KEY, JSON.stringify([window.scrollX, window.scrollY]));
      location.reload();
      return;
    }
    gen = d.generation;
    show(d.error);
  });
})();
</script>
"""
).replace("__ENDPOINT__", ENDPOINT)


class LiveState:
    """The build generation and the last rebuild's error, shared by the watcher and the server."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.generation = 0
        self.error = ""
        self.closed = False

    def rebuilt(self, error: str = "") -> None:
        """A rebuild was written (ERROR: why it failed): every open stream is told now."""
        with self._changed:
            self.generation += 1
            self.error = error
            self._changed.notify_all()

    def close(self) -> None:
        """The server stops: every open stream ends."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait(self, seen: int | None, timeout: float) -> tuple[int, bytes] | None:
        """The generation and its Server-Sent Event (named ``build``) once the generation differs
        from SEEN (at once when SEEN is None); None after TIMEOUT seconds without one, or once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self.generation != seen, timeout)
            if self.closed or self.generation == seen:
                return None
            return self.generation, b"event: build\ndata: " + self._json() + b"\n\n"

    def to_json(self) -> bytes:
        with self._changed:
            return self._json()

    def _json(self) -> bytes:
        return json.dumps({"generation": self.generation, "error": self.error}).encode()


def inject(html: bytes) -> bytes:
    """HTML with the reload script before its last ``</body>`` (or at its end)."""
    script = SCRIPT.encode()
    at = html.rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]
