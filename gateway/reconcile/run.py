"""One reconciliation run: walk the portal's view of the window, judge each dossier, repair, record.

For ``dvcgw reconcile`` and the daemon's schedule (``gateway.reconcile.schedule``). A run has two
phases, each with bounded memory (one page at a time) and its progress in the store:

1. **listing**: the portal's ``DanhSachHoSoThayDoi`` pages over the window (status and record hash
   of every dossier it changed), each page compared with the store in one query, its findings
   written with the next page's cursor in one transaction;
2. **look-ups**: the store's dossiers of the window that the listing did not show (the portal lost
   them, or changed them before the window), a page of codes at a time (one store query), each
   asked with ``TraCuuHoSo``; findings written every second's worth of calls with the last code.

Every portal call first takes a token from a ``TokenBucket`` (``reconcile.rate_per_s``). A run holds
a lease in the store, renewed at every write: one run at a time, across processes and hosts. A run
that is interrupted (killed, portal gone, stopped) is resumed by the next one asking for the same
comparison (``Store.reconcile_claim``): it goes on from its cursor or last code, and what it judged
already is not judged again. A lease whose holder is a process of this host that no longer exists
is taken over at once; any other waits for its expiry (``reconcile.lease_s``).

Repair (``repair``) happens as findings are written, in the same transaction: see
``Store.reconcile_record``. The messages put back in the outbox go the normal way (the daemon's
relay; ``dvcgw reconcile`` also publishes them once itself).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from gateway.config import ReconcileConfig
from gateway.errors import GatewayError
from gateway.observe import metrics
from gateway.portal import PortalClient
from gateway.reconcile.classify import DRIFT, Held, Kind
from gateway.reconcile.finding import held, judge
from gateway.reconcile.pacing import TokenBucket
from gateway.reconcile.window import Window, portal_time
from gateway.store import NewFinding, NewReconcileRun, ReconcileRunRow, Store

log = structlog.get_logger(__name__)

RESUME_WITHIN_S = 3600.0
"""An interrupted run over a window up to now is resumed by a run started within this time."""


class RunTakenOver(GatewayError):
    """This process lost the run's lease (it expired and another process took the run over)."""


@dataclass(frozen=True)
class RunRequest:
    """What to compare and how: the window, one source or all, repair or not, who asks."""

    window: Window
    source: str | None = None
    repair: bool = True
    started_by: str = "cli"
    operator: str = "unknown"
    resume_id: int | None = None
    due_after_s: float | None = None


@dataclass
class RunOutcome:
    """What one call of ``Reconciler.run`` did: the run (None: ``refused`` says why none ran),
    whether it resumed an interrupted one, findings written and messages repaired by this call,
    and whether it stopped before the end (``stop`` set)."""

    run: ReconcileRunRow | None
    refused: str | None = None
    resumed: bool = False
    judged: int = 0
    repaired: int = 0
    interrupted: bool = False
    kinds: dict[str, int] = field(default_factory=dict)


