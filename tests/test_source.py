"""Tests for tracekit.source: the authored model read from an example file."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT

from tracekit.source import (
    AuthoringError,
    Example,
    Item,
    ListingLine,
    Note,
    Placeholder,
    read_example,
    split_prose,
)

EXAMPLES = ROOT / "examples"
CHAPTER = ["numpy_to_pytorch", "pytorch_operations", "first_gradient", "neuron_comparison", "one_step_of_learning"]


def write(tmp_path: Path, source: str | bytes, name: str = "example.py") -> Path:
    """Write SOURCE (dedented if text) to tmp_path/NAME and return the path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        path.write_text(textwrap.dedent(source), encoding="utf-8", newline="")
    return path


def read(tmp_path: Path, source: str | bytes, name: str = "example.py") -> Example:
    """Read SOURCE as an example under tmp_path."""
    return read_example(write(tmp_path, source, name), tmp_path)


def fails(tmp_path: Path, source: str | bytes) -> AuthoringError:
    """Read SOURCE, expecting an AuthoringError, and return it."""
    with pytest.raises(AuthoringError) as caught:
        read(tmp_path, source)
    return caught.value


def shown(example: Example) -> list[tuple[int, int, str]]:
    """The listing as (display number, original line, text) triples."""
    return [(entry.number, entry.line, entry.text) for entry in example.listing]


def spans(example: Example) -> list[tuple[str, int, int, int, int, str]]:
    """Each item as (kind, line, end_line, number, end_number, code)."""
    return [(i.kind, i.line, i.end_line, i.number, i.end_number, i.code) for i in example.items]


# ── title, intro, path ───────────────────────────────────────────────────────


def test_title_and_intro_from_docstring(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        '''\
        """Your First Gradient

        Compute *y* and its derivative.

        Second paragraph.
        """
        x = 1
        ''',
    )
    assert example.title == "Your First Gradient"
    assert example.intro == "Compute *y* and its derivative.\n\nSecond paragraph."
    assert shown(example) == [(1, 7, "x = 1")]
    assert example.path == "example.py"


def test_docstring_starting_on_the_second_line(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        '''\
        """
            Indented Title
            Intro line.
        """
        ''',
    )
    assert (example.title, example.intro, example.listing, example.items) == ("Indented Title", "Intro line.", [], [])


def test_no_docstring_title_is_humanised_stem(tmp_path: Path) -> None:
    example = read(tmp_path, "x = 1\n", name="first_gradient.py")
    assert example.title == "First gradient"
    assert example.intro == ""


def test_string_that_is_not_first_is_code(tmp_path: Path) -> None:
    example = read(tmp_path, 'x = 1\n"""not a docstring"""\n', name="a-b_c.py")
    assert example.title == "A b c"
    assert shown(example) == [(1, 1, "x = 1"), (2, 2, '"""not a docstring"""')]


def test_path_relative_to_root_is_posix(tmp_path: Path) -> None:
    path = write(tmp_path, "x = 1\n", name="sub/dir/ex.py")
    assert read_example(path, tmp_path).path == "sub/dir/ex.py"
    assert read_example(path, tmp_path / "sub").path == "dir/ex.py"
    assert read_example(path).path == path.as_posix()


def test_path_relative_to_root_given_as_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "x = 1\n", name="examples/a/b.py")
    monkeypatch.chdir(tmp_path)
    assert read_example(Path("examples/a/b.py"), Path("examples")).path == "a/b.py"
    assert read_example(tmp_path / "examples/a/b.py", Path("examples")).path == "a/b.py"


# ── listing ──────────────────────────────────────────────────────────────────


def test_listing_drops_authoring_lines_and_renumbers(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        '''\
        #!/usr/bin/env python
        """Title."""
        # tracekit: seed=1

        import os
        import sys  # tracekit: hide

        #: Prose.
        x = 1   # tracekit: rows=a,b
        # tracekit: image
        y = 2   \n\n
        ''',
    )
    assert shown(example) == [
        (1, 5, "import os"),
        (2, 7, ""),
        (3, 9, "x = 1"),
        (4, 11, "y = 2"),
    ]
    assert example.hidden == [(6, 6)]
    assert example.options == {"seed": 1}


