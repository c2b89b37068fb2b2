/* tracekit — optional enhancements; every page reads fully without this file.
   Listing ⇄ card selection, j/k between cards, expand/collapse all, stepping through hits. */
(function () {
  "use strict";

  var doc = document;
  doc.documentElement.classList.add("js");
  var lastSelected = null; // the card or fold selected last, in any listing (for j / k)

  function all(sel, el) { return Array.prototype.slice.call((el || doc).querySelectorAll(sel)); }
  function motion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  }

  // One page may hold several listings (a chapter): each lives in a .tkl element whose ids start
  // with its data-prefix, and everything below works within one of them.
  function initListing(root) {
    var prefix = root.getAttribute("data-prefix") || "";
    function byId(id) { return doc.getElementById(prefix + id); }
    var cards = all(".card", root);
    var pane = root.querySelector(".listing-pane");
    var scroller = pane && pane.querySelector(".listing-s");
    var current = null;

    function paneIsSide() {
      return !!pane && getComputedStyle(pane).position === "sticky";
    }

    function clear() {
      all(".is-active", root).forEach(function (el) { el.classList.remove("is-active"); });
    }

    function rowsOf(first, last) {
      var out = [];
      for (var n = first; n <= last; n++) {
        var r = byId("L" + n);
        if (r) out.push(r);
      }
      return out;
    }

    function revealRow(row) {
      if (!row || !scroller || !paneIsSide()) return;
      var top = row.offsetTop, h = row.offsetHeight;
      var view = scroller.scrollTop, vh = scroller.clientHeight;
      if (top < view + 8 || top + h > view + vh - 8) {
        scroller.scrollTo({ top: Math.max(0, top - vh / 3), behavior: motion() });
      }
    }

    function scrollToBlock(el) {
      el.scrollIntoView({ block: "start", behavior: motion() });
    }

    function select(block, opts) {
      opts = opts || {};
      clear();
      current = block;
      lastSelected = block;
      block.classList.add("is-active");
      var first = +block.getAttribute("data-first"), last = +block.getAttribute("data-last");
      var lines = opts.line ? [opts.line, opts.line] : [first, last];
      var rows = rowsOf(lines[0], lines[1]);
      rows.forEach(function (r) { r.classList.add("is-active"); });
      if (opts.line) {
        var fl = byId("f-" + opts.line);
        if (fl) fl.classList.add("is-active");
      }
      revealRow(rows[0]);
      if (opts.scroll) scrollToBlock(opts.line && byId("f-" + opts.line) ? byId("f-" + opts.line) : block);
      if (opts.hash && history.replaceState) history.replaceState(null, "", "#" + block.id);
    }

    function blockForLine(n) {
      var row = byId("L" + n);
      if (!row) return null;
      var href = row.getAttribute("data-href") || "";
      var id = href.charAt(0) === "#" ? href.slice(1) : href;
      var target = id ? doc.getElementById(id) : null;
      if (!target) return null;
      if (target.classList.contains("fl")) {
        var fold = target.closest(".fold");
        return fold ? { block: fold, line: n } : null;
      }
      return { block: target, line: 0 };
    }

    function selectLine(n, scroll) {
      var hit = blockForLine(n);
      if (!hit) return;
      if (hit.block.tagName === "DETAILS") hit.block.open = true;
      select(hit.block, { line: hit.line, scroll: scroll, hash: false });
      if (history.replaceState) history.replaceState(null, "", "#" + (hit.line ? prefix + "f-" + hit.line : hit.block.id));
    }

    // The side listing follows the reader: the rows of the first card or fold in view are marked
    // and scrolled into the listing's view, so the listing column is never an empty band.
    if (pane && "IntersectionObserver" in window) {
      var blocks = all(".card, .fold", root);
      var inView = blocks.map(function () { return false; });
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) { inView[blocks.indexOf(e.target)] = e.isIntersecting; });
        if (!paneIsSide()) return;
        var top = blocks[inView.indexOf(true)];
        if (!top) return;
        all(".row.is-inview", root).forEach(function (r) { r.classList.remove("is-inview"); });
        var rows = rowsOf(+top.getAttribute("data-first"), +top.getAttribute("data-last"));
        rows.forEach(function (r) { r.classList.add("is-inview"); });
        revealRow(rows[0]);
      }, { rootMargin: "-10% 0px -55% 0px" });
      blocks.forEach(function (b) { observer.observe(b); });
    }

    // listing → card
    if (pane) {
      pane.addEventListener("click", function (ev) {
        var row = ev.target.closest(".row");
        if (!row) return;
        if (String(window.getSelection && window.getSelection()) && !ev.target.closest(".ln")) return;
        ev.preventDefault();
        selectLine(+row.id.slice(prefix.length + 1), true);
      });
    }

    // card → listing
    root.addEventListener("click", function (ev) {
      var block = ev.target.closest(".card, .fold");
      if (!block) return;
      var num = ev.target.closest("a.num");
      if (num) {
        select(block, { hash: true });
        if (paneIsSide()) ev.preventDefault();
        return;
      }
      if (ev.target.closest("a, button, summary, input, .fold-body")) {
        if (ev.target.closest("summary") && block.classList.contains("fold")) select(block, {});
        return;
      }
      if (String(window.getSelection && window.getSelection())) return;
      select(block, { hash: true });
    });

    // expand / collapse all
    var bar = root.querySelector(".toolbar");
    if (bar) {
      bar.hidden = false;
      bar.addEventListener("click", function (ev) {
        var b = ev.target.closest("[data-action]");
        if (!b) return;
        var open = b.getAttribute("data-action") === "expand";
        all("details", root).forEach(function (d) { if (!d.classList.contains("hit-more")) d.open = open; });
      });
    }

    // stepping through hits
    all(".hits", root).forEach(function (box) {
      var panels = all(".hit", box);
      var stepper = box.querySelector(".stepper");
      if (!stepper || panels.length < 1) return;
      var total = +box.getAttribute("data-hits") || panels.length;
      var more = box.querySelector(".hit-more");
      if (more) more.open = true;
      var pos = stepper.querySelector(".step-pos");
      var prev = stepper.querySelector('[data-step="-1"]');
      var next = stepper.querySelector('[data-step="1"]');
      var i = 0;
      // the card's prose, with the numbers of the hit shown (one <template> per recorded hit)
      var card = box.closest(".card");
      var prose = card ? card.querySelector(".prose") : null;
      function showProse(hitIndex) {
        if (!prose) return;
        var tpl = card.querySelector('template.hit-prose[data-hit="' + hitIndex + '"]');
        if (tpl) prose.innerHTML = tpl.innerHTML;
      }
      function show(k) {
        i = Math.max(0, Math.min(panels.length - 1, k));
        panels.forEach(function (p, j) { p.hidden = j !== i; });
        showProse(panels[i].getAttribute("data-hit"));
        var hit = +panels[i].getAttribute("data-hit") + 1;
        pos.textContent = (box.getAttribute("data-unit") || "hit") + " " + hit + " of " + total;
        prev.disabled = i === 0;
        next.disabled = i === panels.length - 1;
        box.setAttribute("data-current", String(hit));
      }
      prev.addEventListener("click", function () { show(i - 1); });
      next.addEventListener("click", function () { show(i + 1); });
      stepper.hidden = panels.length < 2;
      show(0);
    });

    root.tkSelect = select;

    // arriving with a fragment
    var m = /^#(.*?)(?:L|f-)(\d+)$/.exec(location.hash);
    if (m && m[1] !== prefix) m = null;
    var target = location.hash && location.hash.length > 1 ? doc.getElementById(location.hash.slice(1)) : null;
    if (m) {
      var hit = blockForLine(+m[2]);
      if (hit) {
        if (hit.block.tagName === "DETAILS") hit.block.open = true;
        select(hit.block, { line: hit.line });
      }
    } else if (target && root.contains(target) && (target.classList.contains("card") || target.classList.contains("fold"))) {
      select(target, {});
    }
  }

  function init() {
    all(".tkl").forEach(initListing);
    var cards = all(".card");
    // j / k between cards, across every listing on the page
    function indexNearTop() {
      for (var i = 0; i < cards.length; i++) {
        if (cards[i].getBoundingClientRect().bottom > 24) return i;
      }
      return cards.length - 1;
    }
    doc.addEventListener("keydown", function (ev) {
      if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var t = ev.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (ev.key !== "j" && ev.key !== "k") return;
      if (!cards.length) return;
      var i = lastSelected ? cards.indexOf(lastSelected) : -1;
      if (i < 0) i = indexNearTop() - (ev.key === "j" ? 1 : 0);
      i = ev.key === "j" ? Math.min(cards.length - 1, i + 1) : Math.max(0, i - 1);
      var root = cards[i].closest(".tkl");
      if (root && root.tkSelect) root.tkSelect(cards[i], { scroll: true, hash: true });
      ev.preventDefault();
    });
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
