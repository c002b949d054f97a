"""Replaying dead messages: handing them back to the normal pipeline through the store, recorded.

For ``dvcgw replay``, after ``selection.plan_replay`` chose the messages (and ``remap`` re-translated
them when asked). A replay never talks to the portal or the broker itself: the store puts each
message back in the outbox (PENDING, a fresh retry budget) in the same transaction as its
``replays`` row, and the relay and the workers do the rest, so latest-wins and idempotency hold as
for any other message. A replayed message that fails again goes back to the dead letters with its
new reason through the normal worker path; since only an operator's replay resets the budget, a
message cannot loop.

Who replayed is ``$DVCGW_OPERATOR``, else the operating-system user.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from gateway.ops.remap import Remapped
from gateway.store import DeadLetterRow, NewReplay, Store

log = structlog.get_logger(__name__)

OPERATOR_ENV = "DVCGW_OPERATOR"
CHUNK = 200
"""Messages per store transaction: short transactions beside a running daemon, and a moving
progress bar."""


def operator_name(environ: Mapping[str, str] | None = None) -> str:
    """Who is replaying: ``$DVCGW_OPERATOR``, else the operating-system user, else ``unknown``."""
    environ = os.environ if environ is None else environ
    named = environ.get(OPERATOR_ENV, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor in the password database
        return "unknown"


@dataclass
class ReplayReport:
    """What a replay did: ``handed`` maps each replayed dead message to the message now in the outbox
    (itself, or its re-translated replacement); ``refused`` says why the others were left alone."""

    handed: dict[int, int] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [
            f"replayed #{dead}" + (f" as #{sent} (re-translated)" if sent != dead else "")
            for dead, sent in self.handed.items()
        ]
        return out + [f"not replayed #{dead}: {reason}" for dead, reason in self.refused.items()]


def replay(
    store: Store,
    chosen: Sequence[DeadLetterRow],
    *,
    operator: str,
    selection: str,
    remapped: Mapping[int, Remapped] | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> ReplayReport:
    """Hand ``chosen`` back to the pipeline, ``CHUNK`` per transaction; ``progress(n)`` after each.

    ``remapped`` (``--remap``): the re-translation of each chosen message; a message without one is
    not replayed (it could not be re-translated). None: replay the packets as they are.
    """
    report = ReplayReport()
    items: list[NewReplay] = []
    for row in chosen:
        if remapped is None:
            items.append(NewReplay(row.id, operator, selection, remap=False))
        elif row.id in remapped:
            items.append(NewReplay(row.id, operator, selection, True, remapped[row.id].replacement))
        else:
            report.refused[row.id] = "not re-translated"
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        for done in store.replay(chunk):
            if done.sent_id is not None:
                report.handed[done.message_id] = done.sent_id
            elif done.found is None:
                report.refused[done.message_id] = "no such message any more"
            else:
                report.refused[done.message_id] = f"no longer dead (it is {done.found.value}): left as it is"
        progress(len(chunk))
    log.info(
        "dead messages replayed",
        handed=len(report.handed),
        refused=len(report.refused),
        remap=remapped is not None,
    )
    return report