def holder_name() -> str:
    """This process, as a run's lease names it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(holder: str | None) -> bool:
    """Whether ``holder`` is a process of this host that no longer runs."""
    if holder is None:
        return False
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's process
        return False
    return False


class Reconciler:
    """Runs reconciliations of one store against one portal client (both used by one thread)."""

    def __init__(
        self,
        store: Store,
        client: PortalClient,
        config: ReconcileConfig,
        *,
        agency: str | None = None,
        stop: threading.Event | None = None,
        progress: Callable[[int], None] = lambda judged: None,
        pace: TokenBucket | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.config = config
        self.agency = agency
        self.stop = stop or threading.Event()
        self.progress = progress
        self.pace = pace or TokenBucket(config.rate_per_s, wait=self.stop.wait)
        self.holder = holder_name()
        self.run_id: int | None = None
        """The run being (or last) carried on: for messages when a run fails midway."""

    def run(self, request: RunRequest) -> RunOutcome:
        """Start or resume a run and carry it to its end (or until ``stop``); see the module."""
        for run in self.store.reconcile_active():
            if _gone(run.holder) and run.holder is not None:
                log.info("reconcile run's holder is gone; taking it over", run_id=run.id, holder=run.holder)
                self.store.reconcile_release(run.id, run.holder)
        new = NewReconcileRun(
            since=request.window.since,
            until=request.window.until,
            window_kind=request.window.kind,
            source=request.source,
            repair=request.repair,
            started_by=request.started_by,
            operator=request.operator,
        )
        claim = self.store.reconcile_claim(
            new,
            self.holder,
            self.config.lease_s,
            resume_id=request.resume_id,
            resume_within_s=RESUME_WITHIN_S,
            due_after_s=request.due_after_s,
        )
        if claim.run is None:
            return RunOutcome(None, refused=claim.refused)
        run = claim.run
        self.run_id = run.id
        outcome = RunOutcome(run, resumed=claim.resumed)
        log.info(
            "reconcile run started",
            run_id=run.id,
            resumed=claim.resumed,
            phase=run.phase,
            window=run.window_kind,
            source=run.source,
            repair=run.repair,
        )
        finished = False
        try:
            if run.phase == "listing":
                self._listing(run, outcome)
            if not self.stop.is_set():
                self._lookups(run, outcome)
            finished = not self.stop.is_set()
        finally:
            # Released either way: a run stopped or failed is resumable at once.
            self.store.reconcile_release(run.id, self.holder, finished=finished)
        outcome.interrupted = not finished
        metrics.RECONCILE_RUNS.labels("finished" if finished else "interrupted").inc()
        log.info(
            "reconcile run finished" if finished else "reconcile run interrupted",
            run_id=run.id,
            judged=outcome.judged,
            repaired=outcome.repaired,
            **outcome.kinds,
        )
        outcome.run = self.store.reconcile_run(run.id)
        return outcome

    # -- the two phases -------------------------------------------------------------------------

    def _listing(self, run: ReconcileRunRow, outcome: RunOutcome) -> None:
        agency = self.agency or self._default_agency()
        if agency is None:
            # Nothing received and no agency configured: nothing of ours to list.
            self._write(run, [], outcome, phase="lookup")
            return
        since, until = Window(run.since, run.until, run.window_kind).portal_bounds()
        cursor = run.listing_cursor
        while not self.stop.is_set():
            self.pace.take()
            page = self.client.changed(
                since=since, until=until, cursor=cursor, page_size=self.config.page_size, madonvi=agency
            )
            known = self.store.reconcile_dossiers([item.ma_ho_so for item in page.items])
            findings = []
            for item in page.items:
                gateway = known.get(item.ma_ho_so)
                if not self._wanted(run, gateway.source if gateway else None):
                    continue
                findings.append(
                    judge(
                        item.ma_ho_so,
                        gateway,
                        Held(item.status, item.record_hash),
                        via="listing",
                        portal_changed_at=portal_time(item.changed_at),
                    )
                )
            done = page.next_cursor is None
            self._write(
                run, findings, outcome, phase="lookup" if done else "listing", listing_cursor=page.next_cursor
            )
            if done:
                return
            cursor = page.next_cursor

    def _lookups(self, run: ReconcileRunRow, outcome: RunOutcome) -> None:
        after = run.after_code
        # About one second of calls between writes: little lost to a kill, few transactions.
        per_write = self.config.page_size if self.config.rate_per_s <= 0 else int(self.config.rate_per_s)
        per_write = max(1, min(self.config.page_size, per_write))
        while not self.stop.is_set():
            codes = self.store.reconcile_unseen(
                run.id,
                run.since,
                run.until,
                source=run.source,
                after_code=after,
                limit=self.config.page_size,
            )
            if not codes:
                return
            known = self.store.reconcile_dossiers(codes)
            for start in range(0, len(codes), per_write):
                findings = []
                for code in codes[start : start + per_write]:
                    if self.stop.is_set():
                        break
                    self.pace.take()
                    record = self.client.lookup(code)
                    findings.append(
                        judge(code, known.get(code), held(record), via="lookup", portal_record=record)
                    )
                if findings:
                    self._write(run, findings, outcome, phase="lookup", after_code=findings[-1].ma_ho_so)
                if self.stop.is_set():
                    return
            after = codes[-1]

    # -- helpers ----------------------------------------------------------------------------------

    def _wanted(self, run: ReconcileRunRow, source: str | None) -> bool:
        """With a source chosen, only that source's dossiers (unknown ones have none: left out)."""
        return run.source is None or source == run.source

    def _default_agency(self) -> str | None:
        """The sending agency for the listing: the agency prefix of the store's dossier codes."""
        code = self.store.first_dossier_code()
        return None if code is None else code.split("-", 1)[0]

    def _write(
        self,
        run: ReconcileRunRow,
        findings: Sequence[NewFinding],
        outcome: RunOutcome,
        *,
        phase: str,
        listing_cursor: str | None = None,
        after_code: str | None = None,
    ) -> None:
        recorded = self.store.reconcile_record(
            run.id,
            self.holder,
            findings,
            lease_s=self.config.lease_s,
            operator=f"reconcile run #{run.id} ({run.operator})",
            phase=phase,
            listing_cursor=listing_cursor,
            after_code=after_code,
            repair=run.repair,
        )
        if not recorded.held:
            raise RunTakenOver(
                f"reconcile run #{run.id} was taken over by another process (its lease expired)"
            )
        repaired = recorded.repaired or {}
        outcome.judged += recorded.new
        outcome.repaired += len(repaired)
        for finding in findings:
            outcome.kinds[finding.kind] = outcome.kinds.get(finding.kind, 0) + 1
            if Kind(finding.kind) in DRIFT or finding.kind == Kind.UNKNOWN:
                log.info(
                    "reconcile finding",
                    run_id=run.id,
                    ma_ho_so=finding.ma_ho_so,
                    kind=finding.kind,
                    via=finding.via,
                    repaired=finding.ma_ho_so in repaired,
                    message_id=repaired.get(finding.ma_ho_so, finding.message_id),
                )
        self.progress(recorded.new)
