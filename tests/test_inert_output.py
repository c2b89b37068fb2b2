"""Hostile output is inert, bounded text.

Real runs of tiny scripts that print or hold HTML, ``</script>``, control characters, text
direction overrides, bytes that are not UTF-8 and a 10 MB line, rendered with render_page: the
page shows all of it as escaped, visible text, stays small, and its JSON stays valid JSON.
"""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from helpers import ASSETS, ROOT, page_text

from tracekit.render import MAX_TEXT_CHARS, page_json, render_page, write_assets
from tracekit.run import trace_file
from tracekit.source import read_example

OWN_SCRIPT = '<script src="assets/tracekit.4567ef01.js" defer></script>'

CHROMIUM = "/usr/bin/chromium"

HOSTILE_SCRIPT = '''\
"""Hostile </script><script>alert(1)</script> title

An intro with <img src=x onerror=alert(2)> and a \u202eright-to-left override.
"""
import sys


class Evil:
    def __repr__(self):
        return "<img src=x onerror=alert(3)></script><script>alert(4)</script>\u202eevil\\x00\\x1b[31m"


#: Prose with <script>alert(5)</script>, [a link](javascript:alert(6)) and a value: {Evil()!r}.
e = Evil()
#: It prints markup.
print("</script><script>alert(1)</script>")
#: It prints control and text-direction characters.
print("\u202etxt \u2066iso\u2069 \\x00nul \\x07bell \\x7fdel \\x1b[31mred")
#: Bytes that are not UTF-8 go around sys.stdout (and around the recorder).
sys.stdout.buffer.write(b"\\xff\\xfe bad utf8\\n")
sys.stdout.flush()
#: Decoded with surrogateescape, the same bytes are lone surrogates; their repr is plain ASCII.
s = b"\\xff\\xfe bad".decode("utf-8", "surrogateescape")
print(repr(s))
'''


def build(tmp_path: Path, name: str, code: str, **kw) -> tuple[dict, str, str]:
    """Run NAME (written with CODE) as a build would, render it; (trace, page, page JSON)."""
    script = tmp_path / name
    script.write_text(code, encoding="utf-8")
    ex = read_example(script, tmp_path)
    trace = trace_file(script, capture=True, cwd=tmp_path, probes=ex.probes, timeout=60, **kw).trace.to_dict()
    page = render_page(ex, trace, assets=ASSETS, root_rel="", json_name=Path(name).with_suffix(".json").name)
    return trace, page, page_json(ex, trace)


def assert_inert(page: str, page_json_text: str) -> None:
    """Only the page's own script; no markup from the run; no raw control characters; UTF-8; JSON parses."""
    assert re.findall(r"<script\b[^>]*>", page, re.I) == [OWN_SCRIPT.removesuffix("</script>")]
    assert page.count("</script>") == 1
    # The only links: the stylesheet under assets/, and an empty data: icon, which keeps the browser
    # from requesting /favicon.ico (a page requests nothing outside the output folder).
    assert re.findall(r"<link\b[^>]*>", page, re.I) == ['<link rel="icon" href="data:,">', f'<link rel="stylesheet" href="{ASSETS["tracekit.css"]}">']
    assert not re.search(r"<(?:img|iframe|object|embed|style)\b", page, re.I)
    assert not re.search(r"<[^>]*\son\w+\s*=", page, re.I)  # no event handler attribute anywhere
    assert "javascript:" not in page.lower().replace("javascript:alert(6)", "")  # the link text stays text
    assert not re.search(r'href="javascript:', page, re.I)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", page)
    page.encode("utf-8")
    page_json_text.encode("utf-8")
    json.loads(page_json_text)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[dict, str, str]:
    return build(tmp_path_factory.mktemp("hostile"), "hostile.py", HOSTILE_SCRIPT)


def test_markup_in_output_values_prose_and_titles_is_text(hostile):
    trace, page, pj = hostile
    assert trace["status"] == "ok", trace["error"]
    assert_inert(page, pj)
    text = page_text(page)
    assert "<title>Hostile &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; title · hostile.py</title>" in page
    assert "An intro with <img src=x onerror=alert(2)> and a <U+202E>right-to-left override." in text
    assert "output = </script><script>alert(1)</script>" in text
    assert "Prose with <script>alert(5)</script>, [a link](javascript:alert(6)) and a value: " in text
    evil = "<img src=x onerror=alert(3)></script><script>alert(4)</script><U+202E>evil<U+0000><U+001B>[31m"
    assert f"⬆ result: e = {evil}" in text
    assert f"and a value: {evil}. from the run" in text  # the placeholder's value, from the run
    assert 'print("<U+202E>txt <U+2066>iso<U+2069>' in text  # the listing too: no trojan source
    # the JSON keeps what the trace has
    assert json.loads(pj)["stdout"] == trace["stdout"]


def test_control_and_direction_characters_are_shown_as_markers(hostile):
    trace, page, _ = hostile
    assert "\u202etxt \u2066iso\u2069 \x00nul \x07bell \x7fdel \x1b[31mred\n" in trace["stdout"]
    assert "output = <U+202E>txt <U+2066>iso<U+2069> <U+0000>nul <U+0007>bell <U+007F>del <U+001B>[31mred" in page_text(page)


