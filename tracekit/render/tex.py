"""TeX to MathML for the commands and environments tracekit renders right, and no others.

Public API::

    tex_mathml(tex, *, display=False) -> str      raises UnsupportedTex
    COMMANDS, ENVIRONMENTS                          the allowlist (frozensets)

latex2mathml converts the formula between environments; the environments themselves (rows
split at ``\\\\``, cells at ``&``) are laid out here as ``<mtable>`` with each cell's alignment,
matrices between stretchy fences. A formula using a command or environment outside the
allowlist raises ``UnsupportedTex`` naming it, so the page shows the TeX instead of a wrong
rendering. The result is not yet safe HTML: ``markup.math_html`` passes it through
``mathml.clean_mathml``, the one way math reaches a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import latex2mathml.converter

__all__ = ["COMMANDS", "ENVIRONMENTS", "GROUPS", "UnsupportedTex", "tex_mathml"]


class UnsupportedTex(ValueError):
    """TeX that tracekit does not render right: the message names what."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: the commands rendered, by kind (a golden test pins each group's MathML)
GROUPS: dict[str, frozenset[str]] = {
    "greek": _words(
        r"\alpha \beta \gamma \delta \epsilon \varepsilon \zeta \eta \theta \vartheta \iota \kappa \lambda \mu \nu "
        r"\xi \pi"
        r" \varpi \rho \varrho \sigma \varsigma \tau \upsilon \phi \varphi \chi \psi \omega"
        r" \Gamma \Delta \Theta \Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi \Omega"
    ),
    "binary": _words(
        r"\pm \mp \times \div \cdot \ast \star \circ \bullet \oplus \ominus \otimes \odot \cup \cap \setminus \wedge "
        r"\vee"
    ),
    "relations": _words(
        r"\leq \le \geq \ge \neq \ne \approx \sim \simeq \cong \equiv \propto \ll \gg \subset \subseteq \supset "
        r"\supseteq"
        r" \in \notin \ni \mid \parallel \perp \prec \succ \preceq \succeq"
    ),
    "arrows": _words(
        r"\to \rightarrow \leftarrow \leftrightarrow \Rightarrow \Leftarrow \Leftrightarrow \longrightarrow "
        r"\longleftarrow"
        r" \Longrightarrow \mapsto \implies \iff \uparrow \downarrow \gets"
    ),
    "symbols": _words(
        r"\infty \partial \nabla \forall \exists \emptyset \varnothing \neg \ell \hbar \Re \Im \prime \angle \top "
        r"\bot \dagger"
    ),
    "dots": _words(r"\ldots \cdots \vdots \ddots \dots"),
    "big operators": _words(
        r"\sum \prod \coprod \int \iint \iiint \oint \bigcup \bigcap \bigoplus \bigotimes \limits \nolimits"
    ),
    "functions": _words(
        r"\sin \cos \tan \sec \csc \cot \arcsin \arccos \arctan \sinh \cosh \tanh \log \ln \lg \exp \lim \limsup "
        r"\liminf"
        r" \max \min \sup \inf \det \dim \ker \deg \gcd \Pr \argmax \argmin \operatorname"
    ),
    "fractions": _words(r"\frac \dfrac \tfrac \cfrac \binom \dbinom \tbinom \sqrt"),
    "accents": _words(
        r"\hat \widehat \bar \overline \underline \tilde \widetilde \vec \dot \ddot \check \breve \acute \grave"
        r" \overbrace \underbrace \overrightarrow \overleftarrow \overset \underset \stackrel"
    ),
    "fonts": _words(r"\mathbf \mathrm \mathit \mathsf \mathtt \mathcal \mathbb \mathfrak \boldsymbol \bm"),
    "text": _words(r"\text \textbf \textit \textrm \textsf \texttt \mbox"),
    "delimiters": _words(
        r"\left \right \middle \big \Big \bigg \Bigg \bigl \bigr \Bigl \Bigr \biggl \biggr \langle \rangle"
        r" \lfloor \rfloor \lceil \rceil \lvert \rvert \lVert \rVert \vert \Vert \| \{ \} \backslash"
    ),
    "spacing": _words(r"\, \; \: \! \quad \qquad \hspace \displaystyle \textstyle"),
    "escapes": _words(r"\& \% \# \_ \$"),
    "color and boxes": _words(r"\color \boxed"),
}

#: every command outside the environments' own (``\begin``, ``\end``, ``\\``)
COMMANDS: frozenset[str] = frozenset().union(*GROUPS.values()) | {"\\ "}

#: the environments laid out here, each as TeX lays it out
ENVIRONMENTS: frozenset[str] = frozenset(
    {"aligned", "align", "align*", "split", "gathered", "gather", "gather*", "equation", "equation*", "cases"}
    | {"matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix"}
)

_ALIGN = {"aligned", "align", "align*", "split"}
_GATHER = {"gathered", "gather", "gather*"}
_FENCES = {
    "pmatrix": ("(", ")"),
    "bmatrix": ("[", "]"),
    "Bmatrix": ("{", "}"),
    "vmatrix": ("|", "|"),
    "Vmatrix": ("‖", "‖"),
}
_FENCES_CASES = {"cases": ("{", "")}

