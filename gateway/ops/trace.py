"""The life of one dossier, for ``dvcgw trace``: what the gateway received, tried, gave up, replayed,
what reconciliation found and repaired, and what the portal holds now.

From the store: every revision received (source file, record index, when, mapping and its hash,
content hash, state), every delivery attempt with its outcome and error, the dead letters and the
replays, every reconciliation run's finding on the dossier and every repair it made. From the
portal: its current record (``TraCuuHoSo``), compared with the records the gateway sent. The
portal is asked once (no retries: an operator is waiting); when it cannot be asked (no password
configured, unreachable, refusing) the trace says so and shows the rest.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from gateway.config import PortalConfig
from gateway.errors import ConfigError, PortalError, PortalUnavailable
from gateway.ops.dead import attempt_json, attempt_line
from gateway.ops.times import shown
from gateway.packets.model import record_hash
from gateway.store import AttemptRow, DossierRow, FindingRow, MessageRow, RepairRow, ReplayRow, Store


@dataclass(frozen=True)
class PortalView:
    """What the portal said of the dossier: its record (None: it does not hold it), or why it could
    not be asked (``unavailable``)."""

    record: dict[str, Any] | None = None
    unavailable: str | None = None


@dataclass(frozen=True)
class RevisionLife:
    """One message (one revision received) with its attempts and replays."""

    message: MessageRow
    attempts: list[AttemptRow]
    replays: list[ReplayRow]

    def to_json(self) -> dict[str, Any]:
        m = self.message
        return {
            "id": m.id,
            "revision": m.revision,
            "state": m.state.value,
            "received_at": shown(m.received_at),
            "source": m.source,
            "source_file": m.source_file,
            "record_index": m.record_index,
            "mapping": m.mapping,
            "mapping_hash": m.mapping_hash,
            "content_hash": m.content_hash,
            "attempts": [attempt_json(a) for a in self.attempts],
            "error_class": m.last_error_class,
            "reason": m.last_error,
            "dead_at": shown(m.dead_at) if m.dead_at else None,
            "replays": [_replay_json(r) for r in self.replays],
        }


@dataclass(frozen=True)
class DossierTrace:
    """Everything the store knows of one dossier, and the portal's view of it."""

    dossier: DossierRow
    revisions: list[RevisionLife]
    portal: PortalView
    findings: list[FindingRow] = field(default_factory=list)
    repairs: list[RepairRow] = field(default_factory=list)

    def portal_match(self) -> int | None:
        """The message whose record the portal holds now, exactly (None: none of them)."""
        record = self.portal.record
        if record is None:
            return None
        held = record_hash(record)
        for life in reversed(self.revisions):
            if record_hash(orjson.loads(life.message.packet)["HoSo"]) == held:
                return life.message.id
        return None

    def to_json(self) -> dict[str, Any]:
        d = self.dossier
        return {
            "MaHoSo": d.ma_ho_so,
            "source": d.source,
            "latest": {"id": d.latest_message_id, "revision": d.latest_revision},
            "acknowledged": (
                {"id": d.acked_message_id, "revision": d.acked_revision, "at": shown(d.acked_at)}
                if d.acked_message_id is not None
                else None
            ),
            "revisions": [life.to_json() for life in self.revisions],
            "reconciliation": {
                "findings": [_finding_json(f) for f in self.findings],
                "repairs": [_repair_json(r) for r in self.repairs],
            },
            "portal": {
                "asked": self.portal.unavailable is None,
                "unavailable": self.portal.unavailable,
                "holds": self.portal.record is not None,
                "status": (self.portal.record or {}).get("TrangThaiHoSo"),
                "matches_message": self.portal_match(),
                "record": self.portal.record,
            },
        }

    def lines(self) -> list[str]:
        d = self.dossier
        acked = (
            f"#{d.acked_message_id} (revision {d.acked_revision}) at {shown(d.acked_at)}"
            if d.acked_message_id is not None
            else "never"
        )
        out = [
            f"Dossier {d.ma_ho_so} (source {d.source})",
            f"  latest received  #{d.latest_message_id} (revision {d.latest_revision})",
            f"  acknowledged     {acked}",
            "",
            f"Revisions ({len(self.revisions)}):",
        ]
        for life in self.revisions:
            m = life.message
            out.append(
                f"  #{m.id}  revision {m.revision}  {m.state.value}  received {shown(m.received_at)}  "
                f"from {m.source_file}, record {m.record_index}"
            )
            out.append(f"      mapping {m.mapping} {m.mapping_hash[:12]}  content {m.content_hash[:12]}")
        out += ["", "Timeline:"]
        out += [f"  {shown(at)}  {text}" for at, text in self.timeline()]
        out += ["", *self._portal_lines()]
        return out

    def timeline(self) -> list[tuple[datetime, str]]:
        """(when, what happened), in order: receipts, attempts, replays, findings of reconciliation
        runs and their repairs; at equal times in that order. ``dvcgw trace`` and the console show it."""
        return [(at, text) for at, _, text in sorted(self._events(), key=lambda e: e[:2])]

    def _events(self) -> list[tuple[datetime, int, str]]:
        """(when, order among equal times, what happened): receipts, attempts, replays, findings of
        reconciliation runs and their repairs."""
        events: list[tuple[datetime, int, str]] = []
        for life in self.revisions:
            m = life.message
            events.append(
                (m.received_at, 0, f"received   #{m.id} revision {m.revision} from {m.source_file}")
            )
            for a in life.attempts:
                events.append((a.at, 1, f"#{m.id} {attempt_line(a, when=False)}"))
            for r in life.replays:
                instead = f", sent as #{r.replacement_id}" if r.replacement_id is not None else ""
                remap = " with --remap" if r.remap else ""
                events.append(
                    (r.replayed_at, 2, f"replayed   #{m.id} by {r.operator}{remap} ({r.selection}){instead}")
                )
        for f in self.findings:
            detail = f" ({f.detail})" if f.detail else ""
            events.append((f.found_at, 3, f"reconciled run #{f.run_id}: {f.kind}{detail}"))
        for repair in self.repairs:
            said = f"repaired   #{repair.message_id} re-sent by {repair.operator} ({repair.kind})"
            events.append((repair.repaired_at, 4, said))
        return events

    def _portal_lines(self) -> list[str]:
        if self.portal.unavailable is not None:
            return [f"Portal (TraCuuHoSo): {self.portal.unavailable}"]
        record = self.portal.record
        if record is None:
            return ["Portal (TraCuuHoSo): does not hold this dossier"]
        match = self.portal_match()
        same = (
            f"its record is exactly the one sent as #{match}"
            if match is not None
            else "its record is none of the revisions the gateway holds"
        )
        return [f"Portal (TraCuuHoSo): holds the dossier, status {record.get('TrangThaiHoSo')}; {same}"]


