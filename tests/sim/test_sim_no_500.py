"""No input gives the simulator a 500: whatever a caller sends, the answer is a 4xx or an item refusal.

Run against the real ASGI application (httpx's ASGI transport, from a loopback address so that the
``/_sim/`` routes answer too): arbitrary JSON on every JSON endpoint, arbitrary bytes and
envelopes on the SOAP endpoint, arbitrary JSON and almost-right record arrays on the coordination
routes (``/api/dieuphoi/*``) (Hypothesis, fixed seed, bounded examples), and the lone
surrogates, invalid UTF-8, non-object bodies and oversized bodies that used to crash it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.sim import samples
from gateway.sim.app import create_app
from gateway.sim.faults import FaultSpec
from gateway.sim.settings import SimSettings

NS = "urn:dvc-gateway:dvcqg:1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CREDENTIALS = SimSettings()
PROPERTIES = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SERVICES = ["DongBoHoSoMC", "CapNhatTienDoHoSoMC", "TraCuuHoSo", "DanhSachHoSoThayDoi", "LayDanhSachTTHC"]
COORDINATION = ["/api/dieuphoi/ThemMoiHoSo", "/api/dieuphoi/CapNhatHoSo", "/api/dieuphoi/DongBoTienTrinh"]


class Sim:
    """One simulator application and a client that calls it in-process, one call at a time."""

    def __init__(self, db: Path) -> None:
        self.app = create_app(SimSettings(db=db, max_body_mb=1))
        self.portal = self.app.state.portal
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 40000))
        self._client = httpx.AsyncClient(transport=transport, base_url="http://sim")
        self.session = self.post_json("/api/v1/login", {"username": "dvcgw", "password": "dvcgw-sim"}).json()[
            "session"
        ]

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # Each call starts from a portal without faults or catalogue: a generated fault spec (an
        # injected 500, a hang) must not leak into the next example.
        self.portal.faults.set_spec(FaultSpec())
        self.portal.catalogue = None
        return self._runner.run(self._client.request(method, path, **kwargs))

    def post_json(self, path: str, document: Any, method: str = "POST") -> httpx.Response:
        # ensure_ascii: a lone surrogate travels as the escape "\ud800", as a hostile client sends it.
        body = json.dumps(document, ensure_ascii=True, allow_nan=True).encode()
        return self.request(method, path, content=body, headers={"Content-Type": "application/json"})

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()
        self.portal.store.close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    app = Sim(tmp_path_factory.mktemp("no-500") / "sim.sqlite3")
    try:
        yield app
    finally:
        app.close()


def answered(response: httpx.Response) -> httpx.Response:
    assert response.status_code < 500, response.text
    return response


# ---- generated input ------------------------------------------------------------------------

# Any code point, lone surrogates included; half the strings hold one of the characters that
# crashed the simulator (a lone surrogate) or that XML cannot carry.
TROUBLE = st.sampled_from(["\ud800", "\udfff", "\udc80", "\x00", "\x01", "\ufffe"])
PLAIN = st.text(alphabet=st.characters(exclude_categories=()), max_size=20)
TEXT = PLAIN | st.builds(lambda before, bad, after: before + bad + after, PLAIN, TROUBLE, PLAIN)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=15,
)


@st.composite
def mutated_records(draw: st.DrawFn) -> dict[str, Any]:
    """A sample dossier or history entry with some fields replaced by arbitrary JSON."""
    n = draw(st.integers(min_value=0, max_value=50))
    record = samples.dossier(n) if draw(st.booleans()) else samples.history_entry(n, 1)
    for key in draw(st.lists(st.sampled_from(sorted(record)) | TEXT, max_size=3)):
        record[key] = draw(TEXT | JSON)
    return record


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """An integration call with a live session and arbitrary, often almost right, fields."""
    document: dict[str, Any] = {
        "session": draw(st.just("live") | TEXT | JSON),
        "madonvi": draw(st.just(samples.AGENCY) | TEXT | JSON),
        "service": draw(st.sampled_from(SERVICES) | TEXT | JSON),
    }
    keys = st.sampled_from(["isUpdating", "data", "mahoso", "tu_ngay", "den_ngay", "cursor", "page_size"])
    for key in draw(st.lists(keys | TEXT, max_size=4)):
        document[key] = draw(TEXT | JSON)
    if draw(st.booleans()):
        document["isUpdating"] = draw(st.sampled_from(["True", "False"]))
        document["data"] = draw(st.lists(mutated_records(), min_size=1, max_size=3))
    return document


@PROPERTIES
@given(document=JSON | st.fixed_dictionaries({"username": TEXT | JSON, "password": TEXT | JSON}))
def test_any_json_on_the_login_endpoint_gets_an_answer_below_500(sim, document):
    answered(sim.post_json("/api/v1/login", document))


@PROPERTIES
@given(document=JSON)
def test_any_json_on_the_integration_endpoint_gets_an_answer_below_500(sim, document):
    answered(sim.post_json("/api/v1/integration", document))


@PROPERTIES
@given(document=envelopes())
def test_any_integration_call_with_a_live_session_gets_an_answer_below_500(sim, document):
    if document["session"] == "live":
        document["session"] = sim.session
    answered(sim.post_json("/api/v1/integration", document))


@PROPERTIES
@given(document=JSON, path=st.sampled_from(COORDINATION))
def test_any_json_on_the_coordination_endpoints_gets_an_answer_below_500(sim, document, path):
    answered(sim.post_json(path, document))


@PROPERTIES
@given(records=st.lists(mutated_records() | JSON, min_size=1, max_size=4), path=st.sampled_from(COORDINATION))
def test_any_array_of_almost_right_records_on_the_coordination_endpoints_gets_an_answer_below_500(
    sim, records, path
):
    answered(sim.post_json(path, records))


@PROPERTIES
@given(document=JSON, path=st.sampled_from(["/_sim/faults", "/_sim/catalogue"]))
def test_any_json_on_the_control_api_gets_an_answer_below_500(sim, document, path):
    answered(sim.post_json(path, document, method="PUT"))


@PROPERTIES
@given(codes=JSON | st.lists(TEXT, max_size=4))
def test_any_lose_codes_on_the_faults_endpoint_get_an_answer_below_500(sim, codes):
    answered(sim.post_json("/_sim/faults", {"lose_codes": codes}, method="PUT"))


@PROPERTIES
@given(body=st.binary(max_size=200))
def test_any_bytes_on_any_endpoint_get_an_answer_below_500(sim, body):
    for path in ("/api/v1/login", "/api/v1/integration", "/soap", *COORDINATION):
        answered(sim.request("POST", path, content=body))


def soap_envelope(operation: str, fields: list[tuple[str, str]]) -> bytes:
    inner = "".join(f"<{name}>{text}</{name}>" for name, text in fields)
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<{operation} xmlns="{NS}">{inner}</{operation}></soap:Body></soap:Envelope>'
    ).encode("utf-8", "surrogatepass")


@PROPERTIES
@given(
    operation=st.sampled_from(
        ["DangNhap", "DongBoHoSoMC", "CapNhatTienDoHoSoMC", "TraCuuHoSo", "DanhSachHoSoThayDoi"]
    ),
    fields=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "TenDangNhap",
                    "MatKhau",
                    "Session",
                    "MaDonVi",
                    "IsUpdating",
                    "MaHoSo",
                    "PageSize",
                    "Cursor",
                    "TuNgay",
                ]
            ),
            TEXT.map(lambda t: escape(t)),
        ),
        max_size=5,
    ),
)
def test_any_soap_envelope_gets_an_answer_below_500(sim, operation, fields):
    answered(sim.request("POST", "/soap", content=soap_envelope(operation, fields)))


# ---- known crashes, named -------------------------------------------------------------------

LONE = "\ud800"


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_lone_surrogate_in_the_login_is_refused_with_400(sim, field):
    credentials = {"username": "dvcgw", "password": "dvcgw-sim", field: "dvcgw" + LONE}
    response = answered(sim.post_json("/api/v1/login", credentials))
    assert response.status_code == 400
    assert "lone surrogate U+D800" in response.json()["message"]


@pytest.mark.parametrize("field", ["session", "madonvi", "service", "mahoso"])
def test_a_lone_surrogate_in_the_call_envelope_is_refused_with_400(sim, field):
    document = {"session": sim.session, "madonvi": samples.AGENCY, "service": "TraCuuHoSo", "mahoso": "x"}
    document[field] = str(document[field]) + LONE
    response = answered(sim.post_json("/api/v1/integration", document))
    assert response.status_code == 400
    assert f"$.{field}: holds a lone surrogate U+D800" in response.json()["message"]


def test_a_lone_surrogate_in_a_bearer_session_is_refused_with_401(sim):
    response = sim.request(
        "POST",
        "/api/v1/integration",
        content=b'{"madonvi": "000.00.22.H33", "service": "LayDanhSachTTHC"}',
        headers={"Authorization": b"Bearer \xed\xa0\x80", "Content-Type": "application/json"},
    )
    assert answered(response).status_code == 401


@pytest.mark.parametrize("where", ["value", "key", "MaHoSo"])
def test_a_lone_surrogate_in_a_record_refuses_that_item_only(sim, where):
    bad = samples.dossier(901)
    if where == "value":
        bad["GhiChu"] = "ghi chú" + LONE
    elif where == "key":
        bad["Ghi" + LONE] = "x"
    else:
        bad["MaHoSo"] += LONE
    good = samples.dossier(902 + ["value", "key", "MaHoSo"].index(where))
    document = {
        "session": sim.session,
        "madonvi": samples.AGENCY,
        "service": "DongBoHoSoMC",
        "isUpdating": "False",
        "data": [bad, good],
    }
    response = answered(sim.post_json("/api/v1/integration", document))
    assert response.status_code == 200
    refused, accepted = response.json()["result"]
    assert refused["error_code"] == 1
    assert "lone surrogate" in refused["message"]
    assert accepted["error_code"] == 0


def test_invalid_utf8_in_a_json_body_is_refused_with_400(sim):
    response = sim.request("POST", "/api/v1/login", content=b'{"username": "\xff\xfe", "password": "x"}')
    assert answered(response).status_code == 400


@pytest.mark.parametrize("body", [b"[]", b'"session"', b"1", b"null", b"true"])
@pytest.mark.parametrize("path", ["/api/v1/login", "/api/v1/integration"])
def test_a_json_body_that_is_not_an_object_is_refused_with_400(sim, body, path):
    assert answered(sim.request("POST", path, content=body)).status_code == 400


def test_a_body_over_the_limit_is_refused_with_413(sim):
    response = sim.request("POST", "/api/v1/integration", content=b"[" + b"0," * 600_000 + b"0]")
    assert answered(response).status_code == 413


@pytest.mark.parametrize(
    "text",
    [b"&#xD800;", b"\xed\xa0\x80", b"\xff"],
    ids=["character-reference", "encoded-surrogate", "invalid-utf8"],
)
@pytest.mark.parametrize("field", ["TenDangNhap", "MatKhau"])
def test_a_lone_surrogate_or_invalid_utf8_in_a_soap_login_is_refused_with_400(sim, text, field):
    fields = {"TenDangNhap": b"dvcgw", "MatKhau": b"dvcgw-sim"}
    fields[field] = b"dvcgw" + text
    inner = b"".join(b"<%s>%s</%s>" % (k.encode(), v, k.encode()) for k, v in fields.items())
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><DangNhap xmlns="{NS}">'.encode()
        + inner
        + b"</DangNhap></soap:Body></soap:Envelope>"
    )
    response = answered(sim.request("POST", "/soap", content=body))
    assert response.status_code == 400
    assert b"not well-formed XML" in response.content


def test_a_lone_surrogate_in_a_soap_session_or_record_is_refused_with_400(sim):
    body = soap_envelope(
        "DongBoHoSoMC",
        [("Session", "&#xD800;"), ("MaDonVi", samples.AGENCY), ("IsUpdating", "False")],
    )
    response = answered(sim.request("POST", "/soap", content=body))
    assert response.status_code == 400
    assert b"not well-formed XML" in response.content
