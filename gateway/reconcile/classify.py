"""Classification: how the portal's view of one dossier compares with what the gateway sent.

A pure function of two views, for the run (``gateway.reconcile.run``) and its tests:

* the gateway's: every revision of the dossier it received, each with its national status, its
  ledger state and the hash of its complete national record (``record_hash``, the hash the portal
  reports); the latest of them is the one the portal must hold;
* the portal's: nothing (it does not hold the dossier), or its status and record hash.

The rules, first match wins:

1. the gateway never received the dossier, the portal holds it → ``unknown`` (another system wrote
   it; reported, not drift);
2. the latest revision is still on its way (pending, queued, retrying) → ``in_flight`` (not drift:
   the pipeline will settle it, whatever the portal holds now);
3. the portal does not hold it → ``missing``;
4. the portal's record hash is the latest revision's → ``in_sync``;
5. it is an earlier revision's → ``stale`` (the portal holds an older revision);
6. the portal's status is not the latest revision's → ``stale`` (another status);
7. otherwise → ``differs`` (the same status, another content: someone else changed the record).

A dead latest revision (the portal refused it for good, or its attempts were spent) is judged by the
same rules: when the portal does not hold it exactly, that is drift, and the 766 figure counts it.
It is not repaired, though: re-sending what the portal refused for good would be refused again,
at every run; the operator replays it (``dvcgw replay``) once the cause is fixed. Only an
acknowledged latest revision is repaired (re-sent): the portal said yes and does not hold it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gateway.store import MessageState


class Kind(StrEnum):
    """The class of one dossier after comparison, in the order reports list them."""

    IN_SYNC = "in_sync"
    MISSING = "missing"
    STALE = "stale"
    DIFFERS = "differs"
    UNKNOWN = "unknown"
    IN_FLIGHT = "in_flight"


DRIFT = frozenset({Kind.MISSING, Kind.STALE, Kind.DIFFERS})
"""The classes that are drift: the portal does not hold what the gateway holds as latest."""

_ON_ITS_WAY = frozenset({MessageState.PENDING, MessageState.QUEUED, MessageState.RETRYING})


@dataclass(frozen=True)
class Sent:
    """One revision of the dossier the gateway received, as classification needs it."""

    message_id: int
    revision: str
    status: str
    state: MessageState
    record_hash: str


@dataclass(frozen=True)
class Held:
    """What the portal holds of the dossier: its status and the hash of its record."""

    status: str
    record_hash: str


@dataclass(frozen=True)
class Verdict:
    """The class, a sentence for the operator, and the message to re-send (None: nothing to repair)."""

    kind: Kind
    detail: str
    repair: int | None = None


def classify(revisions: Sequence[Sent], latest_id: int | None, portal: Held | None) -> Verdict:
    """Judge one dossier; ``revisions`` in arrival order, ``latest_id`` the dossier's latest message
    (None with no revisions: the gateway never received it)."""
    latest = next((r for r in revisions if r.message_id == latest_id), None)
    if latest is None:
        if portal is None:
            raise ValueError("neither the gateway nor the portal knows this dossier")
        return Verdict(
            Kind.UNKNOWN, f"the portal holds it (status {portal.status}); the gateway never received it"
        )
    if latest.state in _ON_ITS_WAY:
        return Verdict(
            Kind.IN_FLIGHT, f"revision {latest.revision} (#{latest.message_id}) is {latest.state.value}"
        )
    if portal is None:
        return _drift(Kind.MISSING, "the portal does not hold it", latest)
    if portal.record_hash == latest.record_hash:
        return Verdict(Kind.IN_SYNC, "")
    older = next((r for r in reversed(revisions) if r.record_hash == portal.record_hash), None)
    if older is not None:
        said = f"the portal holds revision {older.revision} (#{older.message_id}), status {portal.status}"
        return _drift(Kind.STALE, said, latest)
    if portal.status != latest.status:
        return _drift(Kind.STALE, f"the portal's status is {portal.status}, not {latest.status}", latest)
    return _drift(Kind.DIFFERS, "the portal's record is none the gateway sent (same status)", latest)


def _drift(kind: Kind, said: str, latest: Sent) -> Verdict:
    where = f"{said}; latest revision {latest.revision} (#{latest.message_id})"
    if latest.state is MessageState.ACKED:
        return Verdict(kind, f"{where} was acknowledged", repair=latest.message_id)
    if latest.state is MessageState.DEAD:
        return Verdict(
            kind, f"{where} is dead: not repaired, replay it (dvcgw replay --id {latest.message_id})"
        )
    return Verdict(kind, f"{where} is {latest.state.value}")
