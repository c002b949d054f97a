"""Reconciliation: the statements behind runs, findings and repairs, for ``Store``.

A run is a row of ``reconcile_runs`` with its window, its progress (the portal listing's cursor,
then the last dossier code looked up) and a lease. ``claim`` starts or resumes a run under the
lease; no two runs hold a lease at once, whichever process or host asks: on PostgreSQL the claim
locks ``reconcile_runs`` (SHARE ROW EXCLUSIVE: claims queue behind each other, readers do not),
on SQLite the write lock every write transaction takes does the same.

``record`` writes one page of findings in one transaction with the progress that produced them, so
an interrupted run resumes after the last page written and never judges a dossier twice (one
finding per dossier per run, ``ON CONFLICT DO NOTHING``). In the same transaction it repairs: the
dossier's latest message, acknowledged but not held right by the portal, goes back to the outbox
(PENDING, a fresh attempt budget) iff it is still the dossier's latest and still ACKED, and a
``reconcile_repairs`` row says so. From there the relay and the workers deliver it as any other
message: latest wins and idempotency hold. Everything runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select, text, update

from gateway.store._statements import among, chunks, lock_messages, upsert
from gateway.store.model import (
    FindingRow,
    FindingTally,
    MessageState,
    NewFinding,
    NewReconcileRun,
    ReconcileDossier,
    ReconcileRevision,
    ReconcileRunRow,
    Recorded,
    RepairRow,
    RunClaim,
)
from gateway.store.schema import dossiers, messages, reconcile_findings, reconcile_repairs, reconcile_runs

RUNNING = "running"
DONE = "done"
LISTING = "listing"
LOOKUP = "lookup"

_FINDING_COLUMNS = [f.name for f in fields(NewFinding) if f.name not in ("repair_message_id", "portal_lost")]


def run_row(row: Any) -> ReconcileRunRow:
    return ReconcileRunRow(**{**row._mapping, "repair": bool(row.repair)})


def finding_row(row: Any) -> FindingRow:
    return FindingRow(**{**row._mapping, "repaired": bool(row.repaired)})


def claim(
    connection: Connection,
    new: NewReconcileRun,
    holder: str,
    lease_s: float,
    now: datetime,
    *,
    resume_id: int | None,
    resume_within_s: float,
    due_after_s: float | None,
) -> RunClaim:
    """Resume or start a run under ``holder``'s lease (see ``Store.reconcile_claim``)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE reconcile_runs IN SHARE ROW EXCLUSIVE MODE"))
    running = [
        run_row(row)
        for row in connection.execute(
            select(reconcile_runs).where(reconcile_runs.c.state == RUNNING).order_by(reconcile_runs.c.id)
        )
    ]
    for run in running:
        if run.lease_until is not None and run.lease_until > now and run.holder != holder:
            return RunClaim(None, refused=f"run #{run.id} is in progress (held by {run.holder})")
    chosen: ReconcileRunRow | None = None
    if resume_id is not None:
        found = connection.execute(select(reconcile_runs).where(reconcile_runs.c.id == resume_id)).first()
        if found is None:
            return RunClaim(None, refused=f"there is no reconciliation run #{resume_id}")
        chosen = run_row(found)
        if chosen.state != RUNNING:
            return RunClaim(None, refused=f"run #{resume_id} is {chosen.state}: nothing to resume")
    else:
        chosen = next((run for run in reversed(running) if _resumes(run, new, now, resume_within_s)), None)
    if chosen is not None:
        connection.execute(
            update(reconcile_runs)
            .where(reconcile_runs.c.id == chosen.id)
            .values(holder=holder, lease_until=now + timedelta(seconds=lease_s), updated_at=now)
        )
        again = connection.execute(select(reconcile_runs).where(reconcile_runs.c.id == chosen.id)).one()
        return RunClaim(run_row(again), resumed=True)
    if due_after_s is not None:
        last = connection.execute(
            select(func.max(reconcile_runs.c.started_at)).where(reconcile_runs.c.started_by == new.started_by)
        ).scalar_one_or_none()
        if last is not None and last > now - timedelta(seconds=due_after_s):
            return RunClaim(None, refused="not due yet")
    values = {
        **{f.name: getattr(new, f.name) for f in fields(NewReconcileRun)},
        "started_at": now,
        "updated_at": now,
        "state": RUNNING,
        "phase": LISTING,
        "holder": holder,
        "lease_until": now + timedelta(seconds=lease_s),
    }
    created = connection.execute(insert(reconcile_runs).values(values).returning(*reconcile_runs.c)).one()
    return RunClaim(run_row(created))


