"""The procedure catalogue: dossiers of unlisted procedures refused for good, set at start or at
run time, read back, listed by LayDanhSachTTHC, restored by reset; bad catalogues refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.sim import samples
from gateway.sim.app import create_app
from gateway.sim.catalogue import DEFAULT_PROCEDURES, CatalogueError, load_catalogue, parse_catalogue
from gateway.sim.contract import Contract
from gateway.sim.process import SimProcess
from gateway.sim.settings import SimSettings

LISTED = "1.004889"  # the procedure of every sample dossier
UNLISTED = "2.000123"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

CATALOGUE = [
    {
        "MaTTHC": LISTED,
        "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "MaLinhVuc": "XD",
        "TenLinhVuc": "Xây dựng",
    },
    {"MaTTHC": "1.001612"},
]


def of_procedure(n: int, ma_tthc: str, **kwargs: Any) -> dict[str, Any]:
    record = samples.dossier(n, **kwargs)
    record["MaTTHC"] = ma_tthc
    return record


def outcome_codes(response: httpx.Response) -> list[int]:
    return [o["error_code"] for o in response.json()["result"]]


@pytest.fixture(scope="module")
def schemas() -> Contract:
    return Contract()


def test_a_dossier_of_an_unlisted_procedure_is_refused_over_json_beside_an_accepted_listed_one(sim_client):
    assert sim_client.set_catalogue(CATALOGUE).status_code == 200
    response = sim_client.sync([samples.dossier(1), of_procedure(2, UNLISTED)])
    assert response.status_code == 200
    assert response.json()["error_code"] == 5
    assert outcome_codes(response) == [0, 4]
    assert UNLISTED in response.json()["result"][1]["message"]
    assert sim_client.truth(samples.ma_ho_so(1)).status_code == 200
    assert sim_client.truth(samples.ma_ho_so(2)).status_code == 404
    stats = sim_client.stats()
    assert (stats["dossiers"], stats["inserts"], stats["refused"]) == (1, 1, 1)
    assert stats["refused_by_reason"] == {"unknown_procedure": 1}


def test_a_dossier_of_an_unlisted_procedure_is_refused_over_soap_beside_an_accepted_listed_one(
    soap, sim_client
):
    sim_client.set_catalogue(CATALOGUE)
    session = soap.DangNhap(TenDangNhap=sim_client.username, MatKhau=sim_client.password).Session
    reply = soap.DongBoHoSoMC(
        Session=session,
        MaDonVi=samples.AGENCY,
        IsUpdating="False",
        HoSo=[of_procedure(3, UNLISTED), samples.dossier(4)],
    )
    assert reply.ErrorCode == 5
    assert [(r.MaHoSo, r.ErrorCode) for r in reply.KetQua] == [
        (samples.ma_ho_so(3), 4),
        (samples.ma_ho_so(4), 0),
    ]
    assert UNLISTED in reply.KetQua[0].Message
    assert sim_client.truth(samples.ma_ho_so(3)).status_code == 404
    assert sim_client.stats()["refused_by_reason"] == {"unknown_procedure": 1}


def test_an_update_to_an_unlisted_procedure_is_refused_and_the_held_version_stays(sim_client):
    sim_client.sync([samples.dossier(5)])
    sim_client.set_catalogue(CATALOGUE)
    response = sim_client.sync([of_procedure(5, UNLISTED, status="4", revision=1)], updating=True)
    assert outcome_codes(response) == [4]
    truth = sim_client.truth(samples.ma_ho_so(5)).json()
    assert truth["current"]["MaTTHC"] == LISTED
    assert len(truth["versions"]) == 1
    assert sim_client.stats()["updates"] == 0


def test_an_invalid_record_is_still_refused_as_invalid_when_a_catalogue_is_in_force(sim_client):
    sim_client.set_catalogue(CATALOGUE)
    bad = of_procedure(6, UNLISTED)
    bad["TrangThaiHoSo"] = "11"
    assert outcome_codes(sim_client.sync([bad])) == [1]


def test_without_a_catalogue_every_well_formed_procedure_code_is_accepted(sim_client):
    assert sim_client.catalogue() is None
    assert outcome_codes(sim_client.sync([of_procedure(7, UNLISTED)])) == [0]


def test_putting_a_catalogue_at_run_time_turns_the_check_on_and_null_turns_it_off(sim_client):
    sim_client.set_catalogue(CATALOGUE)
    assert outcome_codes(sim_client.sync([of_procedure(8, UNLISTED)])) == [4]
    assert sim_client.set_catalogue(None).json() == {"catalogue": None}
    assert outcome_codes(sim_client.sync([of_procedure(8, UNLISTED)])) == [0]


def test_the_catalogue_reads_back_as_it_was_put(sim_client):
    put = sim_client.set_catalogue(CATALOGUE)
    assert put.json() == {"catalogue": CATALOGUE}
    assert sim_client.catalogue() == CATALOGUE


def test_an_empty_catalogue_refuses_every_dossier(sim_client):
    sim_client.set_catalogue([])
    assert sim_client.catalogue() == []
    assert outcome_codes(sim_client.sync([samples.dossier(9)])) == [4]


def test_laydanhsachtthc_lists_the_catalogue_in_force_and_the_built_in_one_without(sim_client):
    built_in = sim_client.procedures().json()
    assert built_in["error_code"] == 0
    assert {p["MaTTHC"] for p in built_in["result"]} == fixture_procedure_codes()
    sim_client.set_catalogue(CATALOGUE)
    listed = sim_client.procedures().json()
    assert (listed["error_code"], listed["result"]) == (0, CATALOGUE)


def fixture_procedure_codes() -> set[str]:
    """Every national procedure code of the packets the fixtures expect."""
    codes = set()
    for expected in FIXTURES.glob("*/*/expected.json"):
        codes |= {p["HoSo"]["MaTTHC"] for p in json.loads(expected.read_text("utf-8"))["packets"]}
    return codes


def test_the_built_in_catalogue_names_every_procedure_of_the_fixtures_as_they_do():
    names: dict[str, set[str]] = {}
    for expected in FIXTURES.glob("*/*/expected.json"):
        for packet in json.loads(expected.read_text("utf-8"))["packets"]:
            if packet["HoSo"]["TenTTHC"]:
                names.setdefault(packet["HoSo"]["MaTTHC"], set()).add(packet["HoSo"]["TenTTHC"])
    built_in = {p["MaTTHC"]: p for p in DEFAULT_PROCEDURES}
    assert set(built_in) == fixture_procedure_codes()
    for code, seen in names.items():
        assert built_in[code]["TenTTHC"] in seen


def test_the_built_in_catalogue_refuses_no_dossier(sim_client):
    # Lookups answer from it; only a catalogue given at start or PUT refuses unlisted procedures.
    assert sim_client.catalogue() is None
    assert outcome_codes(sim_client.sync([of_procedure(31, "9.999999")])) == [0]


def test_laythutuc_answers_one_procedure_in_the_shape_opencps_reads(sim_client):
    response = sim_client.call("LayThuTuc", maTTHC="1.001193")
    body = response.json()
    assert (response.status_code, body["error_code"]) == (200, 0)
    [procedure] = body["result"]
    assert procedure["MATTHC"] == "1.001193"
    assert procedure["TENTTHC"] == "Đăng ký khai sinh"
    assert procedure["LINHVUCTHUCHIEN"][0] == {"MALINHVUC": "G09-TP03", "TENLINHVUC": "Hộ tịch"}
    assert procedure["TRANGTHAI"] == 1


def test_laythutuc_takes_the_provincial_form_of_a_code(sim_client):
    body = sim_client.call("LayThuTuc", maTTHC="1.004889.000.00.00.H33").json()
    assert [p["MATTHC"] for p in body["result"]] == ["1.004889"]


def test_laythutuc_answers_an_empty_result_for_an_unlisted_or_blank_code(sim_client):
    for code in ("9.999999", ""):
        body = sim_client.call("LayThuTuc", maTTHC=code).json()
        assert (body["error_code"], body["result"]) == (0, [])


def test_laythutuc_answers_from_the_catalogue_in_force_with_an_empty_sector_when_it_has_none(sim_client):
    sim_client.set_catalogue(CATALOGUE)
    listed = sim_client.call("LayThuTuc", maTTHC="1.001612").json()["result"]
    assert listed == [
        {
            "MATTHC": "1.001612",
            "TENTTHC": "",
            "LINHVUCTHUCHIEN": [{"MALINHVUC": "", "TENLINHVUC": ""}],
            "TRANGTHAI": 1,
        }
    ]
    assert sim_client.call("LayThuTuc", maTTHC="1.001193").json()["result"] == []


def test_laythutuc_needs_a_live_session_and_a_text_code(sim_client):
    assert sim_client.call("LayThuTuc", session="forged", maTTHC="1.004889").status_code == 401
    response = sim_client.call("LayThuTuc", maTTHC=1004889)
    assert (response.status_code, response.json()["error_code"]) == (400, 20)


def test_laydanhsachtthc_needs_a_live_session(sim_client):
    response = sim_client.call("LayDanhSachTTHC", session="forged")
    assert (response.status_code, response.json()["error_code"]) == (401, 11)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"MaTTHC": LISTED}, "JSON array"),
        ([{"MaTTHC": LISTED}, {"TenTTHC": "x"}], "item 1: MaTTHC is required"),
        ([{"MaTTHC": "1.00488"}], "item 0: MaTTHC"),
        ([{"MaTTHC": LISTED}, {"MaTTHC": LISTED}], "item 1: MaTTHC 1.004889 is listed twice"),
        ([{"MaTTHC": LISTED, "Ten": "x"}], "item 0: unknown key(s) 'Ten'"),
    ],
    ids=["not-an-array", "no-code", "malformed-code", "duplicate-code", "unknown-key"],
)
def test_a_bad_catalogue_put_at_run_time_is_refused_naming_the_problem_and_changes_nothing(
    sim_client, body, named
):
    sim_client.set_catalogue(CATALOGUE)
    response = sim_client.http.put("/_sim/catalogue", json=body)
    assert response.status_code == 400
    assert named in response.json()["error"]
    assert sim_client.catalogue() == CATALOGUE


def test_a_catalogue_body_that_is_not_json_is_refused(sim_client):
    response = sim_client.http.put("/_sim/catalogue", content=b"[{MaTTHC: 1}]")
    assert response.status_code == 400
    assert "not acceptable JSON" in response.json()["error"]
    assert sim_client.catalogue() is None


def test_reset_goes_back_to_no_catalogue_when_none_was_given_at_start(sim_client):
    sim_client.set_catalogue(CATALOGUE)
    assert sim_client.reset()["catalogue"] is None
    assert sim_client.catalogue() is None


def test_a_catalogue_given_at_start_is_in_force_and_restored_by_reset(sim_db, tmp_path):
    catalogue_file = tmp_path / "catalogue.json"
    catalogue_file.write_text(json.dumps(CATALOGUE, ensure_ascii=False), encoding="utf-8")
    with SimProcess(sim_db, catalogue=catalogue_file) as sim, httpx.Client(base_url=sim.base_url) as http:
        assert http.get("/_sim/catalogue").json() == {"catalogue": CATALOGUE}
        http.put("/_sim/catalogue", content=b"null")
        assert http.get("/_sim/catalogue").json() == {"catalogue": None}
        assert http.post("/_sim/reset").json()["catalogue"] == CATALOGUE
        assert http.get("/_sim/catalogue").json() == {"catalogue": CATALOGUE}


def test_the_catalogue_api_refuses_clients_that_are_not_on_loopback(tmp_path: Path):
    app = create_app(SimSettings(db=tmp_path / "sim.sqlite3"))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))

    async def calls() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            return (
                (await client.get("/_sim/catalogue")).status_code,
                (await client.put("/_sim/catalogue", content=b"null")).status_code,
            )

    try:
        assert asyncio.run(calls()) == (403, 403)
    finally:
        app.state.portal.store.close()


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ("not a list", "a catalogue must be a JSON array"),
        ([LISTED], "item 0: a procedure must be a JSON object"),
        ([{"MaTTHC": LISTED}, {"MaLinhVuc": "XD"}], "item 1: MaTTHC is required"),
        ([{"MaTTHC": 1.004889}], "item 0: MaTTHC"),
        ([{"MaTTHC": "01.004889"}], "item 0: MaTTHC"),
        ([{"MaTTHC": LISTED, "TenTTHC": "x" * 2001}], "item 0: TenTTHC"),
        ([{"MaTTHC": "1.000001"}, {"MaTTHC": "1.000002"}, {"MaTTHC": "1.000001"}], "first at item 0"),
        ([{"MaTTHC": LISTED, "maTTHC": LISTED}], "item 0: unknown key(s) 'maTTHC'"),
    ],
    ids=[
        "not-an-array",
        "not-an-object",
        "no-code",
        "code-not-a-string",
        "malformed-code",
        "name-too-long",
        "duplicate-code",
        "unknown-key",
    ],
)
def test_a_bad_catalogue_document_is_refused_naming_the_source_and_the_item(schemas, document, named):
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(document, schemas)
    assert str(caught.value).startswith("the catalogue: ")
    assert named in str(caught.value)


def test_a_catalogue_reads_back_through_its_json_form(schemas):
    catalogue = parse_catalogue(CATALOGUE, schemas)
    assert catalogue.to_json() == CATALOGUE
    assert parse_catalogue(catalogue.to_json(), schemas) == catalogue
    assert LISTED in catalogue
    assert UNLISTED not in catalogue


def test_a_catalogue_file_that_is_not_json_is_refused_naming_the_file(schemas, tmp_path):
    catalogue_file = tmp_path / "catalogue.json"
    catalogue_file.write_text('[{"MaTTHC": "1.004889", "MaTTHC": "1.001612"}]', encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON: duplicate key 'MaTTHC'") as caught:
        load_catalogue(catalogue_file, schemas)
    assert str(catalogue_file) in str(caught.value)


def test_a_missing_catalogue_file_is_refused_naming_the_file(schemas, tmp_path):
    missing = tmp_path / "nowhere.json"
    with pytest.raises(CatalogueError, match="cannot read the catalogue file") as caught:
        load_catalogue(missing, schemas)
    assert str(missing) in str(caught.value)
