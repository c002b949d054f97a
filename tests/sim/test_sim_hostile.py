"""Hostile requests are answered with errors, and the simulator keeps serving."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from lxml import etree

from gateway.sim import samples

NS = "urn:dvc-gateway:dvcqg:1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LIMIT = 1024 * 1024  # the session sim runs with DVCGW_SIM_MAX_BODY_MB=1


def still_serving(sim_client):
    assert sim_client.http.get("/_sim/health").status_code == 200
    assert sim_client.look_up(samples.ma_ho_so(1)).status_code == 200


def soap_fault(response):
    fault = etree.fromstring(response.content).find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.text
    return fault.findtext("faultstring"), fault.findtext(f"detail/{{{NS}}}LoiDichVu/{{{NS}}}ErrorCode")


def test_an_oversized_json_body_is_refused_with_413_and_the_sim_keeps_serving(sim_client):
    body = b'{"username": "' + b"a" * (LIMIT + LIMIT // 2) + b'", "password": "x"}'
    response = sim_client.http.post(
        "/api/v1/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error_code"] == 22
    still_serving(sim_client)


def test_an_oversized_chunked_body_is_refused_with_413(sim_client):
    def chunks():
        for _ in range(24):
            yield b"x" * 65536

    response = sim_client.http.post("/api/v1/integration", content=chunks())
    assert response.status_code == 413
    still_serving(sim_client)


def test_an_oversized_soap_body_is_refused_with_413(sim_client):
    body = (
        b"<soap:Envelope xmlns:soap='" + SOAP_ENV.encode() + b"'>" + b" " * (2 * LIMIT) + b"</soap:Envelope>"
    )
    response = sim_client.http.post("/soap", content=body, headers={"Content-Type": "text/xml"})
    assert response.status_code == 413
    assert soap_fault(response)[1] == "22"
    still_serving(sim_client)


def test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read(sim_client, portal_sim):
    url = urlsplit(portal_sim)
    with socket.create_connection((url.hostname, url.port), timeout=5) as raw:
        raw.sendall(
            b"POST /api/v1/integration HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000000\r\n\r\n{"
        )
        reply = raw.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")
    still_serving(sim_client)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"username": "dvcgw", "password": ', "not acceptable JSON"),
        (b'{"username": "dvcgw", "username": "other", "password": "x"}', "duplicate key"),
        (b'{"username": "dvcgw", "password": NaN}', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "not acceptable JSON"),
        (b"\xff\xfe\xfa", "not acceptable JSON"),
        (b"", "not acceptable JSON"),
    ],
    ids=["truncated", "duplicate-keys", "nan", "deep-nesting", "not-utf8", "empty"],
)
def test_malformed_json_is_refused_with_400_saying_why(sim_client, body, reason):
    response = sim_client.http.post(
        "/api/v1/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == 20
    assert reason in response.json()["message"]
    still_serving(sim_client)


def test_a_json_body_that_is_not_an_object_is_refused(sim_client):
    response = sim_client.http.post("/api/v1/integration", json=[1, 2, 3])
    assert response.status_code == 400
    still_serving(sim_client)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<d:TraCuuHoSo xmlns:d="urn:dvc-gateway:dvcqg:1"><d:Session>&lol4;</d:Session>
<d:MaHoSo>x</d:MaHoSo></d:TraCuuHoSo>
</soap:Body></soap:Envelope>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<d:TraCuuHoSo xmlns:d="urn:dvc-gateway:dvcqg:1"><d:Session>&secret;</d:Session>
<d:MaHoSo>x</d:MaHoSo></d:TraCuuHoSo>
</soap:Body></soap:Envelope>"""

SOAP12 = b"""<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>"""

TWO_OPERATIONS = b"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<d:TraCuuHoSo xmlns:d="urn:dvc-gateway:dvcqg:1"/><d:TraCuuHoSo xmlns:d="urn:dvc-gateway:dvcqg:1"/>
</soap:Body></soap:Envelope>"""

UNKNOWN_OPERATION = b"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<d:XoaHoSo xmlns:d="urn:dvc-gateway:dvcqg:1"/></soap:Body></soap:Envelope>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<soap:Envelope xmlns:soap='x'><unclosed>", "not well-formed"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (EXTERNAL_ENTITY, "DOCTYPE"),
        (SOAP12, "SOAP 1.2"),
        (b"<HoSo/>", "not a SOAP 1.1 Envelope"),
        (TWO_OPERATIONS, "exactly one operation"),
        (UNKNOWN_OPERATION, "unknown operation"),
        (b"", "not well-formed"),
    ],
    ids=[
        "malformed",
        "billion-laughs",
        "external-entity",
        "soap12",
        "no-envelope",
        "two-ops",
        "unknown-op",
        "empty",
    ],
)
def test_hostile_or_malformed_xml_is_a_client_fault_and_nothing_is_expanded(sim_client, body, reason):
    response = sim_client.http.post("/soap", content=body, headers={"Content-Type": "text/xml"})
    assert response.status_code == 400
    message, code = soap_fault(response)
    assert code == "20"
    assert reason in message
    assert b"lollollol" not in response.content
    assert b"root:" not in response.content
    still_serving(sim_client)
