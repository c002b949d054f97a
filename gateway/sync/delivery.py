"""One portal batch: send the dossiers, fall back between insert and update, then their history.

This is the part of a sync worker that talks to the portal, run in a worker thread with that
thread's own ``PortalClient``. It decides nothing about the broker or the store: it returns, per
message, whether the portal acknowledged it, whether it may succeed later, or whether the portal
refused it for good, with the portal's own words.

Insert or update comes from the store (``update``: the portal acknowledged this dossier before);
the portal's answers correct it: "already exists" on insert → resend as update, "not found" on
update → resend as insert, once each. History entries go after their dossier was accepted; the
portal stores an identical entry once, so a resend after a failure is harmless.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import PortalRejected, PortalUnavailable
from gateway.portal import ItemOutcome, ItemResult, PortalClient
from gateway.store import Result


@dataclass(frozen=True)
class Job:
    """One message to deliver: its ledger id, delivery tag, this attempt's number and the packet."""

    message_id: int
    tag: int
    ma_ho_so: str
    revision: str
    update: bool
    attempt: int
    packet: dict[str, Any]
    body: bytes
    headers: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """What became of one job at the portal."""

    job: Job
    result: Result
    operation: str | None
    error_class: str | None = None
    error: str | None = None
    retry_after: float | None = None
    duration_ms: float = 0.0


def agency_of(ma_ho_so: str) -> str:
    """The agency code that prefixes a dossier code (``000.00.22.H33-210604-0001`` → ``000.00.22.H33``)."""
    return ma_ho_so.rsplit("-", 2)[0]


def deliver(
    client: PortalClient, jobs: Sequence[Job], *, madonvi: str | None, history_batch: int
) -> list[Sent]:
    """Send ``jobs`` (distinct dossiers) to the portal; one ``Sent`` per job, in no particular order."""
    return _Delivery(client, madonvi or agency_of(jobs[0].ma_ho_so), history_batch).run(jobs)


class _Delivery:
    def __init__(self, client: PortalClient, sender: str, history_batch: int) -> None:
        self.client = client
        self.sender = sender
        self.history_batch = history_batch
        self.settled: dict[int, Sent] = {}
        self.accepted: dict[int, tuple[Job, str]] = {}

    def run(self, jobs: Sequence[Job]) -> list[Sent]:
        started = time.monotonic()
        pending = [(job, job.update) for job in jobs]
        for round_ in range(2):
            groups: dict[bool, list[Job]] = {}
            for job, update in pending:
                groups.setdefault(update, []).append(job)
            pending = []
            for update, group in groups.items():
                pending += self._dossiers(group, update, last_round=round_ == 1)
            if not pending:
                break
        self._history()
        for job, operation in self.accepted.values():
            if job.message_id not in self.settled:
                self._settle(job, Result.ACKED, operation)
        elapsed_ms = (time.monotonic() - started) * 1000
        return [dataclasses.replace(sent, duration_ms=elapsed_ms) for sent in self.settled.values()]

    def _dossiers(self, group: list[Job], update: bool, *, last_round: bool) -> list[tuple[Job, bool]]:
        """One DongBoHoSoMC call; returns the jobs to resend in the other form."""
        operation = "update" if update else "insert"
        try:
            results = _aligned(
                self.client.sync_dossiers(
                    [job.packet["HoSo"] for job in group], update=update, madonvi=self.sender
                ),
                group,
            )
        except (PortalUnavailable, PortalRejected) as exc:
            for job in group:
                self._failed(job, operation, exc)
            return []
        resend: list[tuple[Job, bool]] = []
        for job, item in zip(group, results, strict=True):
            if item.outcome is ItemOutcome.OK:
                self.accepted[job.message_id] = (job, operation)
            elif item.outcome in (ItemOutcome.EXISTS, ItemOutcome.NOT_FOUND) and not last_round:
                resend.append((job, item.outcome is ItemOutcome.EXISTS))
            elif item.outcome in (ItemOutcome.EXISTS, ItemOutcome.NOT_FOUND):
                # Refused as insert and as update in one delivery: another client is changing it now.
                self._failed(job, operation, PortalUnavailable(f"{operation}: {item.message}"))
            else:
                self._refused(
                    job, operation, f"the portal refused the dossier: {item.message} (code {item.code})"
                )
        return resend

    def _history(self) -> None:
        entries = [
            (job, step) for job, _ in self.accepted.values() for step in job.packet.get("QuaTrinhXuLy") or []
        ]
        for start in range(0, len(entries), self.history_batch):
            chunk = entries[start : start + self.history_batch]
            try:
                results = _aligned(
                    self.client.push_history([step for _, step in chunk], madonvi=self.sender), chunk
                )
            except (PortalUnavailable, PortalRejected) as exc:
                for job, _ in chunk:
                    self._failed(job, "history", exc)
                continue
            for (job, _), item in zip(chunk, results, strict=True):
                if item.outcome is ItemOutcome.OK:
                    continue
                if item.outcome is ItemOutcome.NOT_FOUND:
                    # Accepted a moment ago, unknown now: the portal lost it; sending again repairs it.
                    self._failed(job, "history", PortalUnavailable(f"history: {item.message}"))
                else:
                    self._refused(
                        job,
                        "history",
                        f"the portal refused a history entry: {item.message} (code {item.code})",
                    )

    def _failed(self, job: Job, operation: str, exc: PortalUnavailable | PortalRejected) -> None:
        result = Result.RETRY if isinstance(exc, PortalUnavailable) else Result.DEAD
        retry_after = exc.retry_after if isinstance(exc, PortalUnavailable) else None
        self._settle(job, result, operation, type(exc).__name__, str(exc), retry_after)

    def _refused(self, job: Job, operation: str, reason: str) -> None:
        self._settle(job, Result.DEAD, operation, "PortalRefused", reason)

    def _settle(
        self,
        job: Job,
        result: Result,
        operation: str,
        error_class: str | None = None,
        error: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        previous = self.settled.get(job.message_id)
        if previous is not None and previous.result is Result.DEAD:
            return  # a permanent refusal stands whatever the job's other entries did
        self.settled[job.message_id] = Sent(job, result, operation, error_class, error, retry_after)


def _aligned(results: Sequence[ItemResult], items: Sequence[object]) -> Sequence[ItemResult]:
    """The portal answers one outcome per item, in order; anything else is a portal fault."""
    if len(results) != len(items):
        raise PortalUnavailable(f"the portal answered {len(results)} outcomes for {len(items)} items")
    return results