def test_bytes_that_are_not_utf8(hostile, tmp_path):
    trace, page, pj = hostile
    # bytes written to sys.stdout.buffer bypass the recorder: the trace does not have them...
    assert "bad utf8" not in trace["stdout"]
    card = next(a for a in page.split("<article")[1:] if "sys.stdout.buffer.write" in html.unescape(a))
    assert "st-output" not in card and "<U+00FF>" not in page
    # ...and their surrogateescape'd str is shown through its (ASCII) repr
    assert "output = '\\udcff\\udcfe bad'" in page_text(page)
    # A str with lone surrogates printed through a stream that lets them out: the trace keeps
    # the very string (its JSON writes \udcff escapes), the page shows a visible marker.
    trace, page, pj = build(
        tmp_path,
        "lone.py",
        textwrap.dedent("""\
        import sys
        sys.stdout.reconfigure(errors="surrogateescape")
        print("\\udcff lone")
        """),
    )
    assert_inert(page, pj)
    text = page_text(page)
    assert trace["stdout"] == "\udcff lone\n" and "<U+DCFF> lone" in text


def test_a_10_mb_line_is_cut_on_the_page_and_kept_in_the_json(tmp_path):
    trace, page, pj = build(tmp_path, "big.py", "print('x' * 10_000_000)\n")
    out = trace["lines"][0]["records"][0]["output"]
    assert len(out) >= 10_000_000
    assert_inert(page, pj)
    assert len(page.encode("utf-8")) < 2_000_000
    more = len(out.rstrip("\n")) - MAX_TEXT_CHARS
    assert f"{'x' * 100}… ({more:,} more characters)" in page
    assert "x" * (MAX_TEXT_CHARS + 1) not in page
    assert json.loads(pj)["lines"][0]["records"][0]["output"] == out


def test_a_huge_value_and_message_are_bounded(tmp_path):
    trace, page, pj = build(
        tmp_path,
        "huge.py",
        textwrap.dedent("""\
        class Loud:
            def __repr__(self):
                return "<b>" * 3_000_000
        v = Loud()
        raise ValueError("<i>" * 2_000_000)
        """),
    )
    assert trace["status"] == "error"
    assert_inert(page, pj)
    assert len(page.encode("utf-8")) < 2_000_000
    assert "more characters)" in page and "&lt;i&gt;&lt;i&gt;" in page


def test_a_file_name_with_spaces_unicode_and_markup(tmp_path):
    name = "ünï <b>cödé</b> & 'q' #1 \u202eyp.py"
    try:
        trace, page, pj = build(tmp_path, name.replace("/", ""), "x = 1\n#: Prose.\nprint(x)\n")
    except OSError:  # pragma: no cover - a file system that refuses such names
        pytest.skip("file system refuses the name")
    assert_inert(page, pj)
    text = page_text(page)
    # the title (the file name, humanised), then the file bar
    assert "Ünï <b>cödé<b> & 'q' #1 <U+202E>yp ünï <b>cödé<b> & 'q' #1 <U+202E>yp.py" in text
    assert "&lt;b&gt;cödé&lt;b&gt;" in page and "<b>" not in page
    json_href = re.search(r'<a href="([^"]+)">trace JSON</a>', page).group(1)
    assert re.fullmatch(r"[A-Za-z0-9%._\-~()]+\.json", json_href)  # percent-encoded, one path segment
    from urllib.parse import unquote

    assert unquote(json_href) == Path(name.replace("/", "")).with_suffix(".json").name


# ── in a browser ─────────────────────────────────────────────────────────────


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
def test_the_hostile_page_runs_nothing_in_a_browser(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = ROOT / "test-artifacts" / "pages" / "hostile"
    out.mkdir(parents=True, exist_ok=True)
    assets = write_assets(out)
    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE_SCRIPT, encoding="utf-8")
    ex = read_example(script, tmp_path)
    trace = trace_file(script, capture=True, cwd=tmp_path, probes=ex.probes, timeout=60).trace.to_dict()
    big = tmp_path / "big.py"
    big.write_text("print('<b>x</b>\u202e' * 1_000_000)\n", encoding="utf-8")
    big_ex = read_example(big, tmp_path)
    big_trace = trace_file(big, capture=True, cwd=tmp_path, timeout=60).trace.to_dict()
    pages = {"hostile.html": (ex, trace), "big.html": (big_ex, big_trace)}
    for rel, (e, t) in pages.items():
        (out / rel).write_text(render_page(e, t, assets=assets, root_rel="", json_name=rel.replace(".html", ".json")), encoding="utf-8")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            for rel in pages:
                ctx = browser.new_context(viewport={"width": 390, "height": 800})
                page = ctx.new_page()
                dialogs: list[str] = []
                errors: list[str] = []
                page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.goto((out / rel).as_uri())
                page.wait_for_load_state("load")
                page.click("[data-action=expand]")
                page.wait_for_timeout(200)
                assert dialogs == [] and errors == [], (rel, dialogs, errors)
                assert page.evaluate("document.scripts.length") == 1
                assert page.evaluate("document.images.length") == 0
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                if rel == "hostile.html":
                    shown = page.locator("#cards").inner_text()
                    assert "</script><script>alert(1)</script>" in shown and "<U+202E>txt" in shown
                ctx.close()
        finally:
            browser.close()