def test_listing_collapses_blank_lines_left_by_removed_lines(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        a = 1

        # tracekit: device=cpu

        b = 2


        c = 3
        """,
    )
    # Lines 2 and 4 are both blank around a removed line: one is kept. Lines 6-7 were a
    # double blank in the source and stay.
    assert shown(example) == [(1, 1, "a = 1"), (2, 2, ""), (3, 5, "b = 2"), (4, 6, ""), (5, 7, ""), (6, 8, "c = 3")]


def test_trailing_directive_after_plain_comment_keeps_the_comment(tmp_path: Path) -> None:
    example = read(tmp_path, "print(1)  # shows 1  # tracekit: image\n")
    assert shown(example) == [(1, 1, "print(1)  # shows 1")]
    assert example.items[0].image is True
    assert example.items[0].code == "print(1)  # shows 1"


def test_shebang_and_encoding_cookie_are_not_shown(tmp_path: Path) -> None:
    example = read(tmp_path, "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# kept\nx = 1\n# tracekit: prose=authored\n")
    assert shown(example) == [(1, 3, "# kept"), (2, 4, "x = 1")]
    assert [item.kind for item in example.items] == ["comment", "code"]


def test_cookie_lookalike_on_line_three_is_a_comment(tmp_path: Path) -> None:
    example = read(tmp_path, "x = 1\n# coding: utf-8\n")
    assert shown(example) == [(1, 1, "x = 1"), (2, 2, "# coding: utf-8")]


# ── items ────────────────────────────────────────────────────────────────────


def test_items_for_simple_and_multiline_statements(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        import torch
        # A comment
        X = torch.tensor([
            [1.0, 2.0],  # first row
            # inner comment
            [3.0, 4.0],
        ])
        a = 1; b = 2
        # tracekit: prose=authored
        """,
    )
    assert spans(example) == [
        ("code", 1, 1, 1, 1, "import torch"),
        ("comment", 2, 2, 2, 2, "# A comment"),
        ("code", 3, 7, 3, 7, "X = torch.tensor([\n    [1.0, 2.0],  # first row\n    # inner comment\n    [3.0, 4.0],\n])"),
        ("code", 8, 8, 8, 8, "a = 1; b = 2"),
    ]


def test_compound_statements_cover_only_their_header(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        for i in range(3):
            # body comment
            if i:
                pass
            elif i > 1:
                pass
            else:
                pass
        try:
            x = 1
        except ValueError as error:
            x = 2
        else:
            x = 3
        finally:
            x = 4
        with open(
            "f"
        ) as f:
            pass
        while False: pass
        # tracekit: prose=authored
        """,
    )
    assert [(kind, line, end, number, code) for kind, line, end, number, _, code in spans(example)] == [
        ("code", 1, 1, 1, "for i in range(3):"),
        ("comment", 2, 2, 2, "    # body comment"),
        ("code", 3, 3, 3, "    if i:"),
        ("code", 4, 4, 4, "        pass"),
        ("code", 5, 5, 5, "    elif i > 1:"),
        ("code", 6, 6, 6, "        pass"),
        ("code", 7, 7, 7, "    else:"),
        ("code", 8, 8, 8, "        pass"),
        ("code", 9, 9, 9, "try:"),
        ("code", 10, 10, 10, "    x = 1"),
        ("code", 11, 11, 11, "except ValueError as error:"),
        ("code", 12, 12, 12, "    x = 2"),
        ("code", 13, 13, 13, "else:"),
        ("code", 14, 14, 14, "    x = 3"),
        ("code", 15, 15, 15, "finally:"),
        ("code", 16, 16, 16, "    x = 4"),
        ("code", 17, 19, 17, 'with open(\n    "f"\n) as f:'),
        ("code", 20, 20, 20, "    pass"),
        ("code", 21, 21, 21, "while False: pass"),
    ]


def test_decorated_function_and_class(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        '''\
        #: A decorated function.
        @staticmethod
        # between decorators
        @property
        def f(a,
              b):  # tracekit: image
            """Docstring of f."""
            return a


        class C:
            x: int = 0
        ''',
    )
    assert spans(example) == [
        ("code", 2, 6, 1, 5, "@staticmethod\n# between decorators\n@property\ndef f(a,\n      b):"),
        ("code", 7, 7, 6, 6, '    """Docstring of f."""'),
        ("code", 8, 8, 7, 7, "    return a"),
        ("code", 11, 11, 10, 10, "class C:"),
        ("code", 12, 12, 11, 11, "    x: int = 0"),
    ]
    assert example.items[0].prose == "A decorated function."
    assert example.items[0].image is True


def test_match_statement_cases_are_items(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        match 1:
            #: The first case.
            case 1:
                pass
            case _:  # tracekit: raises
                pass
        """,
    )
    assert [(i.line, i.code, i.prose, i.raises) for i in example.items] == [
        (1, "match 1:", "", None),
        (3, "    case 1:", "The first case.", None),
        (4, "        pass", "", None),
        (5, "    case _:", "", "BaseException"),
        (6, "        pass", "", None),
    ]


