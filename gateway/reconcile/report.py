"""The report of a reconciliation run: counts, the 766 sync rate, breakdowns, the dossiers to look at.

Built from the store (the run's findings), never from memory of the run, so a resumed run reports
everything it judged, before and after the interruption. ``Report.to_json()`` is the document
``dvcgw reconcile --report x.json`` writes and the HTML page (``gateway.reconcile.html``) renders::

    {"run_id", "generated_at", "window": {"since", "until"}, "counts": {class: int},
     "repaired", "received", "sync_rate", "by_source": {source: {class: int}},
     "by_agency": {agency: {"counts": {class: int}, "sync_rate"}},
     "drift_over_time": [{"date", class: int...}], "dossiers": [{"MaHoSo", "class", ...}]}

``received`` counts the dossiers of the gateway the run judged (every class but ``unknown``: the
dossiers it received whose activity is in the window); ``sync_rate`` = ``in_sync`` / ``received``
(1.0 when nothing was received), the share Decision 766 grades. Times are ISO 8601 in
Asia/Ho_Chi_Minh. A source or agency that is not known (a dossier only the portal holds) is listed
under ``"(none)"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.mapping.dates import NATIONAL_TZ
from gateway.reconcile.classify import DRIFT, Kind
from gateway.store import FindingRow, Store

NONE = "(none)"
KINDS = [kind.value for kind in Kind]
_LISTED = [k.value for k in (Kind.MISSING, Kind.STALE, Kind.DIFFERS, Kind.UNKNOWN, Kind.IN_FLIGHT)]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(NATIONAL_TZ).isoformat(timespec="seconds")


def _zeros() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


def sync_rate(counts: Mapping[str, int]) -> float:
    """Decision 766's figure from dossiers per class: ``in_sync`` ÷ the gateway's dossiers judged
    (every class but ``unknown``); 1.0 when none was judged. A class absent from ``counts`` is 0."""
    received = sum(counts.values()) - counts.get(Kind.UNKNOWN, 0)
    return 1.0 if received == 0 else counts.get(Kind.IN_SYNC, 0) / received


@dataclass(frozen=True)
class DossierLine:
    """One dossier not in sync, as the report lists it."""

    ma_ho_so: str
    kind: str
    source: str | None
    agency: str | None
    revision: str | None
    gateway_status: str | None
    portal_status: str | None
    last_activity: datetime | None
    repaired: bool
    detail: str

    @classmethod
    def of(cls, row: FindingRow) -> DossierLine:
        return cls(
            row.ma_ho_so,
            row.kind,
            row.source,
            row.agency,
            row.revision,
            row.gateway_status,
            row.portal_status,
            row.last_activity,
            row.repaired,
            row.detail,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "MaHoSo": self.ma_ho_so,
            "class": self.kind,
            "source": self.source,
            "agency": self.agency,
            "revision": self.revision,
            "gateway_status": self.gateway_status,
            "portal_status": self.portal_status,
            "last_activity": _iso(self.last_activity),
            "repaired": self.repaired,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Report:
    """What one run found; ``to_json()`` is the report document (see the module)."""

    run_id: int
    generated_at: datetime
    since: datetime | None
    until: datetime
    counts: dict[str, int]
    repaired: int
    by_source: dict[str, dict[str, int]]
    by_agency: dict[str, dict[str, int]]
    by_date: dict[str, dict[str, int]]
    dossiers: list[DossierLine] = field(default_factory=list)
    finished: bool = True

    @property
    def received(self) -> int:
        return sum(self.counts.values()) - self.counts[Kind.UNKNOWN]

    @property
    def sync_rate(self) -> float:
        return sync_rate(self.counts)  # the module's function: a class body is no enclosing scope

    @property
    def drift(self) -> int:
        """Dossiers in a drift class (missing, stale, differs)."""
        return sum(self.counts[k] for k in DRIFT)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "generated_at": _iso(self.generated_at),
            "window": {"since": _iso(self.since), "until": _iso(self.until)},
            "counts": dict(self.counts),
            "repaired": self.repaired,
            "received": self.received,
            "sync_rate": self.sync_rate,
            "by_source": {source: dict(counts) for source, counts in sorted(self.by_source.items())},
            "by_agency": {
                agency: {"counts": dict(counts), "sync_rate": sync_rate(counts)}
                for agency, counts in sorted(self.by_agency.items())
            },
            "drift_over_time": [{"date": day, **counts} for day, counts in sorted(self.by_date.items())],
            "dossiers": [line.to_json() for line in self.dossiers],
        }


def build_report(store: Store, run_id: int, *, now: datetime | None = None) -> Report:
    """The report of run ``run_id`` from its findings in the store (``KeyError``: no such run)."""
    run = store.reconcile_run(run_id)
    if run is None:
        raise KeyError(run_id)
    counts = _zeros()
    by_source: dict[str, dict[str, int]] = defaultdict(_zeros)
    by_agency: dict[str, dict[str, int]] = defaultdict(_zeros)
    by_date: dict[str, dict[str, int]] = defaultdict(_zeros)
    repaired = 0
    for group in store.reconcile_tally(run_id):
        counts[group.kind] += group.count
        by_source[group.source or NONE][group.kind] += group.count
        by_agency[group.agency or NONE][group.kind] += group.count
        if group.activity_date is not None:
            by_date[group.activity_date][group.kind] += group.count
        repaired += group.repaired
    lines: list[DossierLine] = []
    after = 0
    while page := store.reconcile_findings(run_id, kinds=_LISTED, after_id=after):
        lines.extend(DossierLine.of(row) for row in page)
        after = page[-1].id
    order = {kind: i for i, kind in enumerate(_LISTED)}
    lines.sort(key=lambda line: (order[line.kind], line.ma_ho_so))
    return Report(
        run_id=run.id,
        generated_at=now or datetime.now(UTC),
        since=run.since,
        until=run.until,
        counts=counts,
        repaired=repaired,
        by_source=dict(by_source),
        by_agency=dict(by_agency),
        by_date=dict(by_date),
        dossiers=lines,
        finished=run.state == "done",
    )
