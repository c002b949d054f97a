"""The coordination-generation client against a real simulator: bare arrays, judged by their words."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import orjson
import pytest

from gateway.config import PortalConfig, load_config
from gateway.errors import PortalRejected, PortalUnavailable
from gateway.packets.model import complete
from gateway.packets.schemas import default_layout
from gateway.portal import CoordinationPortalClient, ItemOutcome, PortalClient, make_client
from gateway.sim import samples
from gateway.sim.process import free_port

AGENCY = samples.AGENCY
PROGRESS = "/api/dieuphoi/DongBoTienTrinh"


class RecordingTransport(httpx.HTTPTransport):
    """The real network transport, remembering the path and item count of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.read())
        self.calls.append((request.url.path, len(body) if isinstance(body, list) else -1))
        return super().handle_request(request)


@pytest.fixture
def make_coordination(
    sim: object, portal_config: Callable[..., PortalConfig]
) -> Iterator[Callable[..., PortalClient]]:
    """Builds coordination clients of the test simulator (configuration changes as keywords)."""
    clients: list[PortalClient] = []

    def build(*, transport: httpx.BaseTransport | None = None, **changes: object) -> PortalClient:
        client = make_client(portal_config("json", api="coordination", **changes), transport=transport)
        clients.append(client)
        return client

    try:
        yield build
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def coordination(make_coordination: Callable[..., PortalClient]) -> PortalClient:
    return make_coordination()


def test_make_client_picks_the_coordination_generation_from_the_configuration(coordination):
    assert isinstance(coordination, CoordinationPortalClient)


def test_the_api_generation_is_read_from_dvcgw_portal_api():
    config = load_config(environ={"DVCGW_PORTAL_API": "coordination"})
    assert config.portal.api == "coordination"
    assert config.portal.coordination_insert_path == "/api/dieuphoi/ThemMoiHoSo"


def test_an_inserted_dossier_is_stored_as_sent(coordination, sim):
    record = samples.dossier(1)
    [inserted] = coordination.sync_dossiers([record], update=False, madonvi=AGENCY)
    assert (inserted.ma_ho_so, inserted.outcome, inserted.code) == (samples.ma_ho_so(1), ItemOutcome.OK, 0)
    truth = sim.truth(samples.ma_ho_so(1)).json()
    assert truth["current"] == complete(record, "HoSo", default_layout())
    assert [v["operation"] for v in truth["versions"]] == ["insert"]


def test_inserting_a_dossier_the_portal_holds_answers_exists(coordination, sim):
    coordination.sync_dossiers([samples.dossier(2)], update=False, madonvi=AGENCY)
    [again] = coordination.sync_dossiers([samples.dossier(2)], update=False, madonvi=AGENCY)
    assert (again.outcome, again.code) == (ItemOutcome.EXISTS, 3)
    assert "đã tồn tại" in again.message
    assert sim.stats()["duplicates_refused"] == 1


def test_an_update_changes_the_stored_status(coordination, sim):
    coordination.sync_dossiers([samples.dossier(3, status="2")], update=False, madonvi=AGENCY)
    [updated] = coordination.sync_dossiers([samples.dossier(3, status="4")], update=True, madonvi=AGENCY)
    assert updated.outcome is ItemOutcome.OK
    assert sim.truth(samples.ma_ho_so(3)).json()["current"]["TrangThaiHoSo"] == "4"


def test_updating_a_dossier_the_portal_does_not_hold_answers_not_found(coordination, sim):
    [missing] = coordination.sync_dossiers([samples.dossier(4)], update=True, madonvi=AGENCY)
    assert missing.outcome is ItemOutcome.NOT_FOUND
    assert sim.truth(samples.ma_ho_so(4)).status_code == 404


def test_an_invalid_record_is_refused_with_the_portals_reason_and_the_rest_of_the_batch_is_stored(
    coordination, sim
):
    bad = samples.dossier(6)
    bad["TrangThaiHoSo"] = "11"
    results = coordination.sync_dossiers(
        [samples.dossier(5), bad, samples.dossier(7)], update=False, madonvi=AGENCY
    )
    assert [r.outcome for r in results] == [ItemOutcome.OK, ItemOutcome.REFUSED, ItemOutcome.OK]
    assert "không hợp lệ" in results[1].message
    assert "TrangThaiHoSo" in results[1].message
    assert sim.truth(samples.ma_ho_so(6)).status_code == 404
    assert sim.truth(samples.ma_ho_so(7)).status_code == 200


def test_history_goes_in_calls_of_ten_and_a_resend_is_ok(make_coordination, sim):
    transport = RecordingTransport()
    client = make_coordination(transport=transport)
    client.sync_dossiers([samples.dossier(8)], update=False, madonvi=AGENCY)
    entries = [samples.history_entry(8, step) for step in range(1, 13)]
    first = client.push_history(entries, madonvi=AGENCY)
    again = client.push_history(entries[:3], madonvi=AGENCY)
    assert [r.outcome for r in first + again] == [ItemOutcome.OK] * 15
    assert [r.ma_ho_so for r in first] == [samples.ma_ho_so(8)] * 12
    assert [count for path, count in transport.calls if path == PROGRESS] == [10, 2, 3]
    assert len(sim.truth(samples.ma_ho_so(8)).json()["history"]) == 12


def test_history_for_a_dossier_the_portal_does_not_hold_answers_not_found(coordination):
    [result] = coordination.push_history([samples.history_entry(9, 1)], madonvi=AGENCY)
    assert result.outcome is ItemOutcome.NOT_FOUND


def test_the_simulator_down_is_portal_unavailable(make_coordination):
    client = make_coordination(url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(PortalUnavailable, match="cannot reach the portal"):
        client.sync_dossiers([samples.dossier(10)], update=False, madonvi=AGENCY)


def test_an_outage_is_retried_then_portal_unavailable_and_nothing_is_stored(coordination, sim):
    sim.set_faults(outage=True)
    with pytest.raises(PortalUnavailable, match="HTTP 503"):
        coordination.sync_dossiers([samples.dossier(11)], update=False, madonvi=AGENCY)
    assert sim.faults("outage") == 3  # call_attempts
    sim.set_faults()
    assert sim.truth(samples.ma_ho_so(11)).status_code == 404


def test_a_batch_over_the_portals_maximum_is_rejected_for_good(coordination):
    records = [samples.dossier(n) for n in range(100, 201)]
    with pytest.raises(PortalRejected, match="error_code 21"):
        coordination.sync_dossiers(records, update=False, madonvi=AGENCY)


def test_lookup_is_answered_by_the_envelope_api_when_a_password_is_configured(coordination):
    record = samples.dossier(12)
    coordination.sync_dossiers([record], update=False, madonvi=AGENCY)
    assert coordination.lookup(record["MaHoSo"]) == complete(record, "HoSo", default_layout())
    page = coordination.changed(since=None, until=None, cursor=None, madonvi=AGENCY)
    assert [item.ma_ho_so for item in page.items] == [record["MaHoSo"]]


def test_without_a_password_lookup_is_not_offered_but_sync_works(make_coordination):
    client = make_coordination(password=None)
    [inserted] = client.sync_dossiers([samples.dossier(13)], update=False, madonvi=AGENCY)
    assert inserted.outcome is ItemOutcome.OK
    with pytest.raises(PortalRejected, match="not offered by the coordination API generation"):
        client.lookup(samples.ma_ho_so(13))
    with pytest.raises(PortalRejected, match="not offered"):
        client.changed(since=None, until=None, cursor=None)