# ── prose and notes ──────────────────────────────────────────────────────────


def test_prose_paragraphs_and_markdown(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        #:
        #: First *paragraph*,
        #: continued.
        #:
        #:     indented code block
        #:
        x = 1
        """,
    )
    assert example.items[0].prose == "First *paragraph*,\ncontinued.\n\n    indented code block"


def test_prose_attaches_across_blank_lines_and_to_comments(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        #: About the section.
        # Section
        #: About x.

        x = 1
        for i in range(2):
            #: About the body.
            y = i
        #: About z, written after a dedent.
        z = 3
        """,
    )
    assert [(i.kind, i.line, i.prose) for i in example.items] == [
        ("comment", 2, "About the section."),
        ("code", 5, "About x."),
        ("code", 6, ""),
        ("code", 8, "About the body."),
        ("code", 10, "About z, written after a dedent."),
    ]


def test_notes_both_spellings_and_continuations(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        #: Prose before.
        #: 📚 torch.tensor(data, requires_grad=True) = Creates a tensor.
        #: api: np.array = Creates an array
        #:    from a list.
        #: → calculation = 1 + 2 = {x}
        #: -> why = Because.
        #:
        #: Prose after.
        #:    Indented prose after a blank line stays prose.
        #: 📚torch = No space needed after the book.
        x = 3
        """,
    )
    item = example.items[0]
    assert item.notes == [
        Note("api", "torch.tensor(data, requires_grad=True)", "Creates a tensor."),
        Note("api", "np.array", "Creates an array from a list."),
        Note("derived", "calculation", "1 + 2 = {x}"),
        Note("derived", "why", "Because."),
        Note("api", "torch", "No space needed after the book."),
    ]
    assert item.prose == "Prose before.\n\nProse after.\n   Indented prose after a blank line stays prose."
    assert example.probes == {11: ["x"]}


def test_ascii_marker_needs_a_space(tmp_path: Path) -> None:
    example = read(tmp_path, "#: api:v2 is prose, ->x too\nx = 1\n")
    assert example.items[0].prose == "api:v2 is prose, ->x too"
    assert example.items[0].notes == []


# ── directives ───────────────────────────────────────────────────────────────


def test_statement_directives_trailing_and_standalone(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        # tracekit: rows=a,b cols="height weight age"
        a = 1
        b = 2  # tracekit: raises=torch.cuda.OutOfMemoryError image
        # tracekit: raises
        #: Prose between the directive and its statement.
        # tracekit: cols="quiz 1,quiz 2"
        c = 3
        d = [1,
             2]  # tracekit: rows=x,y
        """,
    )
    got = [(i.line, i.raises, i.rows, i.cols, i.image, i.hide, i.prose) for i in example.items]
    assert got == [
        (2, None, ["a", "b"], ["height", "weight", "age"], False, False, ""),
        (3, "torch.cuda.OutOfMemoryError", None, None, True, False, ""),
        (7, "BaseException", None, ["quiz 1", "quiz 2"], False, False, "Prose between the directive and its statement."),
        (8, None, ["x", "y"], None, False, False, ""),
    ]
    assert shown(example) == [(1, 2, "a = 1"), (2, 3, "b = 2"), (3, 7, "c = 3"), (4, 8, "d = [1,"), (5, 9, "     2]")]


