"""The portal client against a real simulator, over both bindings: what each call does and answers."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from gateway.errors import ConfigError
from gateway.packets.model import complete, record_hash
from gateway.packets.schemas import default_layout
from gateway.portal import ItemOutcome, make_client
from gateway.sim import samples

AGENCY = samples.AGENCY


def test_an_inserted_dossier_is_updated_and_the_lookup_sees_the_new_status(client):
    [inserted] = client.sync_dossiers([samples.dossier(1, status="2")], update=False, madonvi=AGENCY)
    assert (inserted.ma_ho_so, inserted.outcome, inserted.code) == (samples.ma_ho_so(1), ItemOutcome.OK, 0)
    [updated] = client.sync_dossiers([samples.dossier(1, status="4")], update=True, madonvi=AGENCY)
    assert updated.outcome is ItemOutcome.OK
    assert client.lookup(samples.ma_ho_so(1))["TrangThaiHoSo"] == "4"


def test_lookup_answers_the_complete_record_the_portal_holds(client):
    record = samples.dossier(2)
    client.sync_dossiers([record], update=False, madonvi=AGENCY)
    assert client.lookup(record["MaHoSo"]) == complete(record, "HoSo", default_layout())


def test_lookup_of_a_dossier_the_portal_does_not_hold_is_none(client):
    assert client.lookup(samples.ma_ho_so(404)) is None


def test_inserting_a_dossier_the_portal_holds_answers_exists(client):
    client.sync_dossiers([samples.dossier(3)], update=False, madonvi=AGENCY)
    [again] = client.sync_dossiers([samples.dossier(3)], update=False, madonvi=AGENCY)
    assert (again.outcome, again.code) == (ItemOutcome.EXISTS, 2)


def test_updating_a_dossier_the_portal_does_not_hold_answers_not_found(client):
    [missing] = client.sync_dossiers([samples.dossier(4)], update=True, madonvi=AGENCY)
    assert (missing.outcome, missing.code) == (ItemOutcome.NOT_FOUND, 3)


def test_an_invalid_record_is_refused_with_the_portals_reason_and_the_others_in_the_batch_are_ok(client, sim):
    bad = samples.dossier(6)
    bad["TrangThaiHoSo"] = "11"
    results = client.sync_dossiers(
        [samples.dossier(5), bad, samples.dossier(7)], update=False, madonvi=AGENCY
    )
    assert [r.ma_ho_so for r in results] == [samples.ma_ho_so(n) for n in (5, 6, 7)]
    assert [r.outcome for r in results] == [ItemOutcome.OK, ItemOutcome.REFUSED, ItemOutcome.OK]
    assert results[1].code == 1
    assert "TrangThaiHoSo" in results[1].message
    assert sim.truth(samples.ma_ho_so(6)).status_code == 404


def test_a_record_without_a_required_value_is_refused_by_field_and_not_the_batch(client):
    no_date = samples.dossier(30)
    no_date["NgayTiepNhan"] = ""
    no_amount = samples.dossier(31)
    no_amount["DanhSachLePhi"][0]["Gia"] = None
    results = client.sync_dossiers([no_date, no_amount, samples.dossier(32)], update=False, madonvi=AGENCY)
    assert [r.outcome for r in results] == [ItemOutcome.REFUSED, ItemOutcome.REFUSED, ItemOutcome.OK]
    assert "NgayTiepNhan" in results[0].message
    assert "Gia" in results[1].message


def test_history_entries_are_accepted_and_a_resend_is_ok(client, sim):
    client.sync_dossiers([samples.dossier(8)], update=False, madonvi=AGENCY)
    entries = [samples.history_entry(8, 1), samples.history_entry(8, 2)]
    first = client.push_history(entries, madonvi=AGENCY)
    again = client.push_history(entries, madonvi=AGENCY)
    assert [r.outcome for r in first + again] == [ItemOutcome.OK] * 4
    assert len(sim.truth(samples.ma_ho_so(8)).json()["history"]) == 2


def test_history_for_a_dossier_the_portal_does_not_hold_answers_not_found(client):
    [result] = client.push_history([samples.history_entry(9, 1)], madonvi=AGENCY)
    assert result.outcome is ItemOutcome.NOT_FOUND


def test_an_empty_batch_sends_nothing_and_answers_nothing(client, sim):
    assert client.sync_dossiers([], update=False, madonvi=AGENCY) == []
    assert client.push_history([], madonvi=AGENCY) == []
    assert sim.stats()["inserts"] == 0


def test_changed_pages_through_every_changed_dossier_with_its_status_and_hash(client):
    records = [samples.dossier(n, status="4") for n in range(10, 15)]
    client.sync_dossiers(records, update=False, madonvi=AGENCY)
    pages = [client.changed(since=None, until=None, cursor=None, page_size=2)]
    while pages[-1].next_cursor is not None:
        pages.append(client.changed(since=None, until=None, cursor=pages[-1].next_cursor, page_size=2))
    assert [len(page.items) for page in pages] == [2, 2, 1]
    seen = {item.ma_ho_so: item for page in pages for item in page.items}
    assert sorted(seen) == [r["MaHoSo"] for r in records]
    first = records[0]
    assert seen[first["MaHoSo"]].status == "4"
    assert seen[first["MaHoSo"]].record_hash == record_hash(complete(first, "HoSo", default_layout()))


def test_changed_keeps_to_the_window(client):
    client.sync_dossiers([samples.dossier(20)], update=False, madonvi=AGENCY)
    page = client.changed(since="20000101000000", until="20000102000000", cursor=None)
    assert page.items == []
    assert page.next_cursor is None


def test_the_client_logs_counts_and_codes_never_record_contents(client):
    bad = samples.dossier(22)
    bad["TrangThaiHoSo"] = "11"
    with capture_logs() as logs:
        client.sync_dossiers([samples.dossier(21), bad], update=False, madonvi=AGENCY)
    [line] = [entry for entry in logs if entry["event"] == "portal batch answered"]
    assert (line["items"], line["ok"], line["refused"], line["refused_codes"]) == (2, 1, 1, [1])
    text = repr(logs)
    for value in (bad["ChuHoSo"], bad["Email"], bad["DinhDanhCHS"][0]["SoDinhDanh"], bad["MaHoSo"]):
        assert value not in text


def test_a_client_without_a_password_is_a_config_error_naming_dvcgw_portal_password(portal_config, binding):
    with pytest.raises(ConfigError, match="DVCGW_PORTAL_PASSWORD"):
        make_client(portal_config(binding, password=None))
