"""``lose_codes``: the next accepted insert or update of a chosen dossier is answered OK, not stored."""

from __future__ import annotations

from gateway.sim import samples
from gateway.sim.faults import FaultInjector, FaultSpec, parse_spec

LOST = samples.ma_ho_so(1)
KEPT = samples.ma_ho_so(2)


def test_a_listed_dossier_is_answered_ok_but_not_stored_and_the_others_are(sim_client):
    spec = sim_client.set_faults(lose_codes=[LOST])
    assert spec["lose_codes"] == [LOST]
    response = sim_client.sync([samples.dossier(1), samples.dossier(2)])
    assert [o["error_code"] for o in response.json()["result"]] == [0, 0]
    assert sim_client.look_up(LOST).json()["result"] == []
    assert sim_client.look_up(KEPT).json()["result"] != []
    truth = sim_client.truth(LOST).json()
    assert truth["current"] is None
    assert [v["operation"] for v in truth["lost"]] == ["insert"]
    stats = sim_client.stats()
    assert (stats["lost"], stats["faults_by_kind"]["lost"], stats["inserts"]) == (1, 1, 1)


def test_only_the_next_accepted_version_is_lost_so_a_resend_repairs_it(sim_client):
    sim_client.set_faults(lose_codes=[LOST])
    sim_client.sync([samples.dossier(1, status="2")])
    sim_client.sync([samples.dossier(1, status="2")])
    assert sim_client.truth(LOST).json()["current"]["TrangThaiHoSo"] == "2"
    assert sim_client.stats()["lost"] == 1


def test_an_update_is_lost_too_and_the_portal_keeps_the_older_version(sim_client):
    sim_client.sync([samples.dossier(1, status="2")])
    sim_client.set_faults(lose_codes=[LOST])
    response = sim_client.sync([samples.dossier(1, status="4")], updating=True)
    assert response.json()["result"][0]["error_code"] == 0
    truth = sim_client.truth(LOST).json()
    assert truth["current"]["TrangThaiHoSo"] == "2"
    assert [v["operation"] for v in truth["lost"]] == ["update"]


def test_a_refused_record_does_not_use_up_the_loss(sim_client):
    sim_client.set_faults(lose_codes=[LOST])
    bad = samples.dossier(1)
    bad["TrangThaiHoSo"] = "11"
    assert sim_client.sync([bad]).json()["result"][0]["error_code"] == 1
    sim_client.sync([samples.dossier(1)])
    assert sim_client.truth(LOST).json()["current"] is None


def test_the_coordination_api_loses_a_listed_dossier_as_well(sim_client):
    sim_client.set_faults(lose_codes=[LOST])
    answer = sim_client.http.post("/api/dieuphoi/ThemMoiHoSo", json=[samples.dossier(1)]).json()
    assert "thành công" in answer["message"]
    assert sim_client.truth(LOST).json()["current"] is None


def test_setting_the_spec_again_re_arms_the_loss(sim_client):
    sim_client.set_faults(lose_codes=[LOST])
    sim_client.sync([samples.dossier(1)])
    sim_client.set_faults(lose_codes=[LOST])
    sim_client.sync([samples.dossier(1)])
    assert sim_client.stats()["lost"] == 2


def test_listing_codes_does_not_shift_the_dice_of_other_records():
    plain = FaultInjector(FaultSpec(seed=3, lose_rate=0.5))
    listed = FaultInjector(FaultSpec(seed=3, lose_rate=0.5, lose_codes=("X",)))
    codes = [f"C{n}" for n in range(40)]
    assert [plain.lose(c) for c in codes] == [listed.lose(c) for c in codes]


def test_a_bad_lose_codes_value_is_refused_naming_the_key(sim_client):
    for bad in ("000.00.22.H33-240105-000001", [1], [""], ["x" * 101]):
        response = sim_client.http.put("/_sim/faults", json={"lose_codes": bad})
        assert response.status_code == 400
        assert "lose_codes" in response.json()["error"]
    assert sim_client.http.get("/_sim/faults").json()["lose_codes"] == []


def test_lose_codes_round_trip_through_the_spec():
    spec = parse_spec({"lose_codes": [LOST, KEPT]})
    assert parse_spec(spec.to_json()) == spec