def _replay_json(replay: ReplayRow) -> dict[str, Any]:
    return {
        "at": shown(replay.replayed_at),
        "operator": replay.operator,
        "selection": replay.selection,
        "remap": replay.remap,
        "replacement_id": replay.replacement_id,
    }


def _finding_json(finding: FindingRow) -> dict[str, Any]:
    return {
        "run_id": finding.run_id,
        "at": shown(finding.found_at),
        "class": finding.kind,
        "via": finding.via,
        "message_id": finding.message_id,
        "portal_status": finding.portal_status,
        "detail": finding.detail,
        "repaired": finding.repaired,
    }


def _repair_json(repair: RepairRow) -> dict[str, Any]:
    return {
        "run_id": repair.run_id,
        "at": shown(repair.repaired_at),
        "message_id": repair.message_id,
        "class": repair.kind,
        "operator": repair.operator,
    }


def portal_view(config: PortalConfig, ma_ho_so: str) -> PortalView:
    """Ask the portal for the dossier once; never raises for a portal that cannot be asked."""
    from gateway.portal import make_client

    try:
        # One attempt: the operator waits for the answer, and the store's side is shown anyway.
        client = make_client(dataclasses.replace(config, call_attempts=1))
    except ConfigError as exc:
        return PortalView(unavailable=f"not asked: {exc}")
    try:
        return PortalView(record=client.lookup(ma_ho_so))
    except PortalUnavailable as exc:
        return PortalView(unavailable=f"the portal did not answer: {exc}")
    except PortalError as exc:
        return PortalView(unavailable=f"the portal refused the look-up: {exc}")
    finally:
        client.close()


def trace(store: Store, ma_ho_so: str, portal: PortalConfig | None) -> DossierTrace | None:
    """The life of dossier ``ma_ho_so`` (None: the store never received it); ``portal`` None: the
    portal is not asked."""
    dossier = store.dossier(ma_ho_so)
    if dossier is None:
        return None
    messages = store.messages_of(ma_ho_so)
    replays = store.replays_of([m.id for m in messages])
    revisions = [
        RevisionLife(m, store.attempts_of(m.id), [r for r in replays if r.message_id == m.id])
        for m in messages
    ]
    view = portal_view(portal, ma_ho_so) if portal is not None else PortalView(unavailable="not asked")
    findings, repairs = store.reconcile_findings_of(ma_ho_so), store.reconcile_repairs_of(ma_ho_so)
    return DossierTrace(dossier, revisions, view, findings, repairs)
