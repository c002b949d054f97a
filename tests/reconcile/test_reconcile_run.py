"""A reconciliation run against a portal held in memory: the listing, then look-ups; every class
found, the drift repaired, the report's figures; an interrupted run resumed where it stopped."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.cli_ops import _write_report
from gateway.config import ReconcileConfig
from gateway.errors import PortalUnavailable
from gateway.packets.model import record_hash
from gateway.portal import ChangedItem, ChangedPage, ItemResult
from gateway.reconcile.report import build_report
from gateway.reconcile.run import Reconciler, RunRequest
from gateway.store import MessageState, Store
from gateway.synthetic import dossier_code
from tests.reconcile.reconcile_ledger import new_run, record_of, stored, window

CONFIG = ReconcileConfig(rate_per_s=0, page_size=3)
STRANGER = "000.00.22.H33-210601-999999"


class MemoryPortal:
    """A ``PortalClient`` whose dossiers are a dict: the listing shows ``listed`` (in code order,
    ``page_size`` at a time), ``lookup`` sees every held record. ``fail_after``: calls answered
    before it raises ``PortalUnavailable`` (a portal gone mid-run)."""

    def __init__(self, held: Mapping[str, dict[str, Any]], listed: Sequence[str]) -> None:
        self.held = dict(held)
        self.listed = sorted(listed)
        self.calls: list[tuple[str, Any]] = []
        self.fail_after: int | None = None

    def _called(self, what: str, arg: Any) -> None:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise PortalUnavailable("the portal went away")
        self.calls.append((what, arg))

    def changed(
        self,
        *,
        since: str | None,
        until: str | None,
        cursor: str | None,
        page_size: int = 100,
        madonvi: str | None = None,
    ) -> ChangedPage:
        self._called("changed", cursor)
        start = int(cursor or 0)
        codes = self.listed[start : start + page_size]
        now = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        items = [
            ChangedItem(code, self.held[code]["TrangThaiHoSo"], now, record_hash(self.held[code]))
            for code in codes
        ]
        more = start + page_size < len(self.listed)
        return ChangedPage(items, str(start + page_size) if more else None)

    def lookup(self, ma_ho_so: str) -> dict[str, Any] | None:
        self._called("lookup", ma_ho_so)
        return self.held.get(ma_ho_so)

    def sync_dossiers(
        self, records: Sequence[Mapping[str, Any]], *, update: bool, madonvi: str
    ) -> list[ItemResult]:
        raise AssertionError("reconciliation never sends")

    def push_history(self, entries: Sequence[Mapping[str, Any]], *, madonvi: str) -> list[ItemResult]:
        raise AssertionError("reconciliation never sends")

    def close(self) -> None:
        pass


def drifted_world(store: Store) -> tuple[MemoryPortal, dict[str, int]]:
    """Dossiers 0-5 in sync, 6 lost by the portal, 7 held at an older revision, 8 changed there by
    someone else (same status), 9 on its way, and one only the portal holds."""
    ids = {f"sync{i}": stored(store, i) for i in range(6)}
    ids["missing"] = stored(store, 6)
    old = stored(store, 7, 0)
    ids["stale"] = stored(store, 7, 1)
    ids["differs"] = stored(store, 8)
    on_its_way = stored(store, 9, acked=False)
    held = {dossier_code(i): record_of(store, ids[f"sync{i}"]) for i in range(6)}
    held[dossier_code(7)] = record_of(store, old)
    held[dossier_code(8)] = {**record_of(store, ids["differs"]), "NoiDungGiaiQuyet": "đổi bởi hệ thống khác"}
    held[dossier_code(9)] = record_of(store, on_its_way)
    held[STRANGER] = {**record_of(store, ids["sync0"]), "MaHoSo": STRANGER}
    # The listing shows the dossiers the portal changed; 7 changed before the window: look-up only.
    listed = [code for code in held if code != dossier_code(7)]
    return MemoryPortal(held, listed), ids


def test_a_run_finds_every_class_repairs_the_drift_and_reports_the_766_figure(store: Store) -> None:
    portal, ids = drifted_world(store)
    outcome = Reconciler(store, portal, CONFIG).run(RunRequest(window(), operator="tester"))
    assert outcome.run is not None
    assert outcome.run.state == "done"
    report = build_report(store, outcome.run.id)
    assert report.counts == {
        "in_sync": 6,
        "missing": 1,
        "stale": 1,
        "differs": 1,
        "unknown": 1,
        "in_flight": 1,
    }
    document = report.to_json()
    classes = {line["MaHoSo"]: line["class"] for line in document["dossiers"]}
    assert classes == {
        dossier_code(6): "missing",
        dossier_code(7): "stale",
        dossier_code(8): "differs",
        STRANGER: "unknown",
        dossier_code(9): "in_flight",
    }
    assert document["repaired"] == 3
    assert document["received"] == 10
    assert document["sync_rate"] == pytest.approx(6 / 10)
    assert {line["MaHoSo"] for line in document["dossiers"] if line["repaired"]} == {
        dossier_code(i) for i in (6, 7, 8)
    }
    for name in ("missing", "stale", "differs"):
        assert store.states([ids[name]]) == {ids[name]: MessageState.PENDING}
    assert store.states([ids["sync0"]]) == {ids["sync0"]: MessageState.ACKED}
    assert document["by_source"]["igate-json"]["in_sync"] == 6
    assert document["by_source"]["(none)"]["unknown"] == 1
    assert sum(day["missing"] for day in document["drift_over_time"]) == 1
    # Look-ups only for the dossiers the listing did not show.
    assert sorted(arg for what, arg in portal.calls if what == "lookup") == [dossier_code(6), dossier_code(7)]


def test_a_run_without_repair_changes_nothing_in_the_ledger(store: Store) -> None:
    portal, ids = drifted_world(store)
    outcome = Reconciler(store, portal, CONFIG).run(RunRequest(window(), repair=False))
    assert outcome.run is not None
    report = build_report(store, outcome.run.id)
    assert (report.drift, report.repaired) == (3, 0)
    assert store.states([ids["missing"]]) == {ids["missing"]: MessageState.ACKED}


def test_an_interrupted_run_resumes_from_its_cursor_and_judges_no_dossier_twice(store: Store) -> None:
    portal, _ = drifted_world(store)
    portal.fail_after = 2  # two listing pages, then the portal is gone
    reconciler = Reconciler(store, portal, CONFIG)
    with pytest.raises(PortalUnavailable):
        reconciler.run(RunRequest(window()))
    interrupted = store.reconcile_run(reconciler.run_id or 0)
    assert interrupted is not None
    assert (interrupted.state, interrupted.phase, interrupted.listing_cursor) == ("running", "listing", "6")
    assert interrupted.lease_until is None  # released: resumable at once
    first_calls = len(portal.calls)

    portal.fail_after = None
    outcome = Reconciler(store, portal, CONFIG).run(RunRequest(window()))
    assert outcome.resumed
    assert outcome.run is not None
    assert outcome.run.id == interrupted.id
    assert portal.calls[first_calls] == ("changed", "6")
    report = build_report(store, outcome.run.id)
    assert sum(report.counts.values()) == 11
    assert report.counts["missing"] == 1
    assert report.repaired == 3


def test_a_run_for_one_source_leaves_out_the_others_and_dossiers_it_never_received(store: Store) -> None:
    portal, _ = drifted_world(store)
    outcome = Reconciler(store, portal, CONFIG).run(RunRequest(window(), source="legacy-csv"))
    assert outcome.run is not None
    assert sum(build_report(store, outcome.run.id).counts.values()) == 0


def test_a_second_run_beside_a_running_one_is_refused(store: Store) -> None:
    portal, _ = drifted_world(store)
    store.reconcile_claim(new_run(), "elsewhere:1", 60)
    outcome = Reconciler(store, portal, CONFIG).run(RunRequest(window()))
    assert outcome.run is None
    assert "in progress" in (outcome.refused or "")
    assert portal.calls == []


def test_the_report_is_written_as_json_or_as_the_html_page_by_its_suffix(
    store: Store, tmp_path: Path
) -> None:
    portal, _ = drifted_world(store)
    outcome = Reconciler(store, portal, CONFIG).run(RunRequest(window(), repair=False))
    assert outcome.run is not None
    document = build_report(store, outcome.run.id).to_json()
    _write_report(document, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == document
    _write_report(document, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert all(line["MaHoSo"] in page for line in document["dossiers"])
