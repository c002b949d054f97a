"""A finding: one dossier judged, with what a report and the store need to know of it.

Turns the store's view of a dossier (every revision with its packet) and the portal's view (from
the change listing or a look-up) into the inputs of ``classify`` (the record hash of each revision:
``record_hash`` of the packet's ``HoSo``, the hash the portal reports), then into the ``NewFinding``
the run records: class, source, agency (the record's ``DonViXuLy``, else the agency prefix of the
dossier code), the latest revision and both statuses, the dossier's last activity (the later of
the gateway's receipt of its latest revision and the portal's last change) and a sentence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from gateway.packets.model import record_hash
from gateway.reconcile.classify import Held, Kind, Sent, classify
from gateway.reconcile.window import local_date
from gateway.store import NewFinding, ReconcileDossier


def agency_of(ma_ho_so: str, record: dict[str, Any] | None) -> str:
    """The agency a report counts the dossier under: its record's ``DonViXuLy``, else the part of
    the dossier code before the first ``-`` (the agency code)."""
    named = (record or {}).get("DonViXuLy")
    if isinstance(named, str) and named.strip():
        return named.strip()
    return ma_ho_so.split("-", 1)[0]


def judge(
    ma_ho_so: str,
    gateway: ReconcileDossier | None,
    portal: Held | None,
    *,
    via: str,
    portal_changed_at: datetime | None = None,
    portal_record: dict[str, Any] | None = None,
) -> NewFinding:
    """The finding on one dossier (``via``: listing or lookup; ``portal_record``: the portal's
    record when a look-up gave it)."""
    if gateway is None:
        verdict = classify((), None, portal)
        return NewFinding(
            ma_ho_so=ma_ho_so,
            kind=verdict.kind.value,
            source=None,
            agency=agency_of(ma_ho_so, portal_record),
            message_id=None,
            revision=None,
            gateway_status=None,
            portal_status=portal.status if portal else None,
            portal_hash=portal.record_hash if portal else None,
            via=via,
            last_activity=portal_changed_at,
            activity_date=local_date(portal_changed_at) if portal_changed_at else None,
            detail=verdict.detail,
        )
    records = {r.message_id: orjson.loads(r.packet).get("HoSo") or {} for r in gateway.revisions}
    sent = [
        Sent(r.message_id, r.revision, r.status, r.state, record_hash(records[r.message_id]))
        for r in gateway.revisions
    ]
    verdict = classify(sent, gateway.latest_message_id, portal)
    latest = gateway.latest
    activity = max(t for t in (latest.received_at, portal_changed_at) if t is not None)
    return NewFinding(
        ma_ho_so=ma_ho_so,
        kind=verdict.kind.value,
        source=gateway.source,
        agency=agency_of(ma_ho_so, records[latest.message_id]),
        message_id=latest.message_id,
        revision=latest.revision,
        gateway_status=latest.status,
        portal_status=portal.status if portal else None,
        portal_hash=portal.record_hash if portal else None,
        via=via,
        last_activity=activity,
        activity_date=local_date(activity),
        detail=verdict.detail,
        repair_message_id=verdict.repair,
        portal_lost=verdict.kind is Kind.MISSING,
    )


def held(record: dict[str, Any] | None) -> Held | None:
    """The portal's view from a look-up's record (None: it does not hold the dossier)."""
    if record is None:
        return None
    return Held(str(record.get("TrangThaiHoSo", "")), record_hash(record))
