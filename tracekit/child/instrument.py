"""Rewrite a script's AST so that every statement records its values, keeping original positions.

Each simple statement S becomes::

    try:
        if __tk_n__(__tk_c__[S]) < N:        # next() on S's counter: true for the first N hits
            __tk_s__(S, True)                # True: fingerprint the frame (what may change)
            <S with sub-expressions wrapped in __tk_v__>; <bound names recorded>
            __tk_d__(S)                      # what S changed, before → after
        else:
            <S unchanged>
    except __tk_R__:                          # RecursionError passes untouched
        raise
    except __tk_B__:                          # BaseException
        __tk_x__(S)
        raise

Every node added copies the line/column span of the node it stands for, so tracebacks,
``inspect`` and ``co_firstlineno`` see the original file. Sub-expressions are wrapped the
way pytest's assertion rewriting does it: each is evaluated exactly once, in order, and
``and``/``or``/``if``-expressions keep short-circuiting because only their operands are wrapped.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast, overload

from .protocol import DEFAULT_HITS, HOOK_PREFIX, HOOKS

__all__ = [
    "InstrumentError",
    "Instrumented",
    "ReservedNameError",
    "describe_syntax_error",
    "instrument",
    "instrumented_source",
    "RESERVED_PREFIX",
]

RESERVED_PREFIX = HOOK_PREFIX
# python allows 20 statically nested blocks; past 18 (a margin for handlers) statements are not
# wrapped in try, and their exceptions go unrecorded on their lines.
_MAX_BLOCKS = 18
_BLOCKS = (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar)


def _static_depth(node: ast.AST) -> int:
    """The deepest nesting of blocks inside NODE's bodies (not counting NODE, nor nested functions)."""
    best = 0
    bodies = [getattr(node, f, None) or [] for f in ("body", "orelse", "finalbody")]
    bodies += [h.body for h in getattr(node, "handlers", None) or []]
    bodies += [c.body for c in getattr(node, "cases", None) or []]
    handler_extra = 1 if getattr(node, "handlers", None) else 0
    for body in bodies:
        for st in body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            best = max(best, isinstance(st, _BLOCKS) + _static_depth(st) + handler_extra)
    return best


_HOOK_NAMES = tuple(HOOKS.values())

# Callees whose behaviour depends on the literal name at the call site (zero-argument super()).
_FRAME_SENSITIVE = {"super"}
_MAX_TEXT = 200  # characters of source text kept per recorded expression


class ReservedNameError(SyntaxError):
    """The script uses a name reserved for tracekit's hooks."""


class InstrumentError(Exception):
    """Valid Python that tracekit could not instrument (a limit of the rewriting, not the script's fault)."""


def describe_syntax_error(e: SyntaxError, path: str) -> str:
    """`path:line:col: message`, then the offending line and a caret, as far as they are known."""
    # Errors found before any token (encoding, null bytes) carry no position: python says line 1.
    where = f"{path}:{e.lineno or 1}:{e.offset if e.offset and e.offset > 0 else 1}"
    out = f"{where}: {e.msg}"
    text = (e.text or "").rstrip("\r\n")
    if text.strip():
        indent = len(text) - len(text.lstrip())
        caret = " " * max((e.offset or 1) - 1 - indent, 0) + "^"
        out += f"\n    {text.strip()}\n    {caret}"
    return out


# Table rows are mixed-type lists, cached and handed to the runtime as they are (see each field).
_Row = list[Any]


@dataclass
class Instrumented:
    """The compiled instrumented module and its statement/expression tables."""

    code: object
    stmts: list[_Row]  # [line, end_line, kind, function] + [statement whose counter it shares]
    exprs: list[_Row]  # [stmt, role, text, extra-dict]
    warnings: list[_Row]  # [category name, message, line]: what compiling the original emits
    rebinds_builtins: bool = False  # the script assigns __builtins__: hooks must live in its globals
    loops: list[_Row] = field(
        default_factory=list
    )  # per `for` loop: [header statement, statements directly in its body]


class _Spanned(Protocol):
    """A node with a source position: statements, expressions, handlers, patterns, arguments."""

    @property
    def lineno(self) -> int: ...
    @property
    def col_offset(self) -> int: ...
    @property
    def end_lineno(self) -> int | None: ...
    @property
    def end_col_offset(self) -> int | None: ...


