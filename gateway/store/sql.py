"""The message store: the ledger every other stage of the pipeline writes to and reads from.

Who calls what:

- the intake: ``ingest`` (one transaction per source file: the file, its packets, its rejections);
- the outbox relay: ``claim_outbox`` → publish → ``mark_queued`` or ``release_outbox``;
- a sync worker: ``begin_delivery`` (may I send this message?) → portal → ``finish_delivery``;
- repair and replay: ``sweep_stuck``, ``requeue``; an operator's replay of dead letters:
  ``dead_letters`` → ``replay`` (recorded in ``replays``), and ``messages_of``/``replays_of`` for the
  life of one dossier;
- reconciliation (``gateway.reconcile``): ``reconcile_claim`` (a run under a lease) →
  ``reconcile_dossiers``/``reconcile_unseen`` → ``reconcile_record`` (findings, repairs, progress)
  → ``reconcile_release``; ``reconcile_tally``/``reconcile_findings`` for its report;
- the operator console's dashboard: ``hourly_outcomes``, ``latest_reconcile_run``;
- tests, the demo, the benchmarks and the CLI: the read side at the end.

``StoreWatch`` (``_watch``) is the read-only view the daemon's web server keeps for its metrics and
readiness checks: it never migrates.

Several processes share one store (the intake and N workers on one SQLite file; several daemons on
one PostgreSQL database), so every method is one short transaction, and each rule that must hold
across processes is a single conditional statement the database serialises (SQLite: the write
lock every write transaction takes first; PostgreSQL: row locks, ``FOR UPDATE SKIP LOCKED``).

"Latest wins" lives in ``dossiers``: ``latest_message_id`` only moves to a larger
(revision, message id), and only the message that is the dossier's latest *and* takes the dossier's
lease is sent. A lease is taken only when it is free or expired: one sender per dossier at a time.

Times come from this process's clock (aware UTC); leases compare times written by different hosts,
so hosts sharing a PostgreSQL store must keep their clocks synchronised (NTP), within a fraction of
the shortest lease.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import structlog
import tenacity
from sqlalchemy import URL, Connection, Engine, RowMapping, func, select
from sqlalchemy.exc import DBAPIError

from gateway.store import _activity, _dead, _delivery, _ingest, _outbox, _reconcile
from gateway.store._engine import connected, create_store_engine, parse_url, shown, translated_errors
from gateway.store._statements import OPEN, among, chunks, utc_now
from gateway.store.migrate import upgrade
from gateway.store.model import (
    AttemptRow,
    DeadLetterRow,
    DeadQuery,
    DeliveryDecision,
    DeliveryOutcome,
    DossierRow,
    FindingRow,
    FindingTally,
    HourCount,
    Ingested,
    IntakeFileRow,
    MessageRow,
    MessageState,
    NewFile,
    NewFinding,
    NewMessage,
    NewReconcileRun,
    NewRejection,
    NewReplay,
    OutboxItem,
    ReconcileDossier,
    ReconcileRunRow,
    Recorded,
    RejectionRow,
    RepairRow,
    Replayed,
    ReplayRow,
    Result,
    RunClaim,
)
from gateway.store.schema import (
    attempts,
    dossiers,
    intake_files,
    messages,
    reconcile_runs,
    rejected_inputs,
    replays,
)

log = structlog.get_logger(__name__)


T = TypeVar("T")
DEADLOCK_ATTEMPTS = 3
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _deadlocked(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL aborting a transaction that may simply run again."""
    cause = exc.__cause__
    return isinstance(cause, DBAPIError) and getattr(cause.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


class Store:
    """The gateway's message store on one database; one instance per thread (each daemon its own)."""

    def __init__(self, engine: Engine, url: URL) -> None:
        """Use ``Store.open``: it also brings the schema to head."""
        self._engine = engine
        self._url = url

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to the store at ``url``, migrate its schema to head, and return it ready.

        Raises ``StoreUnavailable`` when the database cannot be reached or the file cannot be
        created, ``StoreError`` for anything else (an unsupported URL, a failed migration).
        """
        parsed = parse_url(url)
        engine = create_store_engine(parsed)
        try:
            upgrade(engine, parsed)
        except BaseException:
            engine.dispose()
            raise
        log.debug("store.opened", url=shown(parsed), dialect=engine.dialect.name)
        return cls(engine, parsed)

    def close(self) -> None:
        """Close every connection of this store."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The store's URL, without its password."""
        return shown(self._url)

    def _transaction(self, doing: str, work: Callable[[Connection], T]) -> T:
        """``work`` in one write transaction, run again (at most ``DEADLOCK_ATTEMPTS`` times in all)
        when PostgreSQL aborts it as a deadlock or a serialization failure: the transaction rolled
        back whole, so running it again is safe. The writers lock rows in one order
        (``_statements.lock_messages``), so this is a backstop, not the plan."""
        for attempt in tenacity.Retrying(
            retry=tenacity.retry_if_exception(_deadlocked),
            wait=tenacity.wait_random(0.01, 0.2),
            stop=tenacity.stop_after_attempt(DEADLOCK_ATTEMPTS),
            reraise=True,
        ):
            with attempt, self._write(doing) as connection:
                return work(connection)
        raise AssertionError("unreachable: tenacity either returns or raises")

    @contextmanager
    def _write(self, doing: str) -> Iterator[Connection]:
        """One write transaction (on SQLite it begins ``BEGIN IMMEDIATE``)."""
        with (
            connected(self._engine, self._url) as connection,
            translated_errors(self._url, doing),
            connection.begin(),
        ):
            yield connection

    @contextmanager
    def _read(self, doing: str) -> Iterator[Connection]:
        """One read-only transaction (on SQLite a deferred ``BEGIN``, which never waits for writers)."""
        with (
            connected(self._engine, self._url, read_only=True) as connection,
            translated_errors(self._url, doing),
            connection.begin(),
        ):
            yield connection

    # -- intake ---------------------------------------------------------------------------------

    def ingest(
        self,
        file: NewFile | None,
        messages: Sequence[NewMessage],
        rejections: Sequence[NewRejection],
        outcome: str = "archived",
    ) -> list[Ingested]:
        """Store one source file's packets and rejections in one transaction; one ``Ingested`` per message.

        A message equal in (ma_ho_so, revision, content_hash) to a stored one, or to an earlier
        one of the same call, is a duplicate: no new row, the existing id. A new message is
        PENDING. Each dossier's latest moves to a new message only if that message's
        (revision, id) is larger. The file's row counts ``records`` (packets + rejected),
        ``packets`` (len(messages)), ``rejected``, and ``duplicates`` (packets stored before).
        """
        return self._transaction(
            "ingesting", lambda c: _ingest.ingest(c, file, messages, rejections, outcome, utc_now())
        )

    # -- outbox ---------------------------------------------------------------------------------

    def claim_outbox(self, limit: int, lease_s: float) -> list[OutboxItem]:
        """Up to ``limit`` PENDING messages to publish, oldest first, leased for ``lease_s`` seconds.

        A message leased to one relay is not handed to another until the lease expires (a relay
        that crashed leaves leases that expire); ``mark_queued`` or ``release_outbox`` ends it.
        """
        if limit <= 0:
            return []
        return self._transaction("claiming the outbox", lambda c: _outbox.claim(c, limit, lease_s, utc_now()))

    def mark_queued(self, ids: Sequence[int]) -> None:
        """The broker confirmed these messages: PENDING → QUEUED, lease cleared."""
        self._transaction("marking messages queued", lambda c: _outbox.mark_queued(c, ids, utc_now()))

    def release_outbox(self, ids: Sequence[int]) -> None:
        """Publishing these failed: clear their lease so that the next claim takes them again."""
        self._transaction("releasing outbox leases", lambda c: _outbox.release(c, ids))

    def requeue(self, ids: Sequence[int], *, reset_attempts: bool = False) -> int:
        """Put QUEUED, RETRYING or DEAD messages back in the outbox (replay, repair); how many moved.

        ACKED and SUPERSEDED messages stay as they are; PENDING ones are in the outbox already.
        ``reset_attempts`` gives a replayed message a fresh retry budget (``attempts`` back to 0;
        the rows of its earlier attempts stay).
        """
        moved = self._transaction(
            "requeueing messages", lambda c: _outbox.requeue(c, ids, reset_attempts, utc_now())
        )
        if moved:
            log.info("store.requeued", messages=moved)
        return moved

    def sweep_stuck(self, older_than_s: float) -> int:
        """QUEUED or RETRYING messages untouched for ``older_than_s`` seconds go back to PENDING.

        For messages the broker lost. Choose ``older_than_s`` well above the longest retry delay
        and the time a backlog can sit in the queue, or messages merely waiting are published
        twice (harmless, since a second delivery is recognised, but wasted work). A message a
        worker is sending was touched by ``begin_delivery``.
        """
        swept = self._transaction(
            "sweeping stuck messages", lambda c: _outbox.sweep_stuck(c, older_than_s, utc_now())
        )
        if swept:
            log.warning("store.swept_stuck", messages=swept, older_than_s=older_than_s)
        return swept

    # -- delivery -------------------------------------------------------------------------------

    def begin_delivery(self, message_ids: Sequence[int], lease_s: float) -> list[DeliveryDecision]:
        """Decide, in one transaction, what a worker does with each delivered message (in order).

        UNKNOWN: no such message. DONE: already ACKED, SUPERSEDED or DEAD, or repeated in this
        call. Otherwise the message takes its dossier's lease for ``lease_s`` seconds, in one
        conditional UPDATE for the batch, iff it is the dossier's latest and the lease is free or
        expired: SEND (``update``: the portal already holds the dossier). Not the latest:
        SUPERSEDED (recorded now). The latest, but another worker holds the lease: DEFER.
        """
        return self._transaction(
            "beginning deliveries", lambda c: _delivery.begin(c, message_ids, lease_s, utc_now())
        )

    def finish_delivery(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Record how deliveries ended, in one transaction.

        ACKED: the message is ACKED, and the dossier's acknowledged revision moves to it iff its
        (revision, id) is larger than the one acknowledged before (a late, older acknowledgement
        never moves it back); the portal now knows the dossier. RETRY: RETRYING with the error.
        DEAD: DEAD with the error. DEFERRED: RETRYING, attempts unchanged. ACKED, RETRY and DEAD
        each add an ``attempts`` row and release the dossier's lease if this message holds it;
        a DEFERRED message never took the lease, so it has none to release. RETRY, DEAD and
        DEFERRED change only open messages: a late failure report never undoes an acknowledgement.
        Outcomes for unknown messages are ignored (and logged).
        """
        if not outcomes:
            return
        self._transaction("finishing deliveries", lambda c: _delivery.finish(c, outcomes, utc_now()))

    # -- dead letters and replay ---------------------------------------------------------------

    def dead_letters(self, query: DeadQuery) -> list[DeadLetterRow]:
        """The DEAD messages ``query`` selects, newest death first, without packets or bytes."""
        if query.limit is not None and query.limit <= 0:
            return []
        with self._read("reading dead letters") as connection:
            return _dead.dead_letters(connection, query)

    def replay(self, items: Sequence[NewReplay]) -> list[Replayed]:
        """Hand dead messages back to the pipeline, in one transaction; one ``Replayed`` per item.

        A message still DEAD goes back to PENDING with a fresh retry budget (as ``requeue`` with
        ``reset_attempts``), or, when the item carries a ``replacement`` with other content, the
        replacement is ingested (same dossier and revision, a larger id: the dossier's latest) and
        the dead message becomes SUPERSEDED. Each message handed back gets a ``replays`` row. A
        message no longer DEAD (replayed by someone else meanwhile) is left as it is.
        """
        if not items:
            return []
        done = self._transaction("replaying dead messages", lambda c: _dead.replay(c, items, utc_now()))
        log.info("store.replayed", messages=sum(1 for d in done if d.sent_id is not None))
        return done

    def replays_of(self, message_ids: Sequence[int]) -> list[ReplayRow]:
        """The replays of these messages, oldest first."""
        rows: list[ReplayRow] = []
        with self._read("reading replays") as connection:
            for chunk in chunks(sorted(set(message_ids))):
                statement = select(replays).where(among(connection, replays.c.message_id, chunk))
                for row in connection.execute(statement):
                    rows.append(ReplayRow(**{**row._mapping, "remap": bool(row.remap)}))
        return sorted(rows, key=lambda row: row.id)

    def messages_of(self, ma_ho_so: str) -> list[MessageRow]:
        """Every message (every revision received) of one dossier, in arrival order."""
        statement = select(messages).where(messages.c.ma_ho_so == ma_ho_so).order_by(messages.c.id)
        with self._read("reading a dossier's messages") as connection:
            return [_message_row(row._mapping) for row in connection.execute(statement)]

    def dossiers(self, codes: Sequence[str]) -> dict[str, DossierRow]:
        """The dossiers of these codes that exist, by code."""
        found: dict[str, DossierRow] = {}
        with self._read("reading dossiers") as connection:
            for chunk in chunks(sorted(set(codes))):
                statement = select(dossiers).where(among(connection, dossiers.c.ma_ho_so, chunk))
                for row in connection.execute(statement):
                    values = {**row._mapping, "portal_known": bool(row.portal_known)}
                    found[row.ma_ho_so] = DossierRow(**values)
        return found

    def states(self, message_ids: Sequence[int]) -> dict[int, MessageState]:
        """The state of each of these messages that exists, by id."""
        with self._read("reading message states") as connection:
            return _dead.states(connection, message_ids)

    # -- read side ------------------------------------------------------------------------------

    def message(self, message_id: int) -> MessageRow | None:
        """Every column of one message, or ``None``."""
        with self._read("reading a message") as connection:
            row = connection.execute(select(messages).where(messages.c.id == message_id)).one_or_none()
        return None if row is None else _message_row(row._mapping)

    def dossier(self, ma_ho_so: str) -> DossierRow | None:
        """Every column of one dossier, or ``None``."""
        with self._read("reading a dossier") as connection:
            row = connection.execute(select(dossiers).where(dossiers.c.ma_ho_so == ma_ho_so)).one_or_none()
        if row is None:
            return None
        return DossierRow(**{**row._mapping, "portal_known": bool(row.portal_known)})

    def intake_file(self, file_id: int) -> IntakeFileRow | None:
        """Every column of one intake file, or ``None``."""
        with self._read("reading an intake file") as connection:
            row = connection.execute(select(intake_files).where(intake_files.c.id == file_id)).one_or_none()
        return None if row is None else IntakeFileRow(**row._mapping)

    def attempts_of(self, message_id: int) -> list[AttemptRow]:
        """The portal attempts of one message, first to last."""
        statement = select(attempts).where(attempts.c.message_id == message_id).order_by(attempts.c.id)
        with self._read("reading attempts") as connection:
            rows = connection.execute(statement).all()
        return [AttemptRow(**{**row._mapping, "outcome": Result(row.outcome)}) for row in rows]

    def rejections(self, *, limit: int = 100) -> list[RejectionRow]:
        """The newest ``limit`` rejected inputs, newest first."""
        statement = select(rejected_inputs).order_by(rejected_inputs.c.id.desc()).limit(limit)
        with self._read("reading rejections") as connection:
            rows = connection.execute(statement).all()
        return [
            RejectionRow(**{**row._mapping, "reasons": tuple(json.loads(row.reasons)), "raw": bytes(row.raw)})
            for row in rows
        ]

    def state_counts(self) -> dict[str, int]:
        """How many messages are in each state; every state present, zeros included."""
        statement = select(messages.c.state, func.count()).group_by(messages.c.state)
        with self._read("counting messages") as connection:
            counted = {state: int(count) for state, count in connection.execute(statement)}
        return {state.value: counted.get(state.value, 0) for state in MessageState}

    def unfinished(self) -> int:
        """Messages still to deliver: PENDING + QUEUED + RETRYING."""
        statement = select(func.count()).select_from(messages).where(messages.c.state.in_(OPEN))
        with self._read("counting messages") as connection:
            return int(connection.execute(statement).scalar_one())

    def file_totals(self) -> dict[str, int]:
        """Sums over the intake files: ``files``, ``rejected_files`` (outcome 'rejected'), ``records``,
        ``packets``, ``rejected`` and ``duplicates`` (each as counted by the ``ingest`` call that
        carried the file)."""
        statement = select(
            func.count().label("files"),
            func.count().filter(intake_files.c.outcome == "rejected").label("rejected_files"),
            *(
                func.coalesce(func.sum(intake_files.c[name]), 0).label(name)
                for name in ("records", "packets", "rejected", "duplicates")
            ),
        )
        with self._read("summing intake files") as connection:
            row = connection.execute(statement).one()
        return {name: int(value) for name, value in row._mapping.items()}

    def dossier_count(self) -> int:
        """How many distinct dossiers the store has received."""
        with self._read("counting dossiers") as connection:
            return int(connection.execute(select(func.count()).select_from(dossiers)).scalar_one())

    def hourly_outcomes(self, starts: Sequence[datetime]) -> list[HourCount]:
        """Messages the portal acknowledged and messages that died in each hour beginning at
        ``starts`` (aware UTC, on the hour), one ``HourCount`` per start in their order."""
        with self._read("counting deliveries per hour") as connection:
            return _activity.hourly_outcomes(connection, starts)

    def latest_reconcile_run(self) -> ReconcileRunRow | None:
        """The newest finished reconciliation run, else the newest one; None when none was ever run."""
        with self._read("reading the newest reconciliation run") as connection:
            return _activity.latest_run(connection)

    # -- reconciliation -------------------------------------------------------------------------

    def reconcile_claim(
        self,
        new: NewReconcileRun,
        holder: str,
        lease_s: float,
        *,
        resume_id: int | None = None,
        resume_within_s: float = 3600.0,
        due_after_s: float | None = None,
    ) -> RunClaim:
        """Resume or start a reconciliation run under ``holder``'s lease of ``lease_s`` seconds.

        Refused while another holder's lease on a run is in force (one run at a time, across
        processes and hosts). ``resume_id``: carry on that interrupted run. Otherwise the newest
        interrupted run asking for the same comparison is resumed (same window kind, source and
        repair; a ``range`` window: the same bounds; a window up to now: started less than
        ``resume_within_s`` ago), else a new run starts, unless ``due_after_s`` is given and a run
        started by the same ``started_by`` began less than that long ago ("not due yet").
        """
        with self._write("claiming a reconciliation run") as connection:
            return _reconcile.claim(
                connection,
                new,
                holder,
                lease_s,
                utc_now(),
                resume_id=resume_id,
                resume_within_s=resume_within_s,
                due_after_s=due_after_s,
            )

    def reconcile_active(self) -> list[ReconcileRunRow]:
        """The reconciliation runs whose lease is in force."""
        with self._read("reading reconciliation runs") as connection:
            return _reconcile.active(connection, utc_now())

    def reconcile_release(self, run_id: int, holder: str, *, finished: bool = False) -> bool:
        """End ``holder``'s lease on a run (``finished``: it is done; else it waits to be resumed)."""
        with self._write("releasing a reconciliation run") as connection:
            return _reconcile.release(connection, run_id, holder, utc_now(), finished=finished)

    def reconcile_run(self, run_id: int) -> ReconcileRunRow | None:
        """One reconciliation run, or None."""
        with self._read("reading a reconciliation run") as connection:
            row = connection.execute(select(reconcile_runs).where(reconcile_runs.c.id == run_id)).first()
        return None if row is None else _reconcile.run_row(row)

    def reconcile_dossiers(self, codes: Sequence[str]) -> dict[str, ReconcileDossier]:
        """Every revision (with its packet) of each of these dossiers the store knows, by code."""
        with self._read("reading dossiers to reconcile") as connection:
            return _reconcile.dossiers_of(connection, codes)

    def reconcile_unseen(
        self,
        run_id: int,
        since: datetime | None,
        until: datetime,
        *,
        source: str | None,
        after_code: str | None,
        limit: int,
    ) -> list[str]:
        """Up to ``limit`` codes after ``after_code`` (code order) of dossiers whose latest revision
        was received in ``[since, until)`` (of ``source`` if given) and that run ``run_id`` has not
        judged yet."""
        with self._read("reading dossiers to reconcile") as connection:
            return _reconcile.unseen(connection, run_id, since, until, source, after_code, limit)

    def reconcile_record(
        self,
        run_id: int,
        holder: str,
        findings: Sequence[NewFinding],
        *,
        lease_s: float,
        operator: str,
        phase: str,
        listing_cursor: str | None = None,
        after_code: str | None = None,
        repair: bool = True,
    ) -> Recorded:
        """Write one page of findings and the progress that produced them, in one transaction.

        Nothing is written when ``holder`` no longer holds the run (``held`` False). A dossier the
        run judged before keeps its first finding. With ``repair``, each new finding that names a
        ``repair_message_id`` puts that message back in the outbox (PENDING, a fresh attempt budget)
        iff it is still ACKED and its dossier's latest, with a ``reconcile_repairs`` row. ``phase``
        ``listing`` keeps ``listing_cursor`` (the next page's); ``lookup`` keeps ``after_code``.
        """
        progress: dict[str, Any] = {"phase": phase}
        if phase == _reconcile.LISTING:
            progress["listing_cursor"] = listing_cursor
        else:
            progress["after_code"] = after_code
        if not repair:
            findings = [dataclasses.replace(f, repair_message_id=None) for f in findings]
        with self._write("recording reconciliation findings") as connection:
            done = _reconcile.record(
                connection, run_id, holder, findings, progress, lease_s, operator, utc_now()
            )
        if done.repaired:
            log.info("store.reconcile_repaired", run_id=run_id, messages=len(done.repaired))
        return done

    def reconcile_tally(self, run_id: int) -> list[FindingTally]:
        """A run's findings counted by class, source, agency and day of last activity."""
        with self._read("counting reconciliation findings") as connection:
            return _reconcile.tally(connection, run_id)

    def reconcile_findings(
        self, run_id: int, *, kinds: Sequence[str], after_id: int = 0, limit: int = 1000
    ) -> list[FindingRow]:
        """A run's findings of these classes, by id after ``after_id`` (page with the last id)."""
        with self._read("reading reconciliation findings") as connection:
            return _reconcile.findings(connection, run_id, kinds=kinds, after_id=after_id, limit=limit)

    def reconcile_findings_of(self, ma_ho_so: str) -> list[FindingRow]:
        """Every run's finding on one dossier, oldest first."""
        with self._read("reading reconciliation findings") as connection:
            return _reconcile.findings_of(connection, ma_ho_so)

    def reconcile_repairs_of(self, ma_ho_so: str) -> list[RepairRow]:
        """Every repair of one dossier, oldest first."""
        with self._read("reading reconciliation repairs") as connection:
            return _reconcile.repairs_of(connection, ma_ho_so)

    def first_dossier_code(self) -> str | None:
        """The smallest dossier code the store knows (None: it knows none)."""
        with self._read("reading dossiers") as connection:
            return _reconcile.first_code(connection)


def _message_row(row: RowMapping) -> MessageRow:
    values: dict[str, Any] = dict(row)
    values.update(state=MessageState(row["state"]), packet=bytes(row["packet"]), raw=bytes(row["raw"]))
    return MessageRow(**values)