def _resumes(run: ReconcileRunRow, new: NewReconcileRun, now: datetime, within_s: float) -> bool:
    """Whether ``new`` asks for the very comparison ``run`` was doing when it was interrupted."""
    if (run.window_kind, run.source, run.repair) != (new.window_kind, new.source, new.repair):
        return False
    if run.window_kind == "range":
        return (run.since, run.until) == (new.since, new.until)
    # A moving window (up to now): the interrupted run's is still the one wanted if it is recent.
    recent = run.started_at > now - timedelta(seconds=within_s)
    return recent and (run.window_kind != "since" or run.since == new.since)


def active(connection: Connection, now: datetime) -> list[ReconcileRunRow]:
    """Runs whose lease is in force."""
    statement = select(reconcile_runs).where(
        reconcile_runs.c.state == RUNNING, reconcile_runs.c.lease_until > now
    )
    return [run_row(row) for row in connection.execute(statement)]


def release(connection: Connection, run_id: int, holder: str, now: datetime, *, finished: bool) -> bool:
    """End ``holder``'s lease on the run; ``finished``: the run is done. Whether it held it."""
    values: dict[str, Any] = {"holder": None, "lease_until": None, "updated_at": now}
    if finished:
        values.update(state=DONE, phase=DONE, finished_at=now)
    result = connection.execute(
        update(reconcile_runs)
        .where(
            reconcile_runs.c.id == run_id,
            reconcile_runs.c.holder == holder,
            reconcile_runs.c.state == RUNNING,
        )
        .values(values)
    )
    return bool(result.rowcount)


def dossiers_of(connection: Connection, codes: Sequence[str]) -> dict[str, ReconcileDossier]:
    """Every revision of each of these dossiers the store knows, in one query per chunk."""
    statement_columns = (
        dossiers.c.ma_ho_so,
        dossiers.c.source,
        dossiers.c.latest_message_id,
        messages.c.id,
        messages.c.revision,
        messages.c.status,
        messages.c.state,
        messages.c.received_at,
        messages.c.packet,
    )
    revisions: dict[str, list[ReconcileRevision]] = {}
    heads: dict[str, tuple[str, int]] = {}
    for chunk in chunks(sorted(set(codes))):
        statement = (
            select(*statement_columns)
            .join(messages, messages.c.ma_ho_so == dossiers.c.ma_ho_so)
            .where(among(connection, dossiers.c.ma_ho_so, chunk))
            .order_by(messages.c.id)
        )
        for row in connection.execute(statement):
            heads[row.ma_ho_so] = (row.source, row.latest_message_id)
            revisions.setdefault(row.ma_ho_so, []).append(
                ReconcileRevision(
                    row.id,
                    row.revision,
                    row.status,
                    MessageState(row.state),
                    row.received_at,
                    bytes(row.packet),
                )
            )
    return {
        code: ReconcileDossier(code, heads[code][0], heads[code][1], tuple(found))
        for code, found in revisions.items()
    }


def unseen(
    connection: Connection,
    run_id: int,
    since: datetime | None,
    until: datetime,
    source: str | None,
    after_code: str | None,
    limit: int,
) -> list[str]:
    """The next ``limit`` dossier codes after ``after_code`` whose latest revision was received in
    ``[since, until)`` and that the run has not judged yet, in code order."""
    judged = exists().where(
        reconcile_findings.c.run_id == run_id, reconcile_findings.c.ma_ho_so == dossiers.c.ma_ho_so
    )
    statement = (
        select(dossiers.c.ma_ho_so)
        .join(messages, messages.c.id == dossiers.c.latest_message_id)
        .where(messages.c.received_at < until, ~judged)
        .order_by(dossiers.c.ma_ho_so)
        .limit(limit)
    )
    if since is not None:
        statement = statement.where(messages.c.received_at >= since)
    if source is not None:
        statement = statement.where(dossiers.c.source == source)
    if after_code is not None:
        statement = statement.where(dossiers.c.ma_ho_so > after_code)
    return [row.ma_ho_so for row in connection.execute(statement)]


def record(
    connection: Connection,
    run_id: int,
    holder: str,
    findings: Sequence[NewFinding],
    progress: dict[str, Any],
    lease_s: float,
    operator: str,
    now: datetime,
) -> Recorded:
    """Write one page of findings, repair what they say, and move the run's progress and lease."""
    moved = connection.execute(
        update(reconcile_runs)
        .where(
            reconcile_runs.c.id == run_id,
            reconcile_runs.c.holder == holder,
            reconcile_runs.c.state == RUNNING,
        )
        .values(**progress, lease_until=now + timedelta(seconds=lease_s), updated_at=now)
    )
    if not moved.rowcount:
        return Recorded(held=False)
    unique: dict[str, NewFinding] = {}
    for finding in findings:
        unique.setdefault(finding.ma_ho_so, finding)
    written: set[str] = set()
    rows = [
        {
            **{name: getattr(f, name) for name in _FINDING_COLUMNS},
            "run_id": run_id,
            "repaired": False,
            "found_at": now,
        }
        for f in unique.values()
    ]
    for chunk in chunks(rows, 200):
        statement = (
            upsert(connection, reconcile_findings)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=["run_id", "ma_ho_so"])
            .returning(reconcile_findings.c.ma_ho_so)
        )
        written.update(row.ma_ho_so for row in connection.execute(statement))
    wanted = {
        f.repair_message_id: f
        for code, f in unique.items()
        if code in written and f.repair_message_id is not None
    }
    repaired = _repair(connection, run_id, wanted, operator, now)
    return Recorded(held=True, new=len(written), repaired=repaired)