def test_hide_a_compound_statement_hides_its_body(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        import os
        # tracekit: hide
        def helper():
            # a comment in the hidden body
            # tracekit: seed=4
            return 1  # tracekit: raises
        # after
        x = helper()
        # tracekit: prose=authored
        """,
    )
    assert shown(example) == [(1, 1, "import os"), (2, 7, "# after"), (3, 8, "x = helper()")]
    assert example.hidden == [(3, 6)]
    assert [(i.kind, i.line, i.raises) for i in example.items] == [("code", 1, None), ("comment", 7, None), ("code", 8, None)]
    assert example.options == {"seed": 4}


@pytest.mark.parametrize(
    ("directive", "options"),
    [
        ("device=cpu", {"device": "cpu"}),
        ("device=cuda", {"device": "cuda"}),
        ("device=cuda:1", {"device": "cuda:1"}),
        ("device=mps", {"device": "mps"}),
        ("device=auto", {"device": "auto"}),
        ("seed=0", {"seed": 0}),
        ("seed=12345", {"seed": 12345}),
        ("timeout=30", {"timeout": 30.0}),
        ("timeout=2.5", {"timeout": 2.5}),
        ("hits=1", {"hits": 1}),
        ("memory=512M", {"memory": 512 * 2**20}),
        ("memory=2G", {"memory": 2 * 2**30}),
        ("memory=1.5g", {"memory": 3 * 2**29}),
        ("memory=64KiB", {"memory": 64 * 2**10}),
        ("memory=1TB", {"memory": 2**40}),
        ("memory=1000", {"memory": 1000}),
        ("seed=1 hits=5 device=cpu timeout=9 memory=1G", {"seed": 1, "hits": 5, "device": "cpu", "timeout": 9.0, "memory": 2**30}),
    ],
)
def test_file_options_are_typed(tmp_path: Path, directive: str, options: dict[str, Any]) -> None:
    example = read(tmp_path, f"# tracekit: {directive}\n\nx = 1\n")
    assert example.options == options
    assert shown(example) == [(1, 3, "x = 1")]


def test_file_options_anywhere_and_mixed_with_statement_keys(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        '''\
        """Title."""  # tracekit: timeout=5
        x = 1  # tracekit: seed=2 image
        # tracekit: hits=4 raises=ValueError
        y = 2
        ''',
    )
    assert example.options == {"timeout": 5.0, "seed": 2, "hits": 4}
    assert [(i.line, i.image, i.raises) for i in example.items] == [(2, True, None), (4, False, "ValueError")]


def test_no_options_gives_empty_dict(tmp_path: Path) -> None:
    assert read(tmp_path, "x = 1\n").options == {}


# ── probes ───────────────────────────────────────────────────────────────────


def test_probes_keyed_by_statement_line(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        import torch
        #: Loss {loss.item():.4f}, again {loss.item():.4f}, {{not a probe}}.
        #: Shape {tuple(x.shape)!r} and {d['a:b']} and {f(a, b=2)[1:3]}.
        #: → check = {a != b!s}
        loss = torch.tensor(1.0)
        for i in range(3):
            #: Step {i}.
            total = i
        x = d = f = a = b = None
        """,
    )
    assert example.probes == {
        5: ["loss.item():.4f", "tuple(x.shape)!r", "d['a:b']", "f(a, b=2)[1:3]", "a != b!s"],
        8: ["i"],
    }
    assert (
        example.items[1].prose
        == "Loss {loss.item():.4f}, again {loss.item():.4f}, {{not a probe}}.\nShape {tuple(x.shape)!r} and {d['a:b']} and {f(a, b=2)[1:3]}."
    )


