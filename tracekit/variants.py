"""Variants: the runs an example makes, one per value of the literals its `vary` keys mark.

``lr = 0.1  # tracekit: vary=0.01,0.1,0.9`` runs the example once per value with the literal's
source span replaced (line numbers unchanged); several varied names give the product of their
values. The literal in the source is the default run. A chapter's ``:vary: lr=0.01,0.1`` adds
values to a name the example assigns a literal to. Everything here is decided before anything runs.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .source import AuthoringError, Example

__all__ = [
    "MAX_RUNS",
    "Varied",
    "Variant",
    "chapter_vary_error",
    "plan_variants",
    "substitute",
    "unassigned_errors",
    "variant_key",
    "scratch_copy",
]

MAX_RUNS = 16  # runs per example, the default included


@dataclass(frozen=True)
class Varied:
    """One varied name: where its literal is and the values it takes, in order."""

    name: str
    line: int  # the line that gave its values (the statement's, or a chapter's `:vary:`)
    span: tuple[int, int, int, int]  # the literal: line, UTF-8 column, end line, end column
    values: tuple[str, ...]  # source texts
    default: int  # index of the literal the source holds


@dataclass(frozen=True)
class Variant:
    """One run: a value for every varied name."""

    values: tuple[tuple[str, str], ...]  # (name, source text), in the order of the names
    default: bool

    @property
    def label(self) -> str:
        """``lr=0.9&x=2``: the run's name in the URL fragment and the page JSON."""
        return "&".join(f"{name}={text}" for name, text in self.values)


def _literal(node: ast.expr) -> Any:
    return ast.literal_eval(node)


def _same(a: str, b: str) -> bool:
    """Whether two literal texts are the same value (0.10 and 0.1 are)."""
    try:
        x, y = ast.literal_eval(a), ast.literal_eval(b)
    except (ValueError, SyntaxError, TypeError):
        return a == b
    return type(x) is type(y) and x == y


def _with_default(values: Sequence[str], default: str) -> tuple[tuple[str, ...], int]:
    """VALUES with DEFAULT in them (added in its place when the values are ascending numbers, else
    last), and its index."""
    for i, text in enumerate(values):
        if _same(text, default):
            return tuple(values[:i]) + (default,) + tuple(values[i + 1 :]), i
    numbers = [ast.literal_eval(t) for t in [*values, default]]
    if all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers) and list(numbers[:-1]) == sorted(
        numbers[:-1]
    ):
        at = sum(1 for n in numbers[:-1] if n < numbers[-1])
        return tuple(values[:at]) + (default,) + tuple(values[at:]), at
    return (*values, default), len(values)


def _assignment(tree: ast.Module, line: int) -> ast.Assign | ast.AnnAssign | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno == line:
            return node
    return None