def _repair(
    connection: Connection, run_id: int, wanted: dict[int, NewFinding], operator: str, now: datetime
) -> dict[str, int]:
    """Put each wanted message back in the outbox iff it is still ACKED and its dossier's latest."""
    if not wanted:
        return {}
    ids = sorted(wanted)
    is_latest = exists().where(
        dossiers.c.ma_ho_so == messages.c.ma_ho_so, dossiers.c.latest_message_id == messages.c.id
    )
    sent: list[int] = []
    for chunk in chunks(ids):
        lock_messages(connection, chunk)  # in id order, as every other writer of these rows
        result = connection.execute(
            update(messages)
            .where(
                among(connection, messages.c.id, chunk),
                messages.c.state == MessageState.ACKED.value,
                is_latest,
            )
            .values(state=MessageState.PENDING.value, attempts=0, publish_lease_until=None, updated_at=now)
            .returning(messages.c.id)
        )
        sent.extend(row.id for row in result)
    if not sent:
        return {}
    sent.sort()
    lost = sorted(wanted[i].ma_ho_so for i in sent if wanted[i].portal_lost)
    for lost_codes in chunks(lost):
        # The portal does not hold it: send it as an insert (a wrong guess is corrected by the worker).
        connection.execute(
            update(dossiers)
            .where(among(connection, dossiers.c.ma_ho_so, lost_codes))
            .values(portal_known=False, updated_at=now)
        )
    connection.execute(
        insert(reconcile_repairs),
        [
            {
                "run_id": run_id,
                "message_id": i,
                "ma_ho_so": wanted[i].ma_ho_so,
                "kind": wanted[i].kind,
                "repaired_at": now,
                "operator": operator,
            }
            for i in sent
        ],
    )
    codes = sorted(wanted[i].ma_ho_so for i in sent)
    for repaired_codes in chunks(codes):
        connection.execute(
            update(reconcile_findings)
            .where(
                reconcile_findings.c.run_id == run_id,
                among(connection, reconcile_findings.c.ma_ho_so, repaired_codes),
            )
            .values(repaired=True)
        )
    return {wanted[i].ma_ho_so: i for i in sent}


def tally(connection: Connection, run_id: int) -> list[FindingTally]:
    """The run's findings counted by class, source, agency and day of last activity."""
    group = (
        reconcile_findings.c.kind,
        reconcile_findings.c.source,
        reconcile_findings.c.agency,
        reconcile_findings.c.activity_date,
    )
    repaired = func.count().filter(reconcile_findings.c.repaired.is_(True))
    statement = (
        select(*group, func.count().label("count"), repaired.label("repaired"))
        .where(reconcile_findings.c.run_id == run_id)
        .group_by(*group)
    )
    return [FindingTally(**row._mapping) for row in connection.execute(statement)]


def findings(
    connection: Connection, run_id: int, *, kinds: Sequence[str], after_id: int, limit: int
) -> list[FindingRow]:
    """The run's findings of these classes, by id, after ``after_id``."""
    statement = (
        select(reconcile_findings)
        .where(
            reconcile_findings.c.run_id == run_id,
            reconcile_findings.c.kind.in_(list(kinds)),
            reconcile_findings.c.id > after_id,
        )
        .order_by(reconcile_findings.c.id)
        .limit(limit)
    )
    return [finding_row(row) for row in connection.execute(statement)]


def findings_of(connection: Connection, ma_ho_so: str) -> list[FindingRow]:
    statement = (
        select(reconcile_findings)
        .where(reconcile_findings.c.ma_ho_so == ma_ho_so)
        .order_by(reconcile_findings.c.id)
    )
    return [finding_row(row) for row in connection.execute(statement)]


def repairs_of(connection: Connection, ma_ho_so: str) -> list[RepairRow]:
    statement = (
        select(reconcile_repairs)
        .where(reconcile_repairs.c.ma_ho_so == ma_ho_so)
        .order_by(reconcile_repairs.c.id)
    )
    return [RepairRow(**row._mapping) for row in connection.execute(statement)]


def first_code(connection: Connection) -> str | None:
    """The smallest dossier code the store knows (None: none)."""
    return connection.execute(select(func.min(dossiers.c.ma_ho_so))).scalar_one_or_none()
