"""The content hash contract (docs/national-portal.md, "Content hash"), held by two implementations.

The simulator computes ``MaBam`` with its own code (``gateway.sim.records``); the gateway computes
the same hash with its own (``gateway.packets.model.record_hash``, imported here only as the other
party). Both must follow the written contract: a known answer derived by hand, every fixture
record, and generated records with Vietnamese text, emoji, control characters and escapes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.packets.model import complete as gateway_complete
from gateway.packets.model import record_hash as gateway_record_hash
from gateway.packets.schemas import default_layout
from gateway.sim.contract import Contract
from gateway.sim.records import canonical_json, complete, record_hash

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PROPERTIES = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def fixture_records() -> list[tuple[str, str, dict[str, Any]]]:
    """(case, type, record) for every dossier and history entry of every fixture's expected packets."""
    found = []
    for expected in sorted(FIXTURES.glob("*/*/expected.json")):
        case = f"{expected.parent.parent.name}/{expected.parent.name}"
        for packet in json.loads(expected.read_text(encoding="utf-8"))["packets"]:
            found.append((case, "HoSo", packet["HoSo"]))
            found.extend((case, "BuocXuLy", step) for step in packet.get("QuaTrinhXuLy", []))
    return found


FIXTURE_RECORDS = fixture_records()


def test_the_hash_is_sha256_of_the_hand_written_canonical_form():
    record = {"b": "Đơn\n😀", "a": [{"y": 75000, "x": ""}], "c": '"\\/', "d": "\x00\x7f\u2028"}
    canonical = '{"a":[{"x":"","y":75000}],"b":"Đơn\\n😀","c":"\\"\\\\/","d":"\\u0000\x7f\u2028"}'
    assert canonical_json(record) == canonical.encode("utf-8")
    assert record_hash(record) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert gateway_record_hash(record) == record_hash(record)


def test_a_lone_surrogate_has_no_hash():
    # Not text, so outside the contract: the simulator refuses such records before hashing.
    with pytest.raises(UnicodeEncodeError):
        record_hash({"GhiChu": "\ud800"})


def test_the_fixtures_hold_records_of_both_types():
    kinds = {kind for _, kind, _ in FIXTURE_RECORDS}
    assert kinds == {"HoSo", "BuocXuLy"}
    assert len(FIXTURE_RECORDS) > 100


@pytest.mark.parametrize("kind", ["HoSo", "BuocXuLy"])
def test_the_sim_and_the_gateway_complete_and_hash_every_fixture_record_alike(kind):
    contract, layout = Contract(), default_layout()
    compared = 0
    for case, record_kind, record in FIXTURE_RECORDS:
        if record_kind != kind:
            continue
        ours, theirs = complete(record, kind, contract), gateway_complete(record, kind, layout)
        assert ours == theirs, case
        assert record_hash(ours) == gateway_record_hash(theirs), case
        compared += 1
    assert compared > 0


_SPECIAL = list('ĐđƯưƠơẮằẵặẤầẩỹỸ"\\/\b\f\n\r\t\x00\x01\x1f\x7f\x80\x9f\u00a0\u2028\u2029\ufeff\ufffd😀👍🏽𝔘')
TEXT = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(_SPECIAL)), max_size=30)
SCALARS = st.one_of(TEXT, st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=20,
)
RECORDS = st.dictionaries(TEXT, VALUES, max_size=8)


@PROPERTIES
@given(RECORDS)
def test_the_sim_and_the_gateway_hash_generated_records_alike(record):
    assert record_hash(record) == gateway_record_hash(record)


@PROPERTIES
@given(st.dictionaries(st.sampled_from(["MaHoSo", "GhiChu", "TrichYeuHoSo"]), TEXT))
def test_generated_text_survives_the_canonical_form_unchanged(record):
    # "Strings as stored": no normalisation, no escaping beyond JSON's own.
    assert json.loads(canonical_json(record)) == record
