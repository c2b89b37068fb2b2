"""Planning: configuration, output folder, the examples in scope and their keys."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..directives import requested_devices
from .discover import discover
from .files import file_sha
from .keys import Imports, StatCache, cache_key, cuda_fingerprint, local_dependencies, sha256_hex
from .paths import display_path, is_inside
from .results import BuildError

# ─────────────────────────────────────────────────────────────────────────────
# Planning
# ─────────────────────────────────────────────────────────────────────────────


@dataclass(repr=False, eq=False)
class Plan:
    config: Config
    root: Path
    out: Path
    scope: list[str]  # relative paths (files or folders) the run covers; "" is everything
    all_examples: list[str]
    examples: list[str]  # this shard's share
    overlap: bool  # output and examples folders overlap: never overwrite foreign files
    irregular: list[Path]  # .py names that are not regular files (FIFOs, devices): skipped
    # example rel → name → (values, chapter rel, line): the chapters' `:vary:` options, read before anything runs
    varies: dict[str, dict[str, tuple[list[str], str, int]]] = field(default_factory=dict)


def _choose_root(paths: Sequence[Path], configured: Path) -> Path:
    if not paths:
        return configured
    resolved = [p.resolve() for p in paths]
    conf = configured.resolve()
    if all(is_inside(p, conf) for p in resolved):
        return conf
    if len(resolved) == 1:
        return resolved[0] if resolved[0].is_dir() else resolved[0].parent
    return Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))


def make_plan(
    config: Config,
    paths: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None,
    shard: tuple[int, int] | None,
) -> Plan:
    given = [Path(p) for p in paths]
    for p in given:
        if not p.exists():
            raise BuildError(f"{p}: no such file or folder")
    if not given and not config.examples.is_dir():
        where = f" (set `examples` in [tool.tracekit] of {display_path(config.pyproject)})" if config.pyproject else ""
        raise BuildError(f"examples folder {display_path(config.examples)} does not exist{where}")
    root = _choose_root(given, config.examples).resolve()
    if output is not None and not os.fspath(output).strip():
        raise BuildError("the output folder is empty; name one with -o DIR")
    out = Path(output).expanduser().resolve() if output is not None else config.output.resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"output {display_path(out)} is not a folder")
    scope = []
    for p in given:
        rel = p.resolve().relative_to(root).as_posix()
        scope.append("" if rel == "." else rel)
    if not given:
        scope = [""]
    overlap = is_inside(out, root) or is_inside(root, out)
    irregular: list[Path] = []
    # the output's downloads (book_site.DOWNLOADS: notebooks, sources) are never examples, also when the output is the
    # examples folder
    all_examples = discover(root, given, exclude=config.exclude, skip=[out, out / "downloads"], irregular=irregular)
    examples = all_examples
    if shard is not None:
        i, n = shard
        examples = [rel for k, rel in enumerate(all_examples) if k % n == i - 1]
    varies = chapter_varies(root, config, out, all_examples)
    return Plan(config, root, out, scope, all_examples, examples, overlap, irregular, varies)


def chapter_varies(
    root: Path, config: Config, out: Path, examples: Sequence[str]
) -> dict[str, dict[str, tuple[list[str], str, int]]]:
    """The `:vary:` options of the chapters under ROOT, by the example they vary: name → (values,
    chapter, line). Chapters are small, so they are read before any run: their runs are the
    example's. A name the example assigns no literal to is left out (the chapter's listing says why)."""
    from ..book.chapter import ChapterError, parse_chapter
    from .discover import excluded, skip_dir
    from .files import Refused, read_checked

    known = set(examples)
    found: dict[str, dict[str, tuple[list[str], str, int]]] = {}
    sources: dict[str, str | None] = {}
    out_r = out.resolve()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not skip_dir(d) and (here / d).resolve() != out_r)
        for name in sorted(files):
            if not name.endswith(".md") or name.startswith(("_", ".")) or name == "README.md":
                continue
            rel = (here / name).relative_to(root).as_posix()
            if excluded(rel, config.exclude):
                continue
            try:
                chapter = parse_chapter(rel, read_checked(here / name, root).decode("utf-8"))
            except (Refused, UnicodeDecodeError, ChapterError):
                continue  # the book stage says what is wrong with it
            for embed in chapter.embeds:
                if embed.target not in known:
                    continue
                if embed.target not in sources:
                    try:
                        sources[embed.target] = (root / embed.target).read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        sources[embed.target] = None
                source = sources[embed.target]
                for var, values, line in embed.vary:
                    from ..variants import (
                        chapter_vary_error,
                    )  # only here: it reads Python with libcst, which a no-op build never loads

                    if source is None or chapter_vary_error(embed.target, source, var):
                        continue
                    mine = found.setdefault(embed.target, {})
                    if var in mine:
                        before, where, at = mine[var]
                        mine[var] = (before + [v for v in values if v not in before], where, at)
                    else:
                        mine[var] = (list(values), rel, line)
    return found


def drop_helpers(plan: Plan, imports: Imports) -> list[str]:
    """Take helper modules (imported by examples, no prose of their own) out of PLAN; return them."""
    from .helpers import find_helpers

    everything = (
        plan.all_examples
        if plan.scope == [""]
        else discover(plan.root, exclude=plan.config.exclude, skip=[plan.out, plan.out / "downloads"])
    )
    found = set(find_helpers(plan.root, everything, imports, helpers=plan.config.helpers, pages=plan.config.pages))
    if not found:
        return []
    dropped = [rel for rel in plan.all_examples if rel in found]
    plan.all_examples = [rel for rel in plan.all_examples if rel not in found]
    plan.examples = [rel for rel in plan.examples if rel not in found]
    return dropped


def in_scope(rel: str, scope: Sequence[str]) -> bool:
    return any(s == "" or rel == s or rel.startswith(s + "/") for s in scope)


def keyed_options(config: Config) -> dict[str, Any]:
    """The run options a page's cache key covers."""
    return config.run_options().key_dict()


@dataclass(repr=False, eq=False)
class Keyed:
    rel: str
    path: Path
    key: str
    source: str
    deps: dict[str, str]


def example_keys(plan: Plan, env: dict[str, Any], examples: Sequence[str], imports: Imports) -> dict[str, Keyed]:
    options = keyed_options(plan.config)
    out: dict[str, Keyed] = {}
    cuda: list[str] | None = None
    for rel in examples:
        path = plan.root / rel
        try:
            data = path.read_bytes()
        except OSError as e:
            raise BuildError(f"cannot read {display_path(path)}: {e.strerror}") from None
        source_sha = imports.sha(path.resolve(), data) or sha256_hex(data)
        deps = local_dependencies(path, plan.root, data, imports)
        auto = None
        if plan.config.device == "auto" or (b"auto" in data and "auto" in requested_devices(data)):
            cuda = cuda if cuda is not None else cuda_fingerprint()
            auto = cuda
        vary = {name: values for name, (values, _, _) in plan.varies.get(rel, {}).items()}
        out[rel] = Keyed(rel, path, cache_key(rel, source_sha, deps, env, options, auto, vary), source_sha, deps)
    return out


def files_intact(out: Path, files: dict[str, str], stats: StatCache | None = None) -> bool:
    read = stats.sha if stats is not None else file_sha
    return all(read(out / rel) == sha for rel, sha in files.items())


def resolve_config(config: Config | None, exclude: Sequence[str] | None = None, **options: Any) -> Config:
    """CONFIG (default: the configured one) with the command-line OPTIONS (None: not given) on top."""
    cfg = config if config is not None else load_config()
    return cfg.with_options(exclude=tuple(exclude or ()), **options)
