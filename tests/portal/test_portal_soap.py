"""What is particular to the SOAP binding: built offline, and records turned into the XSD's XML."""

from __future__ import annotations

import socket

import pytest
import zeep

from gateway.errors import PortalRejected
from gateway.portal import ItemOutcome, make_client
from gateway.sim import samples

AGENCY = samples.AGENCY


@pytest.fixture
def soap_client(sim, portal_config):
    client = make_client(portal_config("soap"))
    yield client
    client.close()


def test_the_soap_client_is_built_without_touching_the_network(portal_config, monkeypatch):
    def no_network(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access while building the SOAP client: {address}")

    with monkeypatch.context() as patch:
        patch.setattr(socket.socket, "connect", no_network)
        client = make_client(portal_config("soap"))
    client.close()


def test_the_wsdl_is_parsed_once_per_client_not_per_call(sim, portal_config, monkeypatch):
    built = []
    real_client = zeep.Client

    def counting_client(*args, **kwargs):
        built.append(args)
        return real_client(*args, **kwargs)

    monkeypatch.setattr(zeep, "Client", counting_client)
    client = make_client(portal_config("soap"))
    try:
        client.sync_dossiers([samples.dossier(1)], update=False, madonvi=AGENCY)
        client.lookup(samples.ma_ho_so(1))
    finally:
        client.close()
    assert len(built) == 1


def test_empty_optional_values_are_left_out_and_the_record_round_trips(soap_client, sim):
    record = samples.dossier(2)
    record.update(NgayHenTra="", Fax="", DuocThanhToanTrucTuyen="", DanhSachHoSoBoSung=[])
    [result] = soap_client.sync_dossiers([record], update=False, madonvi=AGENCY)
    assert result.outcome is ItemOutcome.OK
    stored = sim.truth(record["MaHoSo"]).json()["current"]
    assert (stored["NgayHenTra"], stored["Fax"], stored["DanhSachHoSoBoSung"]) == ("", "", [])


def test_a_record_with_a_field_the_schema_does_not_know_is_rejected_before_anything_is_sent(soap_client, sim):
    record = samples.dossier(3)
    record["NotANationalField"] = "x"
    with pytest.raises(PortalRejected, match="NotANationalField"):
        soap_client.sync_dossiers([samples.dossier(4), record], update=False, madonvi=AGENCY)
    assert sim.stats()["dossiers"] == 0
