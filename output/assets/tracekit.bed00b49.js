/* tracekit — optional enhancements; every page reads fully without this file.
   Listing ⇄ card selection, j/k between cards, expand/collapse all, stepping through hits,
   the Backward stepper of a graph. */
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
      if (opts.hash && history.replaceState) history.replaceState(null, "", "#" + runPart() + block.id);
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
        if (fold) return { block: fold, line: n };
        // a code line of a reader's cell: its state opens in place
        var cell = target.closest(".card");
        var state = target.closest("details.ls");
        if (state) state.open = true;
        return cell ? { block: cell, line: n } : null;
      }
      return { block: target, line: 0 };
    }

    function selectLine(n, scroll) {
      var hit = blockForLine(n);
      if (!hit) return;
      if (hit.block.tagName === "DETAILS") hit.block.open = true;
      select(hit.block, { line: hit.line, scroll: scroll, hash: false });
      if (history.replaceState) history.replaceState(null, "", "#" + runPart() + (hit.line ? prefix + "f-" + hit.line : hit.block.id));
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
        var b = ev.target.closest('[data-action="expand"], [data-action="collapse"]');
        if (!b) return;
        var open = b.getAttribute("data-action") === "expand";
        all("details", root).forEach(function (d) { if (!d.classList.contains("hit-more")) d.open = open; });
      });
    }

    // the reader's "All state": every statement's state open or closed, remembered
    var allState = root.querySelector('[data-action="state"]');
    if (allState) {
      var KEY = "tracekit.allState";
      var setAll = function (on) {
        allState.setAttribute("aria-pressed", String(on));
        all("details.ls", root).forEach(function (d) { d.open = on; });
      };
      var saved = null;
      try { saved = window.localStorage.getItem(KEY); } catch (e) { saved = null; }
      if (saved === "1") setAll(true);
      allState.addEventListener("click", function () {
        var on = allState.getAttribute("aria-pressed") !== "true";
        setAll(on);
        try { window.localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* storage may be off */ }
      });
    }

    // stepping through hits; numbers grouped by thousands as the page prints them ("65,536")
    function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
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
      // a `#:` card's prose, with the numbers of the hit shown (one <template> per recorded hit);
      // a statement in a reader's cell has no prose of its own
      var card = box.closest(".card-code");
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
        pos.textContent = (box.getAttribute("data-unit") || "hit") + " " + grouped(hit) + " of " + grouped(total);
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
    var m = /^#(?:[^&]*&)*(.*?)(?:L|f-)(\d+)$/.exec(location.hash); // "#lr=0.9&L12": a run's values first
    if (m && m[1] !== prefix) m = null;
    var target = location.hash && location.hash.length > 1 ? doc.getElementById(location.hash.slice(1)) : null;
    if (m) {
      var hit = blockForLine(+m[2]);
      if (hit) {
        if (hit.block.tagName === "DETAILS") hit.block.open = true;
        var inCell = hit.line && hit.block.classList.contains("card");
        select(hit.block, { line: hit.line, scroll: inCell });
      }
    } else if (target && root.contains(target) && (target.classList.contains("card") || target.classList.contains("fold"))) {
      select(target, {});
    }
  }

  // The Backward stepper of a backward call's graph: each press reaches the next node, in the
  // order the run did, and marks it, the gradients it passed on and its line of the text.
  function initBackward(box) {
    var steps = all(".ag-steps > li", box);
    var bar = box.querySelector(".ag-bar");
    if (!bar || !steps.length) return;
    var pos = bar.querySelector(".ag-pos");
    var back = bar.querySelector('[data-step="-1"]');
    var fwd = bar.querySelector('[data-step="1"]');
    var i = 0; // steps shown; 0: none yet
    function show(k) {
      i = Math.max(0, Math.min(steps.length, k));
      all(".is-on, .is-seen", box).forEach(function (el) { el.classList.remove("is-on", "is-seen"); });
      steps.forEach(function (li, j) {
        var id = li.getAttribute("data-node");
        var cls = j === i - 1 ? "is-on" : (j < i - 1 ? "is-seen" : "");
        if (cls) {
          li.classList.add(cls);
          all('[data-node="' + id + '"], [data-from="' + id + '"]', box).forEach(function (el) { el.classList.add(cls); });
        }
        if (j === i - 1) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
      });
      pos.textContent = i ? "Step " + i + " of " + steps.length + ": " + steps[i - 1].textContent : pos.getAttribute("data-start");
      back.setAttribute("aria-disabled", String(i === 0));
      fwd.setAttribute("aria-disabled", String(i === steps.length));
      box.setAttribute("data-step", String(i));
    }
    pos.setAttribute("data-start", pos.textContent);
    bar.addEventListener("click", function (ev) {
      var b = ev.target.closest("[data-step]");
      if (!b || b.getAttribute("aria-disabled") === "true") return;
      show(i + +b.getAttribute("data-step"));
    });
    bar.hidden = false;
    box.classList.add("is-live");
    show(0);
  }

  // The run values in the URL fragment ("lr=0.9&"), kept when a line is selected.
  function runPart() {
    var parts = location.hash.slice(1).split("&");
    parts.pop();
    return parts.filter(function (x) { return x.indexOf("=") > 0; }).map(function (x) { return x + "&"; }).join("");
  }
  // A run's region swapped in (tracekit.js, below): what init does for the page, for it alone.
  window.tracekitInit = function (el) {
    all(".ag-box", el).forEach(initBackward);
    all(".tkl", el).forEach(initListing);
  };

  function init() {
    all(".ag-box").forEach(initBackward);
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
      cards = all(".card"); // a run's region may have been swapped in since
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

/* The recorded runs of a varied example (render/variants.py): the default run's region is on the
   page; each other run's is a <template>. Picking values swaps that run's region in, whole, so
   every value, output, figure and graph is that run's. The choice lives in the URL fragment
   ("#lr=0.9&L12"; in a chapter "#x2-lr=0.9&…"), so a link opens the same run. */
(function () {
  "use strict";
  var doc = document;
  function all(sel, el) { return Array.prototype.slice.call((el || doc).querySelectorAll(sel)); }

  function fragment() {
    var out = {};
    location.hash.slice(1).split("&").forEach(function (x) {
      var i = x.indexOf("=");
      if (i > 0) {
        try { out[decodeURIComponent(x.slice(0, i))] = decodeURIComponent(x.slice(i + 1)); } catch (e) { /* not ours */ }
      }
    });
    return out;
  }

  function initVary(box) {
    var prefix = box.getAttribute("data-prefix") || "";
    var region = doc.querySelector('.tk-vr[data-prefix="' + prefix + '"]');
    if (!region) return;
    var status = box.querySelector(".vary-s");
    var names = [];
    all(".vary-r", box).forEach(function (r) {
      var n = r.getAttribute("data-name");
      if (names.indexOf(n) < 0) names.push(n);
    });
    var shown = box.getAttribute("data-default");
    var kept = {}; // label → the region's nodes, once built (their state survives a switch)
    kept[shown] = Array.prototype.slice.call(region.childNodes);
    var templates = {};
    all('template.tk-v[data-prefix="' + prefix + '"]').forEach(function (t) { templates[t.getAttribute("data-v")] = t; });

    function checked() {
      return names.map(function (n) {
        var r = all(".vary-r", box).filter(function (x) { return x.getAttribute("data-name") === n && x.checked; })[0];
        return n + "=" + (r ? r.value : "");
      }).join("&");
    }
    function describe(label) { return label.split("&").join(", ").replace(/=/g, " = "); }

    function show(label, announce) {
      if (label === shown) return;
      var nodes = kept[label];
      var fresh = false;
      if (!nodes) {
        var t = templates[label];
        if (!t) return;
        nodes = Array.prototype.slice.call(doc.importNode(t.content, true).childNodes);
        kept[label] = nodes;
        fresh = true;
      }
      while (region.firstChild) region.removeChild(region.firstChild);
      nodes.forEach(function (n) { region.appendChild(n); });
      shown = label;
      if (fresh && window.tracekitInit) window.tracekitInit(region);
      if (announce && status) status.textContent = "Showing the run with " + describe(label) + ".";
    }

    function setFragment() {
      if (!history.replaceState) return;
      var own = label2frag(shown);
      var rest = location.hash.slice(1).split("&").filter(function (x) {
        var i = x.indexOf("=");
        return x && !(i > 0 && names.some(function (n) { return x.slice(0, i) === prefix + n; }));
      });
      var parts = shown === box.getAttribute("data-default") ? [] : own;
      var h = parts.concat(rest).join("&");
      history.replaceState(null, "", h ? "#" + h : location.pathname + location.search);
    }
    function label2frag(label) {
      return label.split("&").map(function (kv) {
        var i = kv.indexOf("=");
        return prefix + kv.slice(0, i) + "=" + encodeURIComponent(kv.slice(i + 1));
      });
    }

    box.addEventListener("change", function () {
      show(checked(), true);
      setFragment();
    });

    // arriving with a run in the fragment
    var f = fragment();
    var any = false;
    names.forEach(function (n) {
      var want = f[prefix + n];
      if (want === undefined) return;
      all(".vary-r", box).forEach(function (r) {
        if (r.getAttribute("data-name") === n && r.value === want) { r.checked = true; any = true; }
      });
    });
    if (any) show(checked(), false);
    box.hidden = false;
  }

  function init() { all("fieldset.vary").forEach(initVary); }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();

/* Site search. The build writes search-index.js at the site's root (render/search.py), a script
   that sets window.TRACEKIT_SEARCH, so a site opened from disk can load it; it is loaded on first
   use. The matcher: words are runs of letters, digits and _; every word of the query must begin a
   word of a record; records rank by where the words were found (WEIGHTS) and by exact words.
   Texts from the index are only ever set as textContent. */
(function () {
  "use strict";

  var doc = document;
  var WEIGHTS = [10, 8, 6, 3, 1]; // a page's title, a heading, api.html's entry, prose, a line of code
  var CALLED = 5; // a name the line of code called
  var KINDS = ["page", "heading", "API", "", "line"];
  var SHOWN = 20;
  var WORD = /[\p{L}\p{N}_]+/gu;

  function words(s) { return String(s).toLowerCase().match(WORD) || []; }

  function build(data) {
    var vocab = new Map(); // word → [record * 2 + (1 if the word is in the record's API names)]
    data.records.forEach(function (r, i) {
      var seen = new Set();
      function add(w, api) {
        var key = w + (api ? " api" : "");
        if (seen.has(key)) return;
        seen.add(key);
        if (!vocab.has(w)) vocab.set(w, []);
        vocab.get(w).push(i * 2 + api);
      }
      words(r[3]).forEach(function (w) { add(w, 0); });
      if (r[4]) words(r[4]).forEach(function (w) { add(w, 1); });
    });
    return { data: data, vocab: vocab, sorted: Array.from(vocab.keys()).sort() };
  }

  function firstAtLeast(list, q) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] < q) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // Record numbers matching every word of QUERY, best first.
  function search(ix, query) {
    var qs = words(query);
    if (!qs.length) return [];
    var scores = null;
    qs.forEach(function (q) {
      var got = new Map();
      for (var i = firstAtLeast(ix.sorted, q); i < ix.sorted.length && ix.sorted[i].lastIndexOf(q, 0) === 0; i++) {
        var exact = ix.sorted[i] === q ? 2 : 1;
        ix.vocab.get(ix.sorted[i]).forEach(function (e) {
          var rec = e >> 1;
          var s = ((e & 1) ? CALLED : WEIGHTS[ix.data.records[rec][2]]) * exact;
          if (!(got.get(rec) >= s)) got.set(rec, s);
        });
      }
      if (scores === null) { scores = got; return; }
      var both = new Map();
      scores.forEach(function (s, rec) { if (got.has(rec)) both.set(rec, s + got.get(rec)); });
      scores = both;
    });
    return Array.from(scores.keys()).sort(function (a, b) { return scores.get(b) - scores.get(a) || a - b; });
  }

  function snippet(text, qs) {
    var low = text.toLowerCase(), at = -1;
    qs.forEach(function (q) {
      var i = low.indexOf(q);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    });
    var start = Math.max(0, at - 40);
    return (start > 0 ? "…" : "") + text.slice(start, start + 160) + (start + 160 < text.length ? "…" : "");
  }

  function span(cls, text) {
    var el = doc.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function init() {
    var box = doc.querySelector(".tk-search");
    if (!box) return;
    var input = box.querySelector(".tk-search-q");
    var list = box.querySelector(".tk-results");
    var status = box.querySelector(".tk-search-n");
    var root = box.getAttribute("data-root") || "";
    var ix = null, loading = false, failed = false;
    box.hidden = false;

    function say(text) { if (status.textContent !== text) status.textContent = text; }

    function load() {
      if (ix || loading || failed) return;
      if (window.TRACEKIT_SEARCH) { ix = build(window.TRACEKIT_SEARCH); return; }
      loading = true;
      var s = doc.createElement("script");
      s.src = root + "search-index.js";
      s.onload = function () {
        loading = false;
        if (window.TRACEKIT_SEARCH) { ix = build(window.TRACEKIT_SEARCH); run(); return; }
        failed = true;
        run();
      };
      s.onerror = function () { loading = false; failed = true; run(); };
      doc.head.appendChild(s);
    }

    function run() {
      var q = input.value.trim();
      list.textContent = "";
      list.hidden = true;
      if (!q) { say(""); return; }
      if (failed) { say("Search is not available: its index did not load."); return; }
      if (!ix) { load(); if (!ix) { say("Loading the search index…"); return; } }
      var found = search(ix, q), qs = words(q);
      found.slice(0, SHOWN).forEach(function (n) {
        var r = ix.data.records[n], page = ix.data.pages[r[0]];
        var a = doc.createElement("a");
        a.setAttribute("href", root + page[0] + (r[1] ? "#" + r[1] : ""));
        a.appendChild(span("tk-r-t", page[1]));
        var where = /^L\d+$/.test(r[1]) ? "line " + r[1].slice(1) : KINDS[r[2]];
        // spaces between the parts: what a screen reader says is words, not "arraysline 10"
        if (where && r[2] !== 0) a.append(" ", span("tk-r-k", where));
        if (r[2] !== 0) a.append(" ", span("tk-r-s", snippet(r[3], qs)));
        if (r[4] && r[2] === 4) a.append(" ", span("tk-r-a", "calls " + r[4].split(" ").join(", ")));
        var li = doc.createElement("li");
        li.className = "tk-r tk-r-" + r[2];
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = !found.length;
      say(found.length === 0 ? "No results" : (found.length === 1 ? "1 result" : found.length + " results") + (found.length > SHOWN ? ", the first " + SHOWN + " shown" : ""));
    }

    function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }

    input.addEventListener("focus", load);
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (ev) {
      var ls = links();
      if (ev.key === "ArrowDown" && ls.length) { ls[0].focus(); ev.preventDefault(); }
      else if (ev.key === "Enter" && ls.length) { ls[0].click(); ev.preventDefault(); }
      else if (ev.key === "Escape" && input.value) { input.value = ""; run(); ev.preventDefault(); }
    });
    list.addEventListener("keydown", function (ev) {
      var ls = links(), i = ls.indexOf(doc.activeElement);
      if (ev.key === "ArrowDown") { if (i < ls.length - 1) ls[i + 1].focus(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp") { (i > 0 ? ls[i - 1] : input).focus(); ev.preventDefault(); }
      else if (ev.key === "Escape") { input.focus(); ev.preventDefault(); }
    });
    // "/" anywhere but in a text field goes to the search box
    doc.addEventListener("keydown", function (ev) {
      if (ev.key !== "/" || ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var t = ev.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      ev.preventDefault();
      input.focus();
      input.select();
    });
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