# The node kinds whose `_attributes` hold a position (type_param, from 3.12, is never built here).
_POSITIONED = (ast.stmt, ast.expr, ast.excepthandler, ast.arg, ast.keyword, ast.alias, ast.pattern)
_N = TypeVar("_N", bound=ast.AST)
# Bindings made on entering a body: (node they belong to, statement kind, names, line).
_Prologue = tuple[_Spanned, str, list[str], int]


def _loc(node: _N, src: _Spanned) -> _N:
    """Give NODE and all its unpositioned descendants SRC's span."""
    for n in ast.walk(node):
        if isinstance(n, _POSITIONED):
            if getattr(n, "lineno", None) is None or not hasattr(n, "end_lineno"):
                n.lineno = src.lineno
                n.col_offset = src.col_offset
                n.end_lineno = src.end_lineno
                n.end_col_offset = src.end_col_offset
    return node


def _name(id_: str) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Load())


def _call(fn: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_name(fn), args=list(args), keywords=[])


def _const(v: str | bytes | bool | int | float | complex | None) -> ast.Constant:
    return ast.Constant(value=v)


def _recording_try(body: ast.stmt, hook: str, s: int) -> ast.Try:
    """`try: BODY / except RecursionError: raise / except BaseException: HOOK(s); raise`.

    At the recursion limit even the hook's own frame would overflow, so a RecursionError passes
    untouched; anything else is reported to HOOK and re-raised with its traceback unchanged.
    """
    recursion = ast.ExceptHandler(type=_name("__tk_R__"), name=None, body=[ast.Raise(exc=None, cause=None)])
    report = ast.ExceptHandler(
        type=_name("__tk_B__"),
        name=None,
        body=[ast.Expr(value=_call(hook, _const(s))), ast.Raise(exc=None, cause=None)],
    )
    return ast.Try(body=[body], handlers=[recursion, report], orelse=[], finalbody=[])


class _Lines:
    """Source text lookup by (line, col) spans, with columns in UTF-8 bytes as ast gives them."""

    def __init__(self, source: str) -> None:
        # Python ends lines only at \n, \r\n and \r; str.splitlines also splits at \f, \x1c-\x1e,
        # \x85 and U+2028/9, which would shift every later line.
        self.lines = re.split(r"(?<=\n)|(?<=\r)(?!\n)", source)
        self._enc = [ln.encode("utf-8") for ln in self.lines]

    def segment(self, node: ast.expr) -> str:
        try:
            end_line, c1 = node.end_lineno, node.end_col_offset
            if end_line is None or c1 is None:
                return ast.unparse(node)
            l0, l1 = node.lineno - 1, end_line - 1
            c0 = node.col_offset
            if l0 == l1:
                text = self._enc[l0][c0:c1].decode("utf-8", "replace")
            else:
                parts = [self._enc[l0][c0:]] + self._enc[l0 + 1 : l1] + [self._enc[l1][:c1]]
                text = b"".join(parts).decode("utf-8", "replace")
        except (IndexError, AttributeError, TypeError):
            return ast.unparse(node)
        text = " ".join(text.split()) if "\n" in text else text
        return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _check_reserved(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, ast.alias):
            names = [node.asname or node.name.split(".")[0]]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names = list(node.names)
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.keyword) and node.arg:
            names = [node.arg]
        for n in names:
            if n.startswith(RESERVED_PREFIX):
                err = ReservedNameError(
                    f"the name {n!r} is reserved for tracekit (names starting with {RESERVED_PREFIX!r})"
                )
                err.lineno = getattr(node, "lineno", 1)
                err.offset = getattr(node, "col_offset", 0) + 1
                raise err


def _target_names(target: ast.expr) -> list[ast.Name]:
    """Plain names bound by an assignment target (through tuples, lists and stars)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        out: list[ast.Name] = []
        for elt in target.elts:
            out += _target_names(elt)
        return out
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _pattern_names(pattern: ast.pattern) -> list[str]:
    out: list[str] = []
    for n in ast.walk(pattern):
        if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.append(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            out.append(n.rest)
    return list(dict.fromkeys(out))


def _is_future_import(st: ast.stmt) -> bool:
    return isinstance(st, ast.ImportFrom) and st.module == "__future__"


class _BoundInLoop(ast.NodeVisitor):
    """Names a loop binds in its own scope (not inside nested functions, classes or comprehensions)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def _add(self, name: str) -> None:
        if name not in self.names and not name.startswith(RESERVED_PREFIX):
            self.names.append(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._add(node.id)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._add(node.name)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.AST) -> None:
        pass

    def visit_ListComp(self, node: ast.AST) -> None:
        # Only the walrus targets of a comprehension leak into the enclosing scope.
        for n in ast.walk(node):
            if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
                self._add(n.target.id)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp


class _Wrap(ast.NodeTransformer):
    """Wrap the sub-expressions of one statement's recorded copy in value hooks."""

    def __init__(self, owner: _Instrumenter, stmt: int) -> None:
        self.owner = owner
        self.stmt = stmt

    def hook(self, node: ast.expr, role: str, text: str | None = None, **extra: object) -> ast.expr:
        k = self.owner.add_expr(self.stmt, role, text if text is not None else self.owner.text(node), extra)
        return _loc(_call("__tk_v__", _const(k), node), node)

    # Opaque values: their inner code runs many times per statement, so only the whole is recorded.
    def visit_Lambda(self, node: ast.expr) -> ast.expr:
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_Lambda

    def visit_Call(self, node: ast.Call) -> ast.expr:
        callee_text = self.owner.text(node.func)
        func = node.func
        if not (isinstance(func, ast.Name) and func.id in _FRAME_SENSITIVE):
            if isinstance(func, ast.Attribute):
                func.value = self.visit(func.value)
            elif not isinstance(func, ast.Name):
                func = self.visit(func)
            k = self.owner.add_expr(self.stmt, "call", callee_text, {})
            node.func = _loc(_call("__tk_f__", _const(k), func), func)
        else:
            node.func = self.visit(func)
        args: list[ast.expr] = []
        for i, a in enumerate(node.args):
            if isinstance(a, ast.Starred):
                a.value = self.hook(
                    self.owner.visit_top(self, a.value),
                    "arg",
                    "*" + self.owner.text(a.value),
                    call=callee_text,
                    index=i,
                )
                args.append(a)
            else:
                text = self.owner.text(a)
                args.append(self.hook(self.owner.visit_top(self, a), "arg", text, call=callee_text, index=i))
        node.args = args
        for kw in node.keywords:
            text = self.owner.text(kw.value) if kw.arg else "**" + self.owner.text(kw.value)
            extra = {"call": callee_text, "keyword": kw.arg} if kw.arg else {"call": callee_text}
            kw.value = self.hook(self.owner.visit_top(self, kw.value), "arg", text, **extra)
        return node

    def _value(self, node: ast.expr) -> ast.expr:
        self.generic_visit(node)
        return self.hook(node, "value")

    def visit_Call_result(self, node: ast.Call) -> ast.expr:
        text = self.owner.text(node)
        callee = self.owner.text(node.func)
        return self.hook(self.visit_Call(node), "result", text, call=callee)

    # Every visit_* method here turns an expression into an expression (the generic visit returns
    # the node itself); the stubs cannot tell, as NodeVisitor.visit returns Any.
    @overload
    def visit(self, node: ast.expr) -> ast.expr: ...
    @overload
    def visit(self, node: ast.AST) -> ast.AST: ...
    def visit(self, node: ast.AST) -> ast.AST:
        # Calls nested inside a larger expression record their result; a statement's top-level
        # call is recorded by the statement's own role (result/expr/return) instead.
        if isinstance(node, ast.Call):
            return self.visit_Call_result(node)
        return cast(ast.AST, super().visit(node))  # NodeVisitor.visit is typed Any; a transformer's gives back a node

    def target(self, node: _N) -> _N:
        """Wrap the sub-expressions of an assignment target, which is bound, not recorded, itself."""
        self.generic_visit(node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        return self._value(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.operand, ast.Constant):
            return node
        return self._value(node)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        return self._value(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        return self._value(node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        return self._value(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return node
        return self._value(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        if not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return node
        return self._value(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> ast.expr:
        node.value = self.visit(node.value)
        return self.hook(node, "bind", node.target.id)

    def visit_Yield(self, node: ast.Yield) -> ast.expr:
        if node.value is not None:
            node.value = self.hook(self.visit(node.value), "yield", self.owner.text(node.value))
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        self.generic_visit(node)
        return node


class _Instrumenter:
    """Walks a module, numbering statements and expressions and producing the rewritten tree."""

    def __init__(self, source: str, hits: int, probe_lines: set[int]) -> None:
        self.lines = _Lines(source)
        self.hits = hits
        self.probe_lines = probe_lines
        self.stmts: list[_Row] = []
        self.exprs: list[_Row] = []
        self.scope: list[str] = []
        self.kinds: list[str] = []  # "class" or "function", innermost last
        self.blocks = 0  # statically nested blocks (loops, with, try) around the current statement
        self.guards: list[bool] = []  # whether each enclosing compound statement gets a header guard
        self.loops: list[_Row] = []  # per `for` loop: [header statement, statements directly in its body]
        # the innermost loop whose body is being walked: a `for` loop's number, or None inside a
        # `while` body or a def/class (their statements are in no `for` body's last iteration)
        self.loop_stack: list[int | None] = []

    # tables -------------------------------------------------------------------------------
    def text(self, node: ast.expr) -> str:
        return self.lines.segment(node)

    def add_stmt(self, node: _Spanned, kind: str, line: int | None = None, end_line: int | None = None) -> int:
        line = line if line is not None else node.lineno
        self.stmts.append(
            [line, end_line if end_line is not None else node.end_lineno, kind, ".".join(self.scope) or None]
        )
        s = len(self.stmts) - 1
        if self.loop_stack and self.loop_stack[-1] is not None and not isinstance(node, ast.While):
            # A while header is hit once per test, many times in one iteration: not opened.
            self.loops[self.loop_stack[-1]][1].append(s)
        return s

    def add_expr(self, stmt: int, role: str, text: str, extra: dict[str, object]) -> int:
        self.exprs.append([stmt, role, text, {k: v for k, v in extra.items() if v is not None}])
        return len(self.exprs) - 1

    # code pieces --------------------------------------------------------------------------
    def gate(self, s: int) -> ast.expr:
        """`next(__tk_c__[s]) < N`: true for the first N hits, and counts every hit."""
        counter = ast.Subscript(value=_name("__tk_c__"), slice=_const(s), ctx=ast.Load())
        return ast.Compare(left=_call("__tk_n__", counter), ops=[ast.Lt()], comparators=[_const(self.hits)])

    def start(self, s: int) -> ast.stmt:
        return ast.Expr(value=_call("__tk_s__", _const(s)))

    def in_class_body(self) -> bool:
        # A class body's namespace may be any mapping (__prepare__): reading names back from it
        # would be visible to the program, so there only values passing through are recorded.
        return bool(self.kinds) and self.kinds[-1] == "class"

    def record_names(self, s: int, names: list[ast.Name] | list[str], role: str = "bind") -> list[ast.stmt]:
        if self.in_class_body():
            return []
        out: list[ast.stmt] = []
        for n in names:
            ident = n if isinstance(n, str) else n.id
            k = self.add_expr(s, role, ident, {})
            out.append(ast.Expr(value=_call("__tk_v__", _const(k), _name(ident))))
        return out

    def guarded(
        self, s: int, node: ast.stmt, recorded: list[ast.stmt], plain: list[ast.stmt], catch: bool = True
    ) -> ast.stmt:
        body: ast.stmt = ast.If(test=self.gate(s), body=recorded, orelse=plain)
        # python allows 20 statically nested blocks; the try below adds one (two inside a handler).
        if catch and self.blocks + 1 <= _MAX_BLOCKS:
            body = _recording_try(body, "__tk_x__", s)
        return _loc(body, node)

    def header_guard(self, s: int, node: ast.stmt) -> ast.stmt:
        """`try: <compound statement> except …: __tk_h__(S); raise`, recording exceptions its header raises.

        The handler sees body exceptions too; the hook keeps only those raised on the header's lines.
        """
        if not self.guards[-1]:
            return node
        return _loc(_recording_try(node, "__tk_h__", s), node)

    def header(self, s: int, expr: ast.expr, role: str, probe: bool = True) -> ast.expr:
        """`(recorded(expr) if first-N-hit else expr)` for an expression in a compound header."""
        rec = _Wrap(self, s)
        wrapped = rec.hook(self.visit_top(rec, copy.deepcopy(expr)), role, self.text(expr))
        if probe and self.stmts[s][0] in self.probe_lines:
            wrapped = _call("__tk_p__", _const(s), wrapped)
        test = ast.BoolOp(op=ast.And(), values=[self.gate(s), _call("__tk_s__", _const(s))])
        return _loc(ast.IfExp(test=test, body=wrapped, orelse=expr), expr)

    def prologue(self, node: _Spanned, kind: str, names: list[str], line: int) -> _Prologue:
        """Bindings made on entering a body (for targets, params, `as` names), recorded with its first statement."""
        return (node, kind, names, line)

    def prologue_stmt(self, pro: _Prologue, counted_by: int | None = None) -> tuple[int, list[ast.stmt]]:
        node, kind, names, line = pro
        p = self.add_stmt(node, kind, line=line, end_line=line)
        if counted_by is not None:
            self.stmts[p].append(counted_by)
        probe = [ast.Expr(value=_call("__tk_p__", _const(p)))] if line in self.probe_lines else []
        return p, [self.start(p)] + self.record_names(p, names) + probe

    # statements ---------------------------------------------------------------------------
    def body(
        self,
        stmts: list[ast.stmt],
        docstring: bool = False,
        module: bool = False,
        pro: _Prologue | None = None,
        scope_names: bool = False,
        boot: list[ast.stmt] | None = None,
    ) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        i = 0
        if (
            docstring
            and stmts
            and isinstance(stmts[0], ast.Expr)
            and isinstance(stmts[0].value, ast.Constant)
            and isinstance(stmts[0].value.value, str)
        ):
            out.append(stmts[0])
            i = 1
        if module:
            while i < len(stmts) and _is_future_import(stmts[i]):
                out.append(stmts[i])
                i += 1
        if boot:
            first = stmts[i] if i < len(stmts) else (stmts[0] if stmts else None)
            out += [_loc(b, first) if first is not None else b for b in boot]
        if module or scope_names:
            # Module and class bodies look names up with LOAD_NAME (three dict probes); declaring
            # the hooks global turns their loads into LOAD_GLOBAL, which the interpreter caches.
            out.append(ast.Global(names=list(_HOOK_NAMES)))
        rest = stmts[i:]
        if pro is not None:
            if rest and self.is_simple(rest[0]):
                # The body's first statement runs exactly once per entry: it counts and records both.
                out.append(self.simple(rest[0], pro=pro))
                rest = rest[1:]
            else:
                p, recorded = self.prologue_stmt(pro)
                # Positioned on the body's first statement: python reports no line event for a header.
                where = rest[0] if rest else pro[0]
                out.append(_loc(ast.If(test=self.gate(p), body=recorded, orelse=[]), where))
        for st in rest:
            if -st.lineno in self.probe_lines and isinstance(st, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                # nothing runs after a jump: a block ending in one is evaluated just before it
                out.append(self.block_end(st))
                out += self.stmt(st)
                continue
            out += self.stmt(st)
            if -st.lineno in self.probe_lines:
                out.append(self.block_end(st))
        return out

    def block_end(self, node: ast.stmt) -> ast.stmt:
        """`__tk_q__(S)` after NODE has completed (a loop: all of it): a `#::` block's placeholders.

        The probe set holds the statement's line negated for these, apart from its own prose's.
        """
        s = self.add_stmt(node, "blockend", line=node.lineno, end_line=node.lineno)
        return _loc(ast.Expr(value=_call("__tk_q__", _const(s))), node)

    def is_simple(self, node: ast.stmt) -> bool:
        return not hasattr(self, "do_" + type(node).__name__) and not isinstance(node, (ast.Global, ast.Nonlocal))

    def stmt(self, node: ast.stmt) -> list[ast.stmt]:
        # do_<Kind> takes the statement kind it is named for, so dispatching by that name is sound.
        method: Callable[[ast.stmt], list[ast.stmt]] | None = getattr(self, "do_" + type(node).__name__, None)
        if method is not None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                saved, self.blocks = self.blocks, 0  # a new code object starts its own count
                self.loop_stack.append(None)
                try:
                    out = method(node)
                finally:
                    self.blocks = saved
                    self.loop_stack.pop()
                return out + [self.definition(node)]
            # Loops, with and try are blocks of their own; a header guard (a try) is one more.
            own = isinstance(node, _BLOCKS)
            guard = isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match))
            # ...and it adds one to every block below it, so it must leave room for the deepest.
            guard = guard and self.blocks + own + 1 + _static_depth(node) + 1 <= _MAX_BLOCKS
            nests = own + guard
            self.guards.append(guard)
            self.blocks += nests
            try:
                return method(node)
            finally:
                self.blocks -= nests
                self.guards.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return [node]
        return [self.simple(node)]

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> ast.stmt:
        """Count a def or class statement that ran; after a class, evaluate its line's placeholders.

        A def line's own hits are its calls (its prose is evaluated per call, with the parameters
        bound); this statement only tells "defined, never called" from "did not run".
        """
        is_class = isinstance(node, ast.ClassDef)
        d = self.add_stmt(node, "classdef" if is_class else "define", line=node.lineno, end_line=node.lineno)
        if is_class and node.lineno in self.probe_lines:
            body: list[ast.stmt] = [self.start(d), ast.Expr(value=_call("__tk_p__", _const(d)))]
            return _loc(ast.If(test=self.gate(d), body=body, orelse=[]), node)
        return _loc(ast.Expr(value=self.gate(d)), node)

    def simple(self, node: ast.stmt, pro: _Prologue | None = None) -> ast.stmt:
        s = self.add_stmt(node, "stmt")
        prefix: list[ast.stmt] = []
        if pro is not None:
            _p, prefix = self.prologue_stmt(pro, counted_by=s)
        rec = copy.deepcopy(node)
        w = _Wrap(self, s)
        after: list[ast.stmt] = []
        if isinstance(rec, ast.Assign):
            # `x = v`, `a.b = v`, `d[k] = v`, `a = b = v`: the value bound is the right-hand side,
            # recorded as it passes. Unpacking binds parts of it: those names are read back after.
            plain_targets = all(isinstance(t, (ast.Name, ast.Attribute, ast.Subscript)) for t in rec.targets)
            targets_text = " = ".join(self.text(t) for t in rec.targets)
            bound = [n.id for t in rec.targets for n in _target_names(t)]
            rec.targets = [w.visit(t) for t in rec.targets]
            value = self.visit_top(w, rec.value)
            if plain_targets:
                value = w.hook(value, "bind", targets_text)
            else:
                after = self.record_names(s, bound)
            rec.value = value
        elif isinstance(rec, ast.AugAssign):
            rec.target = w.target(rec.target)
            rec.value = w.visit(rec.value)
            if isinstance(rec.target, ast.Name):
                after = self.record_names(s, [rec.target.id])
        elif isinstance(rec, ast.AnnAssign):
            target_text = self.text(rec.target)
            rec.target = w.target(rec.target)
            if rec.value is not None:
                rec.value = w.hook(self.visit_top(w, rec.value), "bind", target_text)
        elif isinstance(rec, ast.Expr):
            v = rec.value
            if isinstance(v, ast.Constant):
                pass
            elif isinstance(v, (ast.Yield, ast.YieldFrom)):
                rec.value = w.visit(v)
            else:
                text = self.text(v)
                rec.value = w.hook(self.visit_top(w, v), "expr", text)
        elif isinstance(rec, ast.Return):
            if rec.value is not None:
                text = self.text(rec.value)
                rec.value = w.hook(self.visit_top(w, rec.value), "return", text)
        elif isinstance(rec, ast.Assert):
            # The test itself stays unwrapped: python places a failing assert's ^^^^ markers by the
            # test's own node, and a passing assert says all there is to say about its value.
            rec.test = self.visit_top(w, rec.test)
        elif isinstance(rec, (ast.Raise, ast.Delete)):
            w.generic_visit(rec)
        elif isinstance(rec, ast.Import):
            after = self.record_names(s, [(a.asname or a.name.split(".")[0]) for a in rec.names])
        elif isinstance(rec, ast.ImportFrom):
            after = self.record_names(s, [(a.asname or a.name) for a in rec.names if a.name != "*"])
        else:
            w.generic_visit(rec)
        # What the line changed is read before its placeholders run. Statements that leave the
        # block (`return`, `raise`, `break`, `continue`) would never reach that: they list no changes.
        changes = not isinstance(node, (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Pass))
        if changes:
            after.append(ast.Expr(value=_call("__tk_d__", _const(s))))
        if node.lineno in self.probe_lines:
            after.append(ast.Expr(value=_call("__tk_p__", _const(s))))
        start = ast.Expr(value=_call("__tk_s__", _const(s), _const(True))) if changes else self.start(s)
        return self.guarded(s, node, prefix + [start, rec] + after, [node])

    def visit_top(self, w: _Wrap, value: ast.expr) -> ast.expr:
        """Visit a statement's top-level expression without recording it as a sub-expression."""
        if isinstance(value, ast.Call):
            return w.visit_Call(value)
        if isinstance(
            value, (ast.Attribute, ast.Subscript, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp)
        ):
            ast.NodeTransformer.generic_visit(w, value)
            return value
        return w.visit(value)

    def do_If(self, node: ast.If) -> list[ast.stmt]:
        s = self.add_stmt(node, "header", end_line=node.test.end_lineno)
        node.test = self.header(s, node.test, "test")
        node.body = self.body(node.body)
        node.orelse = self.body(node.orelse)
        return [self.header_guard(s, node)]

    def do_While(self, node: ast.While) -> list[ast.stmt]:
        s = self.add_stmt(node, "header", end_line=node.test.end_lineno)
        names = self.loop_names(node)
        node.test = self.header(s, node.test, "test")
        self.loop_stack.append(None)
        try:
            node.body = self.body(node.body)
        finally:
            self.loop_stack.pop()
        node.orelse = self.body(node.orelse)
        return [self.header_guard(s, node)] + self.loop_end(node, names)

    def do_For(self, node: ast.For | ast.AsyncFor) -> list[ast.stmt]:
        s = self.add_stmt(node, "header", end_line=node.iter.end_lineno)
        names = self.loop_names(node)
        node.iter = self.header(s, node.iter, "iter", probe=False)
        f: int | None = None
        if isinstance(node, ast.For) and isinstance(node.iter, ast.IfExp):
            # On a recorded hit of the header, `__tk_L__` learns the iterable's length as the
            # loop starts: the body's gates open for its last iteration (tracekit.child.lasthit).
            f = len(self.loops)
            self.loops.append([s, []])
            node.iter.body = _loc(_call("__tk_L__", _const(f), node.iter.body), node.iter.body)
        targets = [n.id for n in _target_names(node.target)]
        pro = self.prologue(node, "iterate", targets, node.lineno)
        self.loop_stack.append(f)
        try:
            node.body = self.body(node.body, pro=pro)
        finally:
            self.loop_stack.pop()
        node.orelse = self.body(node.orelse)
        return [self.header_guard(s, node)] + self.loop_end(node, names)

    do_AsyncFor = do_For

    def loop_names(self, node: ast.For | ast.AsyncFor | ast.While) -> list[str]:
        v = _BoundInLoop()
        if isinstance(node, (ast.For, ast.AsyncFor)):
            v.visit(node.target)
        for st in node.body:
            v.visit(st)
        return v.names

    def loop_end(self, node: ast.For | ast.AsyncFor | ast.While, names: list[str]) -> list[ast.stmt]:
        if not names or self.in_class_body():
            return []
        s = self.add_stmt(node, "loopend", line=node.lineno, end_line=node.lineno)
        # A tuple of constants is a Constant to the compiler, but not in the stubs' value type.
        names_const = ast.Constant(value=tuple(names))  # type: ignore[arg-type]
        call = ast.Call(func=_name("__tk_e__"), args=[_const(s), names_const], keywords=[])
        stmt = ast.If(test=self.gate(s), body=[ast.Expr(value=call)], orelse=[])
        return [_loc(stmt, node)]

    def do_With(self, node: ast.With | ast.AsyncWith) -> list[ast.stmt]:
        last = node.items[-1].optional_vars or node.items[-1].context_expr
        s = self.add_stmt(node, "header", end_line=last.end_lineno)
        names = [
            n.id for item in node.items if item.optional_vars is not None for n in _target_names(item.optional_vars)
        ]
        for i, item in enumerate(node.items):
            si = (
                s if i == 0 else self.add_stmt(item.context_expr, "header-item", line=node.lineno, end_line=node.lineno)
            )
            # With `as` names, placeholders are evaluated after they are bound (in the prologue).
            item.context_expr = self.header(si, item.context_expr, "value", probe=not names and i == 0)
        pro = self.prologue(node, "bind", names, node.lineno)
        node.body = self.body(node.body, pro=pro)
        return [self.header_guard(s, node)]

    do_AsyncWith = do_With

    def do_Try(self, node: ast.Try | ast.TryStar) -> list[ast.stmt]:
        node.body = self.body(node.body)
        for h in node.handlers:
            pro = self.prologue(h, "bind", [h.name] if h.name else [], h.lineno)
            h.body = self.body(h.body, pro=pro)
        node.orelse = self.body(node.orelse)
        node.finalbody = self.body(node.finalbody)
        return [node]

    do_TryStar = do_Try

    def do_Match(self, node: ast.Match) -> list[ast.stmt]:
        s = self.add_stmt(node, "header", end_line=node.subject.end_lineno)
        node.subject = self.header(s, node.subject, "value")
        for case in node.cases:
            line = case.pattern.lineno
            pro = self.prologue(case.pattern, "bind", _pattern_names(case.pattern), line)
            case.body = self.body(case.body, pro=pro)
        return [self.header_guard(s, node)]

    def do_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
        a = node.args
        params = [p.arg for p in a.posonlyargs + a.args]
        params += [a.vararg.arg] if a.vararg else []
        params += [p.arg for p in a.kwonlyargs]
        params += [a.kwarg.arg] if a.kwarg else []
        self.scope.append(node.name)
        self.kinds.append("function")
        pro = self.prologue(node, "call", params, node.lineno)
        node.body = self.body(node.body, docstring=True, pro=pro)
        self.scope.pop()
        self.kinds.pop()
        return [node]

    do_AsyncFunctionDef = do_FunctionDef

    def do_ClassDef(self, node: ast.ClassDef) -> list[ast.stmt]:
        self.scope.append(node.name)
        self.kinds.append("class")
        node.body = self.body(node.body, docstring=True, scope_names=True)
        self.scope.pop()
        self.kinds.pop()
        return [node]


def _parse(source: bytes | str, filename: str) -> ast.Module:
    tree = ast.parse(source, filename=filename)
    _check_reserved(tree)
    return tree


def _decode(source: bytes | str) -> str:
    if isinstance(source, str):
        return source
    import io
    import tokenize

    enc, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    text = source.decode(enc)
    return text[1:] if text.startswith("\ufeff") else text


class _deep_recursion:
    """Room for the visitor's recursion on deeply nested expressions that python compiles fine."""

    def __enter__(self) -> None:
        self.saved = sys.getrecursionlimit()
        sys.setrecursionlimit(max(self.saved, 20_000))

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self.saved)


def _bootstrap(pkg_parent: str) -> list[ast.stmt]:
    """`__import__('sys').path.insert(0, PKG); __import__('tracekit.child.boot').child.boot.boot()`."""
    insert = ast.Call(
        func=ast.Attribute(
            value=ast.Attribute(value=_call("__import__", _const("sys")), attr="path", ctx=ast.Load()),
            attr="insert",
            ctx=ast.Load(),
        ),
        args=[_const(0), _const(pkg_parent)],
        keywords=[],
    )
    package = ast.Attribute(value=_call("__import__", _const("tracekit.child.boot")), attr="child", ctx=ast.Load())
    module = ast.Attribute(value=package, attr="boot", ctx=ast.Load())
    boot = ast.Call(func=ast.Attribute(value=module, attr="boot", ctx=ast.Load()), args=[], keywords=[])
    return [ast.Expr(value=insert), ast.Expr(value=boot)]


def _transform(
    source: bytes | str, filename: str, hits: int, probe_lines: set[int], pkg_parent: str | None = None
) -> tuple[ast.Module, _Instrumenter]:
    tree = _parse(source, filename)
    inst = _Instrumenter(_decode(source), hits, probe_lines)
    tree.body = inst.body(tree.body, docstring=True, module=True, boot=_bootstrap(pkg_parent) if pkg_parent else None)
    ast.fix_missing_locations(tree)
    return tree, inst


def instrument(
    source: bytes | str,
    filename: str,
    hits: int = DEFAULT_HITS,
    probe_lines: set[int] | frozenset[int] = frozenset(),
    pkg_parent: str | None = None,
) -> Instrumented:
    """Instrument SOURCE (as found at FILENAME) and compile it; SyntaxError on invalid input.

    With PKG_PARENT (the folder holding the tracekit package) the module starts by booting the
    child runtime, so that it can run as the main program of a child process.
    """
    import warnings

    # python warns while compiling (SyntaxWarning, DeprecationWarning); the instrumented tree
    # holds statements twice, so record the original's warnings once, to re-emit them verbatim.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile(source, filename, "exec", dont_inherit=True)
        original_warnings = [[w.category.__name__, str(w.message), w.lineno] for w in caught]
        warnings.simplefilter("ignore")
        try:
            with _deep_recursion():
                tree, inst = _transform(source, filename, hits, set(probe_lines), pkg_parent)
            code = compile(tree, filename, "exec", dont_inherit=True)
        except ReservedNameError:
            raise
        except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
            raise InstrumentError(f"{filename}: cannot be instrumented: {type(e).__name__}: {e}") from e
    rebinds = any(
        isinstance(n, ast.Name) and n.id == "__builtins__" and not isinstance(n.ctx, ast.Load) for n in ast.walk(tree)
    )
    return Instrumented(
        code=code,
        stmts=inst.stmts,
        exprs=inst.exprs,
        warnings=original_warnings,
        rebinds_builtins=rebinds,
        loops=inst.loops,
    )


def instrumented_source(source: bytes | str, filename: str = "<script>", hits: int = DEFAULT_HITS) -> str:
    """The instrumented program as Python source, for debugging; SyntaxError as python gives it."""
    compile(source, filename, "exec", dont_inherit=True)  # errors only the compiler finds (`return` at top level)
    with _deep_recursion():
        tree, _ = _transform(source, filename, hits, set())
    return ast.unparse(tree) + "\n"
