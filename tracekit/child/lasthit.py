"""The last hit of every line, recorded in the one run: thinned counters and last-iteration windows.

A statement's gate is ``next(__tk_c__[S]) < N``. Here its counter (a ``Counter``) answers below N
on the first N hits and again on hits 4, 8, 16, … (1-based powers of two past N), so a line hit
70,000 times is also recorded on hit 65,536: the latest such record is kept as the line's last
seen hit. Counting stays in C (``itertools.chain`` over ``range``/``repeat`` pieces); Python runs
once per piece, a logarithmic number of times.

A ``for`` loop over a value whose length is known when it starts (range, list, tuple, str,
bytes, dict and its views, a numpy array, a torch tensor) is wrapped, when its header's hit is
itself recorded, so that its body's statements open their gates for the whole of its last
iteration (``Windows.loop``): the last hit of a loop body line is recorded exactly, nested loops
included (an inner loop's header is recorded in its outer loop's last iteration). Nothing here
depends on timing, so pages stay reproducible. Whether a record is a line's last hit is decided
when the run is over, by its hit number: a list that grew while it was iterated, or a line
skipped in the last iteration, shows the latest hit it recorded, named as such.

Imported by the child: the standard library only.
"""

from __future__ import annotations

import itertools
import operator
import sys

TYPE_CHECKING = False  # `typing` is not imported at run time: this module starts every child
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["Counter", "Windows", "thinned_hits"]

# The hooks run inside the program, which may delete or replace builtins (CPython's test_iter
# swaps `iter` for a key whose __eq__ exhausts an iterator): every builtin they use is bound here,
# at import, so a gate or a loop's window never looks one up while the program runs.
_iter, _range, _len, _type, _int, _map, _object, _getattr, _Exception = (
    iter,
    range,
    len,
    type,
    int,
    map,
    object,
    getattr,
    Exception,
)
_mul = operator.mul
_length_hint = operator.length_hint
_ZERO = itertools.repeat(0)  # shared by every open gate: map(mul, counter, _ZERO) is 0 and counts
_KNOWN = frozenset({range, list, tuple, str, bytes, dict, type({}.keys()), type({}.values()), type({}.items())})


def thinned_hits(n: int, up_to: int) -> list[int]:
    """The 0-based hits a Counter of limit N records, below UP_TO (for tests and documentation)."""
    c = Counter(n)
    return [i for i in range(up_to) if next(c.it) < n]


class Counter:
    """One statement's hit counter: ``next(it)`` is below N on hits 1..N and 4, 8, 16, … past N
    (1-based), N otherwise; ``count()`` is how many times it was advanced."""

    __slots__ = ("n", "given", "piece", "it")

    def __init__(self, n: int) -> None:
        self.n = n
        self.given = 0  # items in the pieces handed out so far
        self.piece: Any = _iter(())
        self.it = itertools.chain.from_iterable(self._pieces())

    def _pieces(self) -> Iterator[Any]:
        n = self.n
        first = _iter(_range(n))
        self.piece, self.given = first, n
        yield first
        p = 1
        while p <= n:
            p *= 2
        gap = p - 1 - n  # the first thinned hit is 0-based p-1; the ones before it are not recorded
        while True:
            if gap:
                skip = itertools.repeat(n, gap)
                self.piece, self.given = skip, self.given + gap
                yield skip
            one = _iter((0,))
            self.piece, self.given = one, self.given + 1
            yield one
            gap, p = p - 1, p * 2

    def count(self) -> int:
        return self.given - _length_hint(self.piece)


def _length(value: Any) -> int | None:
    """How many items `for` will take from VALUE, when that is known before it starts."""
    t = _type(value)
    if t not in _KNOWN:
        np = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        if not (
            (np is not None and t is _getattr(np, "ndarray", None))
            or (
                torch is not None
                and (
                    t is _getattr(torch, "Tensor", None)
                    or t is _getattr(_getattr(torch, "nn", None), "Parameter", None)
                )
            )
        ):
            return None
    try:
        n = _len(value)  # a 0-d array or tensor has none
    except _Exception:
        return None
    return n if _type(n) is _int and n > 0 else None


class Windows:
    """Opens the gates of a loop's body statements for its last iteration.

    SLOTS is the list the gates read (``__tk_c__``), BASES each statement's own counter iterator,
    BODIES the statements directly in each loop's body (the instrumenter's loop table).
    """

    def __init__(self, slots: list[Any], bases: list[Any], bodies: list[Any]) -> None:
        self.slots = slots
        self.bases = bases
        self.bodies = [tuple(b) for b in bodies]
        self.open: dict[int, object] = {}  # loop → the token of its open window

    def loop(self, f: int, value: Any) -> Any:
        """`for … in VALUE` of loop F starts on a recorded hit of its header: what it iterates."""
        if f in self.open:
            self._close(f, self.open[f])  # a run of F left suspended (a generator): this run counts
        n = _length(value)
        if n is None:
            return value
        items = _iter(value)  # as `for` would, once
        return itertools.chain(itertools.islice(items, n - 1), self._last(f, items))

    def _last(self, f: int, items: Iterator[Any]) -> Iterator[Any]:
        # The n-th item, with the body's gates open while the body runs on it; the window
        # closes when the loop asks for more, breaks, returns or raises (the chain is dropped).
        for x in items:
            token = self._open(f)
            try:
                yield x
            finally:
                self._close(f, token)
            break
        yield from items  # a list that grew while it was iterated: python's for sees the rest

    def _open(self, f: int) -> object:
        slots, bases = self.slots, self.bases
        for s in self.bodies[f]:
            slots[s] = _map(_mul, bases[s], _ZERO)
        token = self.open[f] = _object()
        return token

    def _close(self, f: int, token: object) -> None:
        if self.open.get(f) is not token:
            return
        del self.open[f]
        slots, bases = self.slots, self.bases
        for s in self.bodies[f]:
            slots[s] = bases[s]
