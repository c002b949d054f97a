"""The life of one dossier: every revision, attempt, dead letter and replay, and the portal's view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import PortalConfig
from gateway.ops.replay import replay
from gateway.ops.selection import plan_replay
from gateway.ops.trace import PortalView, portal_view, trace
from gateway.sim.process import SimProcess
from gateway.store import DeadQuery, Store
from gateway.synthetic import dossier_code, igate_record
from tests.ops.ledger import REFUSAL, acknowledge, dead, message_of

SIM_USER, SIM_PASSWORD = "dvcgw", "dvcgw-sim"


def test_a_dossier_the_store_never_received_has_no_trace(store: Store) -> None:
    assert trace(store, "000.00.22.H33-000000-0000", None) is None


def test_the_trace_shows_every_revision_attempt_dead_letter_and_replay_in_order(store: Store) -> None:
    first = dead(store, 7, revision=0)
    replay(store, plan_replay(store, DeadQuery()).chosen, operator="an.nguyen", selection="--dossier X")
    acknowledge(store, first)
    [second] = store.ingest(None, [message_of(igate_record(7, revision=1))], [])
    life = trace(store, dossier_code(7), None)
    assert life is not None
    assert [r.message.id for r in life.revisions] == [first, second.message_id]
    text = "\n".join(life.lines())
    timeline = text.split("Timeline:")[1].splitlines()
    kinds = [line.split("  ")[2].split(" ")[0] for line in timeline if line.startswith("  ")]
    assert kinds == ["received", f"#{first}", "replayed", f"#{first}", "received"]
    assert f"insert  dead  PortalRefused: {REFUSAL}" in text
    assert "by an.nguyen (--dossier X)" in text
    assert f"acknowledged     #{first} (revision 20210605081500)" in text
    assert "Portal (TraCuuHoSo): not asked" in text
    document = life.to_json()
    assert [a["outcome"] for a in document["revisions"][0]["attempts"]] == ["dead", "acked"]
    assert document["revisions"][0]["replays"][0]["operator"] == "an.nguyen"
    assert document["revisions"][1]["state"] == "pending"
    assert document["portal"]["asked"] is False


def test_without_a_portal_password_the_portal_is_not_asked_and_the_trace_says_why() -> None:
    view = portal_view(PortalConfig(password=None), dossier_code(7))
    assert view.record is None
    assert view.unavailable is not None
    assert "DVCGW_PORTAL_PASSWORD" in view.unavailable


def test_an_unreachable_portal_is_reported_not_raised() -> None:
    config = PortalConfig(url="http://127.0.0.1:1", password="secret", timeout_s=2)
    view = portal_view(config, dossier_code(7))
    assert view.unavailable is not None
    assert view.unavailable.startswith("the portal did not answer: ")
    assert "secret" not in view.unavailable


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    process = SimProcess(
        tmp_path / "portal-sim.sqlite3",
        env={"DVCGW_SIM_USERNAME": SIM_USER, "DVCGW_SIM_PASSWORD": SIM_PASSWORD},
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_a_portal_that_does_not_hold_the_dossier_says_so(sim: SimProcess) -> None:
    config = PortalConfig(url=sim.base_url, username=SIM_USER, password=SIM_PASSWORD)
    assert portal_view(config, dossier_code(7)) == PortalView(record=None)
