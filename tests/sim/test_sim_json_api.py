"""The JSON API: DongBoHoSoMC, CapNhatTienDoHoSoMC, TraCuuHoSo and DanhSachHoSoThayDoi."""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.sim import samples
from gateway.sim.service import PORTAL_TZ
from tests.sim.expected import full_dossier as full
from tests.sim.expected import sample_hash


def outcomes(response):
    return [(o["MaHoSo"], o["error_code"]) for o in response.json()["result"]]


def test_an_inserted_dossier_is_read_back_by_tracuuhoso_as_sent(sim_client):
    record = samples.dossier(1)
    response = sim_client.sync([record])
    assert response.status_code == 200
    assert response.json()["error_code"] == 0
    assert outcomes(response) == [(record["MaHoSo"], 0)]
    found = sim_client.look_up(record["MaHoSo"]).json()
    assert found["error_code"] == 0
    assert found["result"] == [full(record)]


def test_tracuuhoso_of_an_unknown_dossier_answers_an_empty_list(sim_client):
    answer = sim_client.look_up(samples.ma_ho_so(404)).json()
    assert answer["error_code"] == 0
    assert answer["result"] == []


def test_inserting_an_existing_dossier_fails_with_already_exists(sim_client):
    sim_client.sync([samples.dossier(1)])
    response = sim_client.sync([samples.dossier(1, revision=1)])
    assert response.status_code == 200
    assert response.json()["error_code"] == 5
    [outcome] = response.json()["result"]
    assert outcome["error_code"] == 2
    assert "already exists" in outcome["message"]
    assert sim_client.look_up(samples.ma_ho_so(1)).json()["result"][0]["GhiChu"] == "revision 0"
    assert sim_client.stats()["duplicates_refused"] == 1


def test_updating_a_missing_dossier_fails_with_not_found(sim_client):
    response = sim_client.sync([samples.dossier(2)], updating=True)
    [outcome] = response.json()["result"]
    assert outcome["error_code"] == 3
    assert "not found" in outcome["message"]
    assert sim_client.truth(samples.ma_ho_so(2)).status_code == 404


def test_an_update_replaces_the_current_record_and_keeps_every_version_with_its_arrival_time(sim_client):
    sim_client.sync([samples.dossier(3, status="2")])
    response = sim_client.sync([samples.dossier(3, status="4", revision=1)], updating=True)
    assert outcomes(response) == [(samples.ma_ho_so(3), 0)]
    assert sim_client.look_up(samples.ma_ho_so(3)).json()["result"][0]["TrangThaiHoSo"] == "4"
    truth = sim_client.truth(samples.ma_ho_so(3)).json()
    assert truth["current"] == full(samples.dossier(3, status="4", revision=1))
    assert [v["operation"] for v in truth["versions"]] == ["insert", "update"]
    assert [v["record"]["TrangThaiHoSo"] for v in truth["versions"]] == ["2", "4"]
    first, second = (datetime.fromisoformat(v["received_at"]) for v in truth["versions"])
    assert first <= second
    stats = sim_client.stats()
    assert (stats["dossiers"], stats["inserts"], stats["updates"]) == (1, 1, 1)


def test_one_invalid_record_is_refused_with_field_and_reason_while_the_others_are_stored(sim_client):
    bad = samples.dossier(11, status="11")
    response = sim_client.sync([samples.dossier(10), bad, samples.dossier(12)])
    assert response.json()["error_code"] == 5
    assert outcomes(response) == [
        (samples.ma_ho_so(10), 0),
        (samples.ma_ho_so(11), 1),
        (samples.ma_ho_so(12), 0),
    ]
    message = response.json()["result"][1]["message"]
    assert "TrangThaiHoSo" in message
    assert "$.TrangThaiHoSo" in message
    assert sim_client.truth(samples.ma_ho_so(11)).status_code == 404
    stats = sim_client.stats()
    assert stats["dossiers"] == 2
    assert stats["refused"] == 1
    assert stats["refused_by_reason"] == {"invalid_record": 1}


def test_a_record_with_a_field_the_schema_does_not_know_is_refused(sim_client):
    record = {**samples.dossier(13), "TruongLa": "x"}
    [outcome] = sim_client.sync([record]).json()["result"]
    assert outcome["error_code"] == 1
    assert "TruongLa" in outcome["message"]


def test_the_same_dossier_twice_in_one_insert_batch_is_inserted_once(sim_client):
    response = sim_client.sync([samples.dossier(20), samples.dossier(20, revision=1)])
    assert [o["error_code"] for o in response.json()["result"]] == [0, 2]
    assert len(sim_client.truth(samples.ma_ho_so(20)).json()["versions"]) == 1


def test_a_batch_over_the_maximum_is_refused_with_a_clear_error_and_nothing_stored(sim_client):
    response = sim_client.sync([samples.dossier(n) for n in range(101)])
    assert response.status_code == 400
    answer = response.json()
    assert answer["error_code"] == 21
    assert "maximum of 100" in answer["message"]
    assert answer["result"] is None
    assert sim_client.stats()["dossiers"] == 0


def test_a_batch_at_the_maximum_is_accepted(sim_client):
    response = sim_client.sync([samples.dossier(n) for n in range(100)])
    assert response.json()["error_code"] == 0
    assert sim_client.stats()["inserts"] == 100


def test_an_empty_batch_is_refused(sim_client):
    response = sim_client.sync([])
    assert response.status_code == 400
    assert response.json()["error_code"] == 20


def test_isupdating_must_be_the_string_true_or_false(sim_client):
    response = sim_client.call("DongBoHoSoMC", isUpdating=True, data=[samples.dossier(1)])
    assert response.status_code == 400
    assert "isUpdating" in response.json()["message"]