_TOKEN = re.compile(r"\\(?:begin|end)\s*\{([^{}]*)\}|\\[A-Za-z]+\*?|\\.|\\$|[{}&]", re.S)
_HOLE = 0xE100  # private-use characters stand for laid-out environments while latex2mathml runs
_HOLES = re.compile("[\ue100-\ue1ff]")
_MATH_TAG = re.compile(r"^<math[^>]*>|</math>$")

# Where latex2mathml's MathML shows something other than the TeX means, it is corrected here
# (each pinned by the golden tests): a sized delimiter named by a command keeps the command's
# name as its text, operators come out as identifiers (no spacing), `\sim` as a tilde,
# `\mathrm{d}` italic, and `\!` as a named space MathML Core does not know.
_DELIMITERS = {
    "\\{": "{", "\\}": "}", "\\|": "‖", "\\langle": "⟨", "\\rangle": "⟩", "\\lfloor": "⌊", "\\rfloor": "⌋",
    "\\lceil": "⌈", "\\rceil": "⌉", "\\lvert": "|", "\\rvert": "|", "\\vert": "|", "\\lVert": "‖", "\\rVert": "‖",
    "\\Vert": "‖", "\\backslash": "\\",
}  # fmt: skip
_SIZED = re.compile(r"(<mo [^>]*>)(\\[^<]*)</mo>")
_OPERATORS = re.compile(
    r"<mi>(&#x000B1;|&#x02022;|&#x029F5;|&#x027C2;|&#x02AAF;|&#x02AB0;|&#x027F6;|&#x027F5;|&#x027F9;|&#x027FA;|&#x02A01;)</mi>"
)
_UPRIGHT = re.compile(
    r"<mi>(&#x000(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]);)</mi>"
)  # \mathrm{d}: a letter written as a reference
_LEFT_AS_TEX = re.compile(r"<m[io][^>]*>\\[^<]")


def _corrected(mathml: str) -> str:
    """latex2mathml's MathML with what it gets wrong for the allowlist put right."""

    def delimiter(m: re.Match[str]) -> str:
        if m.group(2) not in _DELIMITERS:
            raise UnsupportedTex(f"sized delimiter {m.group(2)[:40]}")
        return f"{m.group(1)}{_DELIMITERS[m.group(2)]}</mo>"

    mathml = _SIZED.sub(delimiter, mathml)
    mathml = _OPERATORS.sub(r"<mo>\1</mo>", mathml)
    mathml = _UPRIGHT.sub(r'<mi mathvariant="normal">\1</mi>', mathml)
    mathml = mathml.replace("<mi>&#x0007E;</mi>", "<mo>&#x0223C;</mo>").replace(
        'width="negativethinmathspace"', 'width="-0.167em"'
    )
    left = _LEFT_AS_TEX.search(mathml)
    if left is not None:  # TeX latex2mathml did not convert: never shown as if it were maths
        raise UnsupportedTex(f"{mathml[left.end() - 2 :].split('<', 1)[0][:40]} is not converted")
    return mathml


def tex_mathml(tex: str, *, display: bool = False) -> str:
    """TEX as one ``<math>`` element (not yet cleaned); UnsupportedTex names what is not rendered."""
    _check(tex)
    return (
        f'<math xmlns="http://www.w3.org/1998/Math/MathML" '
        f'display="{"block" if display else "inline"}">{_convert(tex)}</math>'
    )


def _check(tex: str) -> None:
    """Raise UnsupportedTex for the first command or environment outside the allowlist."""
    if _HOLES.search(tex):
        raise UnsupportedTex("private-use characters U+E100 to U+E1FF")
    for m in _TOKEN.finditer(tex):
        token = m.group(0)
        if m.group(1) is not None:
            if m.group(1) not in ENVIRONMENTS:
                raise UnsupportedTex(f"unknown environment {m.group(1)[:40]}")
        elif token.startswith("\\") and token != "\\\\" and token not in COMMANDS:
            raise UnsupportedTex(f"unknown command {token[:40]}")


def _scan(tex: str) -> Iterator[tuple[int, int, str, int, int]]:
    """Each token (start, end, text, braces, environments): how many of each are open around it."""
    braces = envs = 0
    for m in _TOKEN.finditer(tex):
        token = m.group(0)
        if token == "}":
            braces -= 1
        elif token.startswith("\\end"):
            envs -= 1
        if braces < 0 or envs < 0:
            raise UnsupportedTex("unbalanced braces or \\end")
        yield m.start(), m.end(), token, braces, envs
        if token == "{":
            braces += 1
        elif token.startswith("\\begin"):
            envs += 1
    if braces or envs:
        raise UnsupportedTex("unbalanced braces or \\begin")


_ROW_SPACE = re.compile(
    r"\s*\[\s*[-+]?[\d.]+\s*(?:pt|em|ex|mm|cm|in|mu|bp|pc|sp)\s*\]"
)  # `\\[4pt]`: TeX's extra row space, not shown