def _literal_of(display: str, line: int, node: ast.Assign | ast.AnnAssign | None) -> tuple[str, ast.expr]:
    """The name an assignment binds and its literal, or the error saying what vary needs."""
    need = "vary needs an assignment of a literal to one name, e.g. `lr = 0.1  # tracekit: vary=0.01,0.1`"
    if node is None or node.value is None:
        raise AuthoringError(display, line, need)
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        raise AuthoringError(display, line, need)
    try:
        _literal(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise AuthoringError(display, line, need) from None
    return targets[0].id, node.value


def _text(lines: list[bytes], node: ast.expr) -> str:
    """The source text of NODE (columns are UTF-8 offsets)."""
    assert node.end_lineno is not None and node.end_col_offset is not None
    if node.lineno == node.end_lineno:
        return lines[node.lineno - 1][node.col_offset : node.end_col_offset].decode("utf-8")
    parts = (
        [lines[node.lineno - 1][node.col_offset :]]
        + lines[node.lineno : node.end_lineno - 1]
        + [lines[node.end_lineno - 1][: node.end_col_offset]]
    )
    return b"".join(parts).decode("utf-8")


def plan_variants(
    example: Example, source: str, extra: Mapping[str, tuple[Sequence[str], str, int]] | None = None
) -> tuple[list[Varied], list[Variant]]:
    """The varied names of EXAMPLE (its SOURCE text) and its runs, the default first.

    EXTRA: name → (values, file, line) from chapters' `:vary:` options. ([], []) when nothing varies.
    Raises AuthoringError naming the line of a bad `vary` or of the one that makes too many runs."""
    extra = dict(extra or {})
    marked = [item for item in example.items if item.vary]
    if not marked and not extra:
        return [], []
    tree = ast.parse(source)
    lines = source.encode("utf-8").splitlines(keepends=True)
    varied: list[Varied] = []
    errors_at: dict[str, tuple[str, int]] = {}
    for item in marked:
        name, node = _literal_of(example.path, item.line, _assignment(tree, item.line))
        if any(v.name == name for v in varied):
            raise AuthoringError(
                example.path, item.line, f"{name} is varied twice (line {errors_at[name][1]} varies it too)"
            )
        assert item.vary is not None and node.end_lineno is not None and node.end_col_offset is not None
        texts, default = _with_default(item.vary, _text(lines, node))
        varied.append(
            Varied(
                name, item.line, (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset), texts, default
            )
        )
        errors_at[name] = (example.path, item.line)
    for name, (values, where, at) in extra.items():
        known = next((v for v in varied if v.name == name), None)
        if known is not None:
            more = [t for t in values if not any(_same(t, k) for k in known.values)]
            varied[varied.index(known)] = Varied(
                name, known.line, known.span, known.values + tuple(more), known.default
            )
            continue
        node_found = _top_level_literal(tree, name)
        if node_found is None:
            raise AuthoringError(where, at, unassigned(example.path, name))
        assert node_found.end_lineno is not None and node_found.end_col_offset is not None
        merged, default = _with_default(list(values), _text(lines, node_found))
        varied.append(
            Varied(
                name,
                node_found.lineno,
                (node_found.lineno, node_found.col_offset, node_found.end_lineno, node_found.end_col_offset),
                merged,
                default,
            )
        )
        errors_at[name] = (where, at)
    runs = 1
    for v in varied:
        runs *= len(v.values)
        if runs > MAX_RUNS:
            where, at = errors_at[v.name]
            by = (
                f" (with :vary: {v.name} of {where}:{at})" if where and where != example.path else ""
            )  # "": the caller names the place
            raise AuthoringError(
                where,
                at,
                f"vary makes {runs} runs of {example.path} with the names before it{by}; at most {MAX_RUNS} are "
                f"allowed",
            )
    variants = []
    for combo in itertools.product(*[range(len(v.values)) for v in varied]):
        chosen = tuple((v.name, v.values[i]) for v, i in zip(varied, combo, strict=True))
        variants.append(Variant(chosen, all(i == v.default for v, i in zip(varied, combo, strict=True))))
    variants.sort(key=lambda x: not x.default)  # the default first; the others keep their order
    return varied, variants


def unassigned(example: str, name: str) -> str:
    """The error for a chapter's `:vary:` of a NAME that EXAMPLE assigns no literal to."""
    return f":vary: {name}: {example} assigns no literal to {name} at its top level (e.g. `{name} = 0.1`)"


def chapter_vary_error(example: str, source: str, name: str) -> str | None:
    """Why a chapter cannot vary NAME in EXAMPLE (its SOURCE text); None when it can."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the example fails on its own, saying why
    return None if _top_level_literal(tree, name) is not None else unassigned(example, name)


def unassigned_errors(path: Path, example: str, vary: Sequence[tuple[str, Any, int]]) -> list[tuple[int, str]]:
    """(line, message) for each `:vary:` (name, values, line) naming what the example at PATH
    (EXAMPLE, as the messages name it) assigns no literal to; [] when it cannot be read (it fails on its own)."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    found = [(line, chapter_vary_error(example, source, name)) for name, _, line in vary]
    return [(line, why) for line, why in found if why]


def _top_level_literal(tree: ast.Module, name: str) -> ast.expr | None:
    """The literal of the first top-level `NAME = literal` in TREE."""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id == name:
                try:
                    _literal(node.value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    return None
                return node.value
    return None


def substitute(source: str, varied: Sequence[Varied], variant: Variant) -> str:
    """SOURCE with each varied literal replaced by the VARIANT's value, on the same lines."""
    lines = source.encode("utf-8").splitlines(keepends=True)
    chosen = dict(variant.values)
    # from the end, so that earlier spans keep their offsets
    for v in sorted(varied, key=lambda v: v.span, reverse=True):
        line, col, end_line, end_col = v.span
        text = chosen[v.name].encode("utf-8")
        if end_line > line:  # a literal over several lines: keep them, so every line number stays
            text = b"(" + text + b"\n" * (end_line - line) + b")"
        head, tail = lines[line - 1][:col], lines[end_line - 1][end_col:]
        lines[line - 1 : end_line] = [head + text + tail]
    return b"".join(lines).decode("utf-8")


def variant_key(example_key: str, variant: Variant) -> str:
    """A run's own cache key: the example's key and the run's values."""
    return hashlib.sha256(json.dumps([example_key, variant.values]).encode()).hexdigest()


def scratch_copy(folder: Path, root: Path, skip: Sequence[Path] = ()) -> Path:
    """A scratch copy of FOLDER at its place under a new temporary root (returned), so that a
    variant's run finds what the example's folder holds and writes nothing beside it."""
    from .codecache import cache_dir

    base = Path(cache_dir()) / "variants"
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    rel = folder.resolve().relative_to(root.resolve())
    skipped = {p.resolve() for p in skip}

    def ignore(where: str, names: list[str]) -> set[str]:
        return {n for n in names if n == "__pycache__" or (Path(where) / n).resolve() in skipped}

    shutil.copytree(folder, scratch / rel, symlinks=True, ignore=ignore, dirs_exist_ok=True)
    return scratch


def run_others(
    path: Path,
    root: Path,
    varied: Sequence[Varied],
    variants: Sequence[Variant],
    run: Any,
    jobs: int,
    skip: Sequence[Path] = (),
) -> list[tuple[Variant, Any]]:
    """Run every variant but the default, each in a scratch copy of the example's folder and in
    parallel (JOBS at a time): RUN(script, cwd, root) → RunResult. Returns (variant, result)."""
    import io
    import tokenize
    from concurrent.futures import ThreadPoolExecutor

    data = path.read_bytes()
    encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    source = data.decode(encoding)
    others = [v for v in variants if not v.default]

    def one(variant: Variant) -> tuple[Variant, Any]:
        scratch = scratch_copy(path.parent, root, skip)
        try:
            script = scratch / path.resolve().relative_to(root.resolve())
            script.write_bytes(substitute(source, varied, variant).encode(encoding))
            return variant, run(script, script.parent, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    if not others:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(others))), thread_name_prefix="tracekit-vary") as pool:
        return list(pool.map(one, others))


