"""Live reload for `tracekit serve --watch`: pages reload after the rebuild an edit caused.

Only the server adds the script, to the HTML it sends; built files never contain it. The page
asks ``/__tracekit__/reload`` for the build generation every 0.7 s. When it moves on, the page
remembers its scroll position (sessionStorage), reloads and scrolls back; when the rebuild failed,
the page shows the error over itself instead of reloading, so no stale page passes for current.
"""

from __future__ import annotations

import json
import threading

__all__ = ["ENDPOINT", "LiveState", "inject"]

ENDPOINT = "/__tracekit__/reload"

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
        "background:#fdeeec;color:#8c1d18;border:2px solid #b3261e;border-radius:8px;padding:1rem;font:13px/1.45 monospace;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "The rebuild failed; this page is out of date.\\n\\n" + err;
  }
  function poll() {
    fetch("__ENDPOINT__", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (d) {
      if (gen !== null && d.generation !== gen && !d.error) {
        sessionStorage.setItem(KEY, JSON.stringify([window.scrollX, window.scrollY]));
        location.reload();
        return;
      }
      gen = d.generation;
      show(d.error);
      setTimeout(poll, 700);
    }).catch(function () { setTimeout(poll, 1500); });
  }
  poll();
})();
</script>
"""
).replace("__ENDPOINT__", ENDPOINT)


class LiveState:
    """The build generation and the last rebuild's error, shared by the watcher and the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = 0
        self.error = ""

    def rebuilt(self, error: str = "") -> None:
        with self._lock:
            self.generation += 1
            self.error = error

    def to_json(self) -> bytes:
        with self._lock:
            return json.dumps({"generation": self.generation, "error": self.error}).encode()


def inject(html: bytes) -> bytes:
    """HTML with the reload script before its last ``</body>`` (or at its end)."""
    script = SCRIPT.encode()
    at = html.rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]
