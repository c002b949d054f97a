"""Which dossier status changes are regressions, for the simulator's truth counters.

No source defines the allowed transitions of ``TrangThaiHoSo``; docs/national-portal.md infers a
plausible graph, which this module holds. Real clients do send backward moves (a cancelled
hand-over goes 10→2), so the simulator accepts every move; it only counts the backward ones, so
that tests can prove the gateway never causes one by sending an older revision after a newer one.

A move ``a → b`` (``a`` the stored status, ``b`` the incoming one) is a **regression** when
``b != a``, the move is not itself an edge of the graph, and either

* ``b`` can reach ``a`` through the graph (``b`` is an earlier stage: 9→4, 4→2, 2→1, 10→2), or
* ``a`` is an end state (3, 7, 8, 10) and is being left (an end state reopened: 8→9, 3→4).

Forward skips (1→4: accepted and straight into processing) are not regressions, nor are the
graph's own loops (4→5→4: a supplement received, processing resumes).
"""

from __future__ import annotations

from functools import cache

GRAPH: dict[str, frozenset[str]] = {
    "1": frozenset({"2", "3", "7"}),
    "2": frozenset({"4", "5", "6", "8", "9", "7"}),
    "3": frozenset(),
    "4": frozenset({"4", "5", "6", "8", "9", "7"}),
    "5": frozenset({"4", "8", "3"}),
    "6": frozenset({"4", "9"}),
    "7": frozenset(),
    "8": frozenset(),
    "9": frozenset({"10"}),
    "10": frozenset(),
}
"""Status → the statuses it may plausibly move to next (docs/national-portal.md, our inference)."""

END_STATES = frozenset({"3", "7", "8", "10"})


@cache
def reachable(status: str) -> frozenset[str]:
    """Every status reachable from ``status`` in one or more steps."""
    seen: set[str] = set()
    todo = list(GRAPH.get(status, ()))
    while todo:
        nxt = todo.pop()
        if nxt not in seen:
            seen.add(nxt)
            todo.extend(GRAPH.get(nxt, ()))
    return frozenset(seen)


def is_regression(old: str, new: str) -> bool:
    """True when moving a dossier from status ``old`` to ``new`` is a backward move (see module)."""
    if old == new or new in GRAPH.get(old, ()):
        return False
    if old in END_STATES:
        return True
    return old in reachable(new)
