"""Which dead messages a replay takes: the latest revision of each selected dossier, and why not the rest.

For ``dvcgw replay``. The operator selects dead messages (by id, dossier, source, error class, time
of death, a limit; nothing: every dead message). Only a dossier's latest message can reach the
portal: the workers supersede any other (``Store.begin_delivery``), so replaying an older revision
would only turn a kept dead letter into a superseded message. So of the selected messages this
takes those that are their dossier's latest, and reports each other one as skipped, saying why: a
newer revision of its dossier is replayed instead, a newer one was acknowledged already, or the
dossier's latest is elsewhere in the pipeline (and will be delivered, or is dead and was not selected).
An id asked for by ``--id`` that is no dead message, or does not match the other selectors, is
reported too.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.ops.times import shown
from gateway.store import DeadLetterRow, DeadQuery, DossierRow, MessageState, Store


@dataclass(frozen=True)
class Skipped:
    """A selected dead message that is not replayed, and why."""

    row: DeadLetterRow
    reason: str


@dataclass(frozen=True)
class Unmatched:
    """An id the operator asked for that selects no dead message, and why."""

    message_id: int
    reason: str


@dataclass(frozen=True)
class ReplayPlan:
    """What a replay would hand back (newest death first), and what it would not."""

    chosen: list[DeadLetterRow]
    skipped: list[Skipped]
    unmatched: list[Unmatched]

    def lines(self) -> list[str]:
        """One line per message: ``replay``, ``skip`` (with why) or ``no`` (an id that selects nothing)."""
        out = [
            f"replay  #{r.id}  {r.ma_ho_so}  rev {r.revision}  {r.source}  {r.error_class}"
            for r in self.chosen
        ]
        out += [
            f"skip    #{s.row.id}  {s.row.ma_ho_so}  rev {s.row.revision}: {s.reason}" for s in self.skipped
        ]
        out += [f"no      #{u.message_id}: {u.reason}" for u in self.unmatched]
        return out


def plan_replay(store: Store, query: DeadQuery) -> ReplayPlan:
    """The dead messages ``query`` selects, split into the ones to replay and the ones to skip."""
    rows = store.dead_letters(query)
    dossiers = store.dossiers([row.ma_ho_so for row in rows])
    selected = {row.id for row in rows}
    elsewhere = [
        d.latest_message_id
        for d in dossiers.values()
        if d.latest_message_id not in selected and d.latest_message_id != d.acked_message_id
    ]
    latest_states = store.states(elsewhere)
    chosen: list[DeadLetterRow] = []
    skipped: list[Skipped] = []
    for row in rows:
        dossier = dossiers.get(row.ma_ho_so)
        if dossier is None or dossier.latest_message_id == row.id:
            # Every stored message has its dossier row; without one, the message is all there is.
            chosen.append(row)
        else:
            skipped.append(Skipped(row, _why_not(row, dossier, selected, latest_states)))
    return ReplayPlan(chosen, skipped, _unmatched(store, query, selected))


_DOING = {
    MessageState.PENDING: "waiting to be published",
    MessageState.QUEUED: "queued for delivery",
    MessageState.RETRYING: "waiting for a retry",
}


def _why_not(
    row: DeadLetterRow, dossier: DossierRow, selected: set[int], states: dict[int, MessageState]
) -> str:
    latest = f"#{dossier.latest_message_id} (revision {dossier.latest_revision})"
    if dossier.latest_message_id in selected:
        return f"a newer revision of dossier {row.ma_ho_so} is replayed instead: {latest}"
    acked, acked_revision = dossier.acked_message_id, dossier.acked_revision
    if acked is not None and acked_revision is not None and (acked_revision, acked) > (row.revision, row.id):
        return (
            f"the portal acknowledged a newer revision of dossier {row.ma_ho_so} already: "
            f"#{acked} (revision {acked_revision}) at {shown(dossier.acked_at)}"
        )
    state = states.get(dossier.latest_message_id)
    if state is MessageState.DEAD:
        return f"not the latest revision of dossier {row.ma_ho_so}: {latest} is dead too; select it to replay"
    doing = _DOING.get(state, state.value) if state is not None else "unknown"
    return f"not the latest revision of dossier {row.ma_ho_so}: {latest} is {doing}"


def _unmatched(store: Store, query: DeadQuery, selected: set[int]) -> list[Unmatched]:
    missing = sorted(set(query.ids) - selected)
    if not missing:
        return []
    states = store.states(missing)
    out = []
    for message_id in missing:
        state = states.get(message_id)
        if state is None:
            reason = "no such message"
        elif state is not MessageState.DEAD:
            reason = f"not dead: it is {state.value}"
        else:
            reason = "dead, but outside the other selectors (or beyond --limit)"
        out.append(Unmatched(message_id, reason))
    return out


def describe(query: DeadQuery) -> str:
    """The selection as the command's options, for the record of a replay (``replays.selection``)."""
    parts = [f"--id {i}" for i in query.ids]
    for option, value in (
        ("--dossier", query.ma_ho_so),
        ("--source", query.source),
        ("--error-class", query.error_class),
        ("--since", shown(query.since) if query.since else None),
        ("--until", shown(query.until) if query.until else None),
        ("--limit", str(query.limit) if query.limit is not None else None),
    ):
        if value is not None:
            parts.append(f"{option} {value}")
    return " ".join(parts) or "every dead message"