def _rows(tex: str) -> list[list[str]]:
    """TEX split into rows at top-level ``\\\\`` and cells at top-level ``&`` (a last empty row dropped)."""
    rows: list[list[str]] = [[]]
    start = 0
    for begin, end, token, braces, envs in _scan(tex):
        if envs or token not in ("&", "\\\\"):
            continue
        if braces:  # latex2mathml would show `&` as a letter and drop the line break
            raise UnsupportedTex(f"{token} inside braces, outside an environment")
        rows[-1].append(tex[start:begin])
        if token == "&":
            start = end
        else:
            rows.append([])
            skip = _ROW_SPACE.match(tex, end)
            start = skip.end() if skip else end
    rows[-1].append(tex[start:])
    if len(rows) > 1 and not "".join(rows[-1]).strip():
        rows.pop()
    return rows


def _environments(tex: str) -> tuple[str, list[tuple[str, str]]]:
    """TEX with each top-level environment replaced by a private-use character, and the
    environments (name, body) in order."""
    out: list[str] = []
    found: list[tuple[str, str]] = []
    pos = 0
    opened: tuple[int, int, str] | None = None
    for begin, end, token, _, envs in _scan(tex):
        if envs == 0 and token.startswith("\\begin"):
            opened = (begin, end, token)
        elif envs == 0 and token.startswith("\\end") and opened is not None:
            name = _name(opened[2])
            if _name(token) != name:
                raise UnsupportedTex(f"\\begin{{{name}}} ended by {token}")
            if len(found) > 0xFF:
                raise UnsupportedTex("more than 256 environments side by side")
            out.append(tex[pos : opened[0]])
            out.append(chr(_HOLE + len(found)))
            found.append((name, tex[opened[1] : begin]))
            pos = end
            opened = None
    out.append(tex[pos:])
    return "".join(out), found


def _name(token: str) -> str:
    return token[token.index("{") + 1 : -1].strip()


def _convert(tex: str) -> str:
    """TEX (no outer ``<math>``) as one MathML element."""
    if not tex.strip():
        return "<mrow></mrow>"
    rows = _rows(tex)
    if len(rows) > 1:  # `\\` outside an environment: Sphinx's rule, split when aligned, else centred
        return _table("split" if any(len(row) > 1 for row in rows) else "gathered", rows)
    if len(rows[0]) > 1:
        raise UnsupportedTex("& outside an alignment environment")
    text, found = _environments(tex)
    inner = _corrected(_MATH_TAG.sub("", latex2mathml.converter.convert(text)))
    for index, (name, body) in enumerate(found):
        hole = f"<mi>{chr(_HOLE + index)}</mi>"
        if inner.count(hole) != 1:
            raise UnsupportedTex(f"\\begin{{{name}}} where it cannot be laid out")
        inner = inner.replace(hole, _environment(name, body))
    return inner


def _environment(name: str, body: str) -> str:
    """One environment as MathML."""
    if name in ("equation", "equation*"):
        return _convert(body)
    rows = _rows(body)
    if name in _GATHER and any(len(row) > 1 for row in rows):
        raise UnsupportedTex(f"& in {name}")
    table = _table(name, rows)
    opening, closing = _FENCES.get(name) or _FENCES_CASES.get(name) or ("", "")
    if not opening:
        return table
    fence = '<mo fence="true" stretchy="true" symmetric="true" form="{}">{}</mo>'
    return (
        "<mrow>"
        + fence.format("prefix", opening)
        + table
        + (fence.format("postfix", closing) if closing else "")
        + "</mrow>"
    )


def _table(name: str, rows: list[list[str]]) -> str:
    """ROWS of cells laid out as NAME lays them out: aligned pairs right|left, cases left,
    gathered and matrices centred."""
    out: list[str] = []
    for row in rows:
        cells: list[str] = []
        for column, cell in enumerate(row):
            if name in _ALIGN:
                align = "left" if column % 2 else "right"
                content = _convert(cell)
                if column % 2 and content.startswith("<mrow>"):
                    # `&=`: TeX puts an empty group before the relation, so it keeps its spacing; an
                    # empty <mi> (not an empty <mrow>, which MathML skips) makes the <mo> infix
                    content = "<mrow><mi></mi>" + content[len("<mrow>") :]
            else:
                align = "left" if name == "cases" else "center"
                content = _convert(cell)
            cells.append(
                f'<mtd columnalign="{align}">{content}</mtd>' if align != "center" else f"<mtd>{content}</mtd>"
            )
        out.append("<mtr>" + "".join(cells) + "</mtr>")
    if name in _ALIGN:
        width = max(len(row) for row in rows)
        spacing = " ".join("0em" if i % 2 == 0 else "2em" for i in range(max(width - 1, 1)))
        attributes = f' displaystyle="true" columnspacing="{spacing}" rowspacing="3pt"'
    elif name in _GATHER:
        attributes = ' displaystyle="true" rowspacing="3pt"'
    elif name == "cases":
        attributes = ' columnspacing="1em"'
    else:
        attributes = ""
    return f"<mtable{attributes}>" + "".join(out) + "</mtable>"