def test_an_unknown_service_is_refused_with_400(sim_client):
    response = sim_client.call("XoaHoSo")
    assert response.status_code == 400
    assert response.json()["error_code"] == 20
    assert "unknown service" in response.json()["message"]


def test_unknown_envelope_keys_and_a_malformed_madonvi_are_refused(sim_client):
    extra = sim_client.call("TraCuuHoSo", mahoso=samples.ma_ho_so(1), limit=5)
    assert extra.status_code == 400
    assert "limit" in extra.json()["message"]
    body = {"session": sim_client.session, "madonvi": "H33", "service": "TraCuuHoSo", "mahoso": "x"}
    wrong_unit = sim_client.http.post("/api/v1/integration", json=body)
    assert wrong_unit.status_code == 400
    assert "madonvi" in wrong_unit.json()["message"]


def test_history_entries_are_appended_to_their_dossier(sim_client):
    sim_client.sync([samples.dossier(30)])
    entries = [samples.history_entry(30, step) for step in range(3)]
    response = sim_client.history(entries)
    assert response.json()["error_code"] == 0
    assert outcomes(response) == [(samples.ma_ho_so(30), 0)] * 3
    history = sim_client.truth(samples.ma_ho_so(30)).json()["history"]
    assert [h["record"]["NoiDungXuLy"] for h in history] == ["Bước xử lý 0", "Bước xử lý 1", "Bước xử lý 2"]
    assert sim_client.stats()["history_entries"] == 3


def test_a_history_entry_without_thoidiemxuly_is_refused(sim_client):
    sim_client.sync([samples.dossier(31)])
    entry = samples.history_entry(31, 0)
    del entry["ThoiDiemXuLy"]
    [outcome] = sim_client.history([entry]).json()["result"]
    assert outcome["error_code"] == 1
    assert "ThoiDiemXuLy" in outcome["message"]
    assert sim_client.truth(samples.ma_ho_so(31)).json()["history"] == []


def test_history_for_an_unknown_dossier_is_refused_with_not_found(sim_client):
    [outcome] = sim_client.history([samples.history_entry(32, 0)]).json()["result"]
    assert outcome["error_code"] == 3


def test_the_same_history_entry_sent_twice_is_stored_once(sim_client):
    sim_client.sync([samples.dossier(33)])
    entry = samples.history_entry(33, 0)
    sim_client.history([entry])
    [outcome] = sim_client.history([entry]).json()["result"]
    assert outcome["error_code"] == 0
    assert outcome["message"] == "already recorded"
    assert len(sim_client.truth(samples.ma_ho_so(33)).json()["history"]) == 1
    assert sim_client.stats()["history_duplicates"] == 1


def test_danhsachhosothaydoi_lists_changed_dossiers_with_status_and_content_hash(sim_client):
    sim_client.sync([samples.dossier(40, status="2"), samples.dossier(41, status="4")])
    answer = sim_client.changes().json()
    assert answer["error_code"] == 0
    items = {i["MaHoSo"]: i for i in answer["result"]["items"]}
    assert set(items) == {samples.ma_ho_so(40), samples.ma_ho_so(41)}
    assert items[samples.ma_ho_so(41)]["TrangThaiHoSo"] == "4"
    assert items[samples.ma_ho_so(40)]["MaBam"] == sample_hash(40)
    assert len(items[samples.ma_ho_so(40)]["ThoiDiemThayDoi"]) == 14
    assert answer["result"]["next_cursor"] is None


def test_danhsachhosothaydoi_pages_with_a_cursor_without_losing_or_repeating_codes(sim_client):
    sim_client.sync([samples.dossier(n) for n in range(25)])
    seen, cursor, pages = [], None, 0
    while True:
        result = sim_client.changes(page_size=10, cursor=cursor).json()["result"]
        seen += [i["MaHoSo"] for i in result["items"]]
        pages += 1
        cursor = result["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert sorted(seen) == sorted(samples.ma_ho_so(n) for n in range(25))


def test_danhsachhosothaydoi_honours_the_time_window(sim_client):
    sim_client.sync([samples.dossier(50)])
    now = datetime.now(PORTAL_TZ)
    fmt = "%Y%m%d%H%M%S"
    inside = sim_client.changes(
        tu_ngay=(now - timedelta(minutes=5)).strftime(fmt), den_ngay=now.strftime(fmt)
    )
    assert [i["MaHoSo"] for i in inside.json()["result"]["items"]] == [samples.ma_ho_so(50)]
    before = sim_client.changes(den_ngay=(now - timedelta(minutes=5)).strftime(fmt))
    assert before.json()["result"]["items"] == []
    after = sim_client.changes(tu_ngay=(now + timedelta(minutes=5)).strftime(fmt))
    assert after.json()["result"]["items"] == []


def test_danhsachhosothaydoi_refuses_a_malformed_date_or_cursor(sim_client):
    assert sim_client.changes(tu_ngay="2024-01-01").status_code == 400
    assert sim_client.changes(cursor="not-a-cursor").status_code == 400
    assert sim_client.changes(page_size=0).status_code == 400


def test_an_unchanged_update_is_counted_and_does_not_move_the_change_time(sim_client):
    sim_client.sync([samples.dossier(60)])
    before = sim_client.changes().json()["result"]["items"][0]["ThoiDiemThayDoi"]
    sim_client.sync([samples.dossier(60)], updating=True)
    after = sim_client.changes().json()["result"]["items"][0]["ThoiDiemThayDoi"]
    assert before == after
    stats = sim_client.stats()
    assert (stats["updates"], stats["unchanged_updates"]) == (1, 1)
    assert len(sim_client.truth(samples.ma_ho_so(60)).json()["versions"]) == 2