def test_probes_of_comment_prose_go_to_the_next_statement(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        a = 1
        #: Section about {b}.
        # Section
        #: Subsection {b + 1}.
        # Subsection
        #: Own {b * 2}.

        b = 2
        #: Closing {b - 1}.
        # End
        """,
    )
    assert example.probes == {8: ["b", "b + 1", "b * 2", "b - 1"]}


def test_probes_skip_hidden_statements(tmp_path: Path) -> None:
    example = read(
        tmp_path,
        """\
        #: Section {x}.
        # Section
        setup = 0  # tracekit: hide
        x = 1
        """,
    )
    assert example.probes == {4: ["x"]}


# ── split_prose ──────────────────────────────────────────────────────────────


def test_split_prose_parts() -> None:
    assert split_prose("Loss {loss.item():.4f}{{x}} and {x!r:>8} end") == [
        "Loss ",
        Placeholder("loss.item():.4f", "loss.item()", None, ".4f"),
        "{x} and ",
        Placeholder("x!r:>8", "x", "r", ">8"),
        " end",
    ]


@pytest.mark.parametrize(
    ("text", "expr", "conversion", "spec"),
    [
        ("{x[1:3]}", "x[1:3]", None, ""),
        ("{d['}']}", "d['}']", None, ""),
        ('{d["a:b"]:>5}', 'd["a:b"]', None, ">5"),
        ("{ {1: 2}[1] }", "{1: 2}[1]", None, ""),
        ("{a != b}", "a != b", None, ""),
        ("{a!=b!a}", "a!=b", "a", ""),
        ("{f(a, b=2).c}", "f(a, b=2).c", None, ""),
        ("{x:}", "x", None, ""),
        ("{sum(p.numel() for p in m.parameters()):,}", "sum(p.numel() for p in m.parameters())", None, ","),
        ("{x!s}", "x", "s", ""),
    ],
)
def test_split_prose_expressions(text: str, expr: str, conversion: str | None, spec: str) -> None:
    (placeholder,) = split_prose(text)
    assert isinstance(placeholder, Placeholder)
    assert (placeholder.source, placeholder.expr, placeholder.conversion, placeholder.spec) == (text[1:-1], expr, conversion, spec)


def test_split_prose_plain_text() -> None:
    assert split_prose("no placeholders, }} {{") == ["no placeholders, } {"]
    assert split_prose("") == []


# ── errors ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("x = 1\n# tracekit: hid\n", 2, "unknown directive key 'hid'"),
        ("x = 1  # tracekit: Hide\n", 1, "unknown directive key 'Hide'"),
        ("# tracekit:\nx = 1\n", 1, "empty directive"),
        ("# tracekit:   \nx = 1\n", 1, "empty directive"),
        ('# tracekit: cols="a b\nx = 1\n', 1, "malformed directive"),
        ("# tracekit: seed = 1\nx = 1\n", 1, "no spaces around '='"),
        ("# tracekit: hide=yes\nx = 1\n", 1, "bad value for hide: 'yes'; expected no value"),
        ("# tracekit: image=1\nx = 1\n", 1, "bad value for image"),
        ("# tracekit: raises=\nx = 1\n", 1, "bad value for raises: ''"),
        ("# tracekit: raises=not-a-name\nx = 1\n", 1, "bad value for raises"),
        ("# tracekit: rows=\nx = 1\n", 1, "bad value for rows"),
        ("# tracekit: cols=a,,b\nx = 1\n", 1, "bad value for cols"),
        ("# tracekit: device=tpu\n", 1, "bad value for device: 'tpu'"),
        ("# tracekit: device=cuda:x\n", 1, "bad value for device"),
        ("# tracekit: device\n", 1, "bad value for device: no value"),
        ("# tracekit: seed=x\n", 1, "bad value for seed: 'x'"),
        ("# tracekit: seed=-1\n", 1, "bad value for seed"),
        ("# tracekit: seed=1.5\n", 1, "bad value for seed"),
        ("# tracekit: timeout=0\n", 1, "bad value for timeout"),
        ("# tracekit: timeout=-3\n", 1, "bad value for timeout"),
        ("# tracekit: timeout=inf\n", 1, "bad value for timeout"),
        ("# tracekit: timeout=soon\n", 1, "bad value for timeout"),
        ("# tracekit: hits=0\n", 1, "bad value for hits"),
        ("# tracekit: hits=2.0\n", 1, "bad value for hits"),
        ("# tracekit: memory=lots\n", 1, "bad value for memory"),
        ("# tracekit: memory=0G\n", 1, "bad value for memory"),
        ("# tracekit: memory=2X\n", 1, "bad value for memory"),
        ("# tracekit: hide hide\nx = 1\n", 1, "directive key 'hide' given twice"),
        ("# tracekit: image\nx = 1  # tracekit: image\n", 2, "directive key 'image' given twice for the statement on line 2"),
        ("# tracekit: seed=1\n# tracekit: seed=2\n", 2, "file option 'seed' already set on line 1"),
        ("x = 1  # tracekit: seed=1\ny = 2  # tracekit: seed=1\n", 2, "file option 'seed' already set on line 1"),
        ("x = 1\n# tracekit: hide\n", 2, "statement directive with no statement below it"),
        ("x = 1\n# tracekit: raises\n# a comment\ny = 2\n", 2, "not above the comment on line 3"),
        ("if x:\n    pass\n    # tracekit: image\n", 3, "statement directive with no statement below it"),
        ("x = [\n    # tracekit: image\n    1,\n]\n", 2, "directive inside a statement"),
        ("x = [\n    1,  # tracekit: bogus\n]\n", 2, "unknown directive key 'bogus'"),
        ('"""Doc."""  # tracekit: hide\n', 1, "statement directive on the module docstring"),
        ('# tracekit: raises\n"""Doc."""\n', 1, "statement directive on the module docstring"),
        ("if x:\n    pass\nelse:  # tracekit: hide\n    pass\n", 3, "hide applies to whole statements"),
    ],
)
def test_directive_errors(tmp_path: Path, source: str, line: int, message: str) -> None:
    error = fails(tmp_path, source)
    assert error.line == line
    assert message in error.message
    assert error.path == "example.py"
    assert str(error).startswith(f"example.py:{line}")


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("x = 1  #: not here\n", 1, "'#:' prose must be on its own line(s)"),
        ("x = [\n    #: not here\n    1,\n]\n", 2, "'#:' prose must be on its own line(s)"),
        ("@a\n#: not here\n@b\ndef f(): pass\n", 2, "'#:' prose must be on its own line(s)"),
        ("x = 1\n#: dangling\n", 2, "'#:' prose with no statement or comment below it"),
        ("x = 1\n#: dangling\n\n#: more\n", 2, "'#:' prose with no statement or comment below it"),
        ('#: too early\n"""Doc."""\n', 1, "'#:' prose above the module docstring"),
        ("#: hidden\nimport os  # tracekit: hide\n", 1, "'#:' prose above a hidden statement"),
        ("# tracekit: hide\ndef f():\n    #: inside\n    return 1\n", 3, "'#:' prose inside a hidden statement"),
        ("#: 📚 torch.dot\nx = 1\n", 1, "note must read '📚 NAME = TEXT'"),
        ("#: ok\n#: → name =\nx = 1\n", 2, "note must read '→ NAME = TEXT'"),
        ("#: api:  = text\nx = 1\n", 1, "note must read 'api: NAME = TEXT'"),
        ("#: -> a=b\nx = 1\n", 1, "note must read '-> NAME = TEXT'"),
        ("#: Value {x +}.\nx = 1\n", 1, "placeholder {x +} is not a Python expression"),
        ("#: ok\n#: Value {x.\nx = 1\n", 2, "placeholder is not closed"),
        ("#: Value {x:.2f\nx = 1\n", 1, "placeholder is not closed"),
        ("#: Value x}.\nx = 1\n", 1, "single '}' in prose"),
        ("#: Value {}.\nx = 1\n", 1, "empty placeholder"),
        ("#: Value {  }.\nx = 1\n", 1, "empty placeholder"),
        ("#: Value {x!q}.\nx = 1\n", 1, "conversion must be !r, !s or !a"),
        ("#: Value {x!r.\nx = 1\n", 1, "expected ':' or '}' after the conversion"),
        ("#: Value {x:{w}}.\nx = 1\n", 1, "nested placeholders"),
        ("#: Value {x)}.\nx = 1\n", 1, "unbalanced ')'"),
        ("#: → a = {import os}\nx = 1\n", 1, "is not a Python expression"),
        ("#: About {__name__}.\n# only a comment\n", 2, "no statement to evaluate it after"),
    ],
)
def test_prose_errors(tmp_path: Path, source: str, line: int, message: str) -> None:
    error = fails(tmp_path, source)
    assert error.line == line
    assert message in error.message


def test_braces_in_math_and_fenced_code_are_not_placeholders(tmp_path: Path) -> None:
    example = read(tmp_path, "#: $\\frac{a}{b}$ is {x}, and\n#: $$\n#: {c}\n#: $$\n#: ```\n#: {d}\n#: ```\nx = 1\n")
    assert example.probes == {8: ["x"]}
    assert example.items[0].prose.startswith("$\\frac{a}{b}$ is {x}")


def test_placeholder_error_reports_column(tmp_path: Path) -> None:
    error = fails(tmp_path, "#: Value {x +}.\nx = 1\n")
    assert error.column == 10
    assert str(error).startswith("example.py:1:10: placeholder {x +} is not a Python expression")


def test_docstring_sharing_its_line_is_refused(tmp_path: Path) -> None:
    error = fails(tmp_path, '"""Doc."""; x = 1\n')
    assert (error.line, error.message) == (1, "put the module docstring on lines of its own")


def test_authoring_error_pickles() -> None:
    error = AuthoringError("a.py", 3, "bad", 7)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.line, copy.message, copy.column, str(copy)) == ("a.py", 3, "bad", 7, "a.py:3:7: bad")
    assert str(AuthoringError("a.py", 3, "bad")) == "a.py:3: bad"


# ── syntax errors ────────────────────────────────────────────────────────────


def test_syntax_error_has_line_column_and_caret(tmp_path: Path) -> None:
    error = fails(tmp_path, "x = 1\ny = (2 +\nz = 3\n")
    assert (error.line, error.column) == (2, 5)
    assert error.message == "SyntaxError: '(' was never closed (line 2, column 5)\n    y = (2 +\n        ^"


def test_syntax_error_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    error = fails(tmp_path, 's = "ééé" + x y\n')
    assert error.line == 1
    assert error.message.endswith('    s = "ééé" + x y\n                  ^')
    assert error.column == 15


def test_syntax_error_caret_keeps_tabs(tmp_path: Path) -> None:
    error = fails(tmp_path, "if 1:\n\tx = = 2\n")
    assert error.line == 2
    assert error.message.splitlines()[1:] == ["    \tx = = 2", "    \t    ^"]


def test_indentation_and_tab_errors(tmp_path: Path) -> None:
    error = fails(tmp_path, "x = 1\n    y = 2\n")
    assert error.line == 2 and error.message.startswith("IndentationError: unexpected indent")
    error = fails(tmp_path, b"if 1:\n\tif 1:\n        pass\n")
    assert error.line == 3 and error.message.startswith("TabError")


# ── encodings and line endings ───────────────────────────────────────────────


def test_bom_crlf_tabs_and_form_feeds(tmp_path: Path) -> None:
    source = '\ufeff"""Title \u2028 kept."""\r\nx = 1\r\n\x0c\r\nif x:\r\n\ty = "\u2028"  # tracekit: raises\r\n\x0cz = 3\r\n'
    example = read(tmp_path, source.encode("utf-8"))
    assert example.title == "Title \u2028 kept."
    assert shown(example) == [(1, 2, "x = 1"), (2, 3, ""), (3, 4, "if x:"), (4, 5, '\ty = "\u2028"'), (5, 6, "z = 3")]
    assert [(i.line, i.number, i.raises) for i in example.items] == [(2, 1, None), (4, 3, None), (5, 4, "BaseException"), (6, 5, None)]


def test_lone_carriage_returns(tmp_path: Path) -> None:
    example = read(tmp_path, b'"""T"""\rx = 1\r# c\ry = 2\r')
    assert shown(example) == [(1, 2, "x = 1"), (2, 3, "# c"), (3, 4, "y = 2")]


def test_latin1_cookie(tmp_path: Path) -> None:
    example = read(tmp_path, '# -*- coding: latin-1 -*-\n"""Café."""\n#: Prose about café.\nname = "café"\n'.encode("latin-1"))
    assert example.title == "Café."
    assert example.items[0].prose == "Prose about café."
    assert shown(example) == [(1, 4, 'name = "café"')]


def test_bad_encoding_declaration_and_undecodable_bytes(tmp_path: Path) -> None:
    error = fails(tmp_path, b"# coding: klingon\nx = 1\n")
    assert error.line == 1 and "bad encoding declaration" in error.message
    error = fails(tmp_path, b"x = 1\ny = '\xff'\n")
    assert error.line == 2 and "cannot decode as utf-8" in error.message


def test_null_byte(tmp_path: Path) -> None:
    error = fails(tmp_path, b"x = 1\r\ny = 2\0\n")
    assert (error.line, error.message) == (2, "source code cannot contain null bytes")


def test_file_without_final_newline_and_empty_file(tmp_path: Path) -> None:
    assert shown(read(tmp_path, "x = 1")) == [(1, 1, "x = 1")]
    empty = read(tmp_path, "", name="empty.py")
    assert (empty.title, empty.listing, empty.items, empty.probes) == ("Empty", [], [], {})


def test_full_model(tmp_path: Path) -> None:
    """One small file, every field of the model checked."""
    example = read(
        tmp_path,
        '''\
        """Tiny

        Intro.
        """
        # tracekit: seed=0

        #: Prose {x}.
        #: 📚 f = Note.
        x = 1
        # Done
        ''',
        name="tiny.py",
    )
    assert example == Example(
        path="tiny.py",
        title="Tiny",
        intro="Intro.",
        options={"seed": 0},
        listing=[ListingLine(1, 9, "x = 1"), ListingLine(2, 10, "# Done")],
        items=[
            Item("code", 9, 9, 1, 1, "x = 1", prose="Prose {x}.", notes=[Note("api", "f", "Note.")]),
            Item("comment", 10, 10, 2, 2, "# Done"),
        ],
        probes={9: ["x"]},
        hidden=[],
    )


# ── the shipped examples ─────────────────────────────────────────────────────


def example_paths() -> list[Path]:
    """Every example script."""
    return sorted(EXAMPLES.glob("*.py"))


def test_there_are_the_chapter_examples_and_more() -> None:
    names = {path.stem for path in example_paths()}
    assert set(CHAPTER) <= names
    assert {"training_loop", "numpy_broadcasting", "backward_twice", "prose_interpolation"} <= names
    assert len(names) >= 10


@pytest.mark.parametrize("path", example_paths(), ids=lambda path: path.stem)
def test_example_parses(path: Path) -> None:
    example = read_example(path, EXAMPLES)
    assert example.path == path.name
    assert example.title and example.intro
    assert example.listing[0].number == 1
    assert [entry.number for entry in example.listing] == list(range(1, len(example.listing) + 1))
    if example.prose_source == "authored":
        assert example.probes, "every authored example shows at least one number from the run"
    else:  # gallery text has no placeholders: braces there are text
        assert example.texts and not example.probes


@pytest.mark.parametrize(
    ("name", "lines", "last"),
    [
        ("numpy_to_pytorch", 34, "print(X.shape)"),
        ("pytorch_operations", 24, "print(result)"),
        ("first_gradient", 16, "# Verify: dy/dx = 2x + 3"),
        ("neuron_comparison", 36, 'print(f"  Z.grad_fn = {Z.grad_fn}")'),
        ("one_step_of_learning", 40, "b.grad.zero_()"),
    ],
)
def test_chapter_listings_keep_the_chapter_numbering(name: str, lines: int, last: str) -> None:
    example = read_example(EXAMPLES / f"{name}.py", EXAMPLES)
    assert len(example.listing) == lines
    assert example.listing[-1].text == last
    # Every line the chapter explains has prose of its own.
    assert all(item.prose for item in example.items)


def test_one_step_marks_its_matrices() -> None:
    example = read_example(EXAMPLES / "one_step_of_learning.py", EXAMPLES)
    labelled = {item.number: (item.rows, item.cols) for item in example.items if item.rows or item.cols}
    people = ["person 0", "person 1", "person 2", "person 3"]
    assert labelled == {5: (people, ["height", "weight", "age"]), 12: (None, ["height", "weight", "age"]), 17: (people, None)}


def test_backward_twice_expects_runtime_error() -> None:
    example = read_example(EXAMPLES / "backward_twice.py", EXAMPLES)
    assert [(item.code.strip(), item.raises) for item in example.items if item.raises] == [("y.backward()", "RuntimeError")]


@pytest.mark.parametrize("path", example_paths(), ids=lambda path: path.stem)
def test_example_runs_deterministically_and_its_probes_evaluate(path: Path) -> None:
    """Each example, run twice by the engine with its placeholders, gives byte-identical traces."""
    pytest.importorskip("torch")
    from tracekit.run import trace_file
    from tracekit.trace import dumps

    example = read_example(path, EXAMPLES)
    runs = [trace_file(path, probes=example.probes, capture=True, seed=example.options.get("seed", 0)) for _ in range(2)]
    trace = runs[0].trace.to_dict()
    assert not trace.get("placeholder_errors"), trace.get("placeholder_errors")
    expected = {item.raises for item in example.items if item.raises}
    assert trace["status"] == "ok" or (trace["error"] or {}).get("type", "").split(".")[-1] in expected, trace["error"]
    evaluated = {key for ln in trace["lines"] for rec in ln["records"] for key in rec.get("probes", {})}
    missing = [source for sources in example.probes.values() for source in sources if source not in evaluated]
    assert not missing, f"placeholders never evaluated: {missing}"
    assert dumps(runs[0].trace.to_dict()) == dumps(runs[1].trace.to_dict())


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("#: One is {1}.\nx = 1\n", 1, "placeholder {1} is a constant, not a value from the run; to show braces as text write {{1}}"),
        ("#: Text\n#: with {n} in it.\nx = 1\n", 2, "placeholder {n}: 'n' is never bound in this file; to show braces as text write {{n}}"),
        ("#: → note = {'a'.upper()}\nx = 1\n", 1, "placeholder {'a'.upper()} is a constant"),
    ],
)
def test_constant_placeholders_suggest_doubled_braces(tmp_path: Path, source: str, line: int, message: str) -> None:
    error = fails(tmp_path, source)
    assert error.line == line
    assert message in error.message


def test_placeholders_may_name_builtins_and_names_bound_later(tmp_path: Path) -> None:
    example = read(tmp_path, "#: {len(xs)} items, the last {last}.\nxs = [1, 2]\nfor last in xs:\n    pass\n")
    assert example.probes == {2: ["len(xs)", "last"]}


def test_names_a_placeholder_binds_itself_are_its_own(tmp_path: Path) -> None:
    source = "#: {sum(p * 2 for p in xs)}, {list(map(lambda k: k + n, xs))}, {[y := len(xs), y]}\nxs = [1, 2]\nn = 1\n"
    assert read(tmp_path, source).probes == {2: ["sum(p * 2 for p in xs)", "list(map(lambda k: k + n, xs))", "[y := len(xs), y]"]}
    assert "'q' is never bound" in fails(tmp_path, "#: {sum(q for p in xs)}\nxs = [1]\n").message
