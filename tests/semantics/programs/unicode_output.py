"""Unicode on stdout and stderr: accents, CJK, emoji, combining marks, RTL, zero-width."""
import sys

samples = ["café", "naïve", "日本語", "한국어", "emoji 🎉🐍", "e\u0301 combining",
           "עברית", "zero\u200bwidth", "math ∑ ∫ √ ≤", "box ┌─┐"]
for s in samples:
    print(s, len(s), s.encode("utf-8").hex()[:16])
print("stderr: ✓ ümlaut", file=sys.stderr)
print(ascii("日本"), repr("é"), "\N{GREEK SMALL LETTER ALPHA}")
d = {"ключ": "значение"}
print(d)
print(f"{'宽':^6}|", f"{'x':>3}")
