"""Module boundaries: plain names between modules, one-way imports, and the package map in docs/internals.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracekit"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_from(module: str, node: ast.ImportFrom, modules: dict[str, Path] = MODULES) -> str:
    """The absolute module NODE imports from, inside MODULE."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if modules[module].name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def typing_only(tree: ast.Module) -> set[int]:
    """The lines of TREE's `if TYPE_CHECKING:` blocks: imports there are never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def imports(module: str, *, run_only: bool = False, modules: dict[str, Path] = MODULES) -> list[tuple[int, str, str | None]]:
    """(line, tracekit module, name or None) for each import MODULE makes of tracekit, lazy ones
    included; RUN_ONLY leaves out those made for the type checker only."""
    out = []
    tree = ast.parse(modules[module].read_text(encoding="utf-8"))
    skip = typing_only(tree) if run_only else set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            source = imported_from(module, node, modules)
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    out.append((node.lineno, f"{source}.{alias.name}", None))
                elif source in modules:
                    out.append((node.lineno, source, alias.name))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, None) for a in node.names if a.name in modules)
    return out


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def crossings(modules: dict[str, Path]) -> list[str]:
    """Each place a module of MODULES imports or uses another module's underscore name."""
    crossing = []
    for module, path in modules.items():
        aliases: dict[str, str] = {}
        for line, source, name in imports(module, modules=modules):
            if name is not None and private(name):
                crossing.append(f"{module}:{line} imports {source}.{name}")
            if any(private(part) for part in source.split(".")):
                crossing.append(f"{module}:{line} imports the module {source}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = imported_from(module, node, modules)
                aliases.update({a.asname or a.name: f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules})
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases and private(node.attr):
                crossing.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return crossing


def test_no_underscore_name_crosses_a_module_line() -> None:
    assert crossings(MODULES) == []


def test_the_walker_finds_each_kind_of_crossing(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "_hidden.py").write_text("X = 1\n")
    (pkg / "sub" / "a.py").write_text("def _helper() -> None: ...\ndef shared() -> None: ...\n")
    (pkg / "b.py").write_text("from .sub.a import _helper, shared\nfrom .sub import a\nfrom . import _hidden\na._helper()\n")
    modules = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p for p in pkg.rglob("*.py")}
    assert sorted(crossings(modules)) == [
        "pkg.b:1 imports pkg.sub.a._helper",
        "pkg.b:3 imports the module pkg._hidden",
        "pkg.b:4 uses pkg.sub.a._helper",
    ]


def test_imports_between_modules_go_one_way() -> None:
    graph = {m: {s for _, s, _ in imports(m, run_only=True) if s != m and MODULES[s].name != "__init__.py"} for m in MODULES}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            assert seen.get(n) != 1, "import cycle: " + " → ".join(stack[stack.index(n) :] + [n])
            if n not in seen:
                visit(n)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)


def test_the_child_package_imports_nothing_outside_it_but_the_standard_library() -> None:
    import sys

    child = {m for m in MODULES if m.startswith("tracekit.child")}
    outside = sorted(f"{m}:{line} imports {s}" for m in child for line, s, _ in imports(m) if not s.startswith("tracekit.child"))
    assert outside == []
    theirs = {"torch", "numpy", "matplotlib", "PIL"}  # the script's libraries, read only once it imported them
    foreign = []
    for m in child:
        for node in ast.walk(ast.parse(MODULES[m].read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            foreign += [f"{m} imports {n}" for n in names if n.split(".")[0] not in set(sys.stdlib_module_names) | theirs]
    assert foreign == []


def package_map() -> set[str]:
    """The module files docs/internals.md's package map names (`path/to/module.py`)."""
    text = (ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
    section = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    return {p for p in re.findall(r"([\w/]+\.py)\b", section) if not p.startswith(("examples/", "tests/"))}


def test_the_package_map_names_every_module_and_only_modules_that_exist() -> None:
    files = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    named = package_map()
    assert sorted(files - named) == [], "modules missing from docs/internals.md's package map"
    assert sorted(named - files) == [], "docs/internals.md's package map names modules that do not exist"