SHARED = ("schema", "meta", "source")  # the same in every run: the page JSON keeps them once, at the top


def record(
    varied: Sequence[Varied], runs: Sequence[tuple[Variant, Mapping[str, Any]]], example_key: str
) -> dict[str, Any]:
    """The page JSON's ``variants``: the names with their values, and every run with its values,
    its own cache key and (the default's is the page's own) its trace."""
    out_runs = []
    for variant, trace in runs:
        run: dict[str, Any] = {
            "values": dict(variant.values),
            "label": variant.label,
            "default": variant.default,
            "key": variant_key(example_key, variant),
        }
        if not variant.default:
            run["trace"] = {k: v for k, v in trace.items() if k not in SHARED and k != "variants" and k != "build"}
        out_runs.append(run)
    names = [{"name": v.name, "line": v.line, "values": list(v.values), "default": v.values[v.default]} for v in varied]
    return {"names": names, "runs": out_runs}


def traces(trace: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(run, its whole trace) for every run a page's TRACE carries, in the page JSON's order; [] without variants."""
    data = trace.get("variants") if isinstance(trace, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(data.get("runs"), list):
        return []
    base = {k: v for k, v in trace.items() if k != "variants"}
    out = []
    for run in data["runs"]:
        if not isinstance(run, Mapping):
            continue
        if run.get("default"):
            out.append((dict(run), base))
        elif isinstance(run.get("trace"), Mapping):
            out.append((dict(run), {**{k: base[k] for k in SHARED if k in base}, **run["trace"]}))
    return out
