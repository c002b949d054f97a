"""A dead message as an operator reads it: the listing's line and keys, the whole story of one."""

from __future__ import annotations

import base64
import dataclasses

import orjson

from gateway.ops.dead import DeadLetter, dead_letter, listing_json, listing_line
from gateway.store import DeadQuery, Store
from gateway.synthetic import dossier_code
from tests.ops.ledger import REFUSAL, dead


def test_a_listed_dead_message_has_the_keys_scripts_rely_on(store: Store) -> None:
    message_id = dead(store, 7)
    [row] = store.dead_letters(DeadQuery())
    listed = listing_json(row)
    assert {k: listed[k] for k in ("id", "MaHoSo", "source", "error_class", "reason", "attempts")} == {
        "id": message_id,
        "MaHoSo": dossier_code(7),
        "source": "igate-json",
        "error_class": "PortalRefused",
        "reason": REFUSAL,
        "attempts": 1,
    }
    assert listed["dead_at"].endswith("+07:00")
    assert listing_line(row).startswith(f"#{message_id}  ")
    assert listing_line(row).endswith(REFUSAL)


def test_showing_a_dead_message_gives_reason_attempts_packet_and_original_record(store: Store) -> None:
    message_id = dead(store, 7)
    letter = dead_letter(store, message_id)
    assert letter is not None
    text = "\n".join(letter.lines())
    assert f"reason       {REFUSAL}" in text
    assert "attempt 1  " in text
    assert "insert  dead  PortalRefused: " in text
    assert f'"MaHoSo": "{dossier_code(7)}"' in text  # the packet, pretty-printed
    assert '"code":"' in text  # the original record, as it came
    assert "/archive/export.ndjson, record 0, line 1" in text
    shown = letter.to_json()
    assert shown["packet"]["HoSo"]["MaHoSo"] == dossier_code(7)
    assert [a["outcome"] for a in shown["attempt_log"]] == ["dead"]
    assert shown["original"]["replaced"] is False


def test_original_bytes_that_are_not_utf8_are_shown_with_replacement_and_kept_exactly(store: Store) -> None:
    letter = dead_letter(store, dead(store, 7))
    assert letter is not None
    cp1258 = "Văn An;Đăng".encode("cp1258")
    legacy = DeadLetter(dataclasses.replace(letter.message, raw=cp1258), letter.attempts)
    text = "\n".join(legacy.lines())
    assert "not valid UTF-8: shown decoded with U+FFFD replacement characters" in text
    assert "\ufffd" in text
    original = legacy.to_json()["original"]
    assert original["replaced"] is True
    assert base64.b64decode(original["base64"]) == cp1258


def test_only_a_dead_message_can_be_shown(store: Store) -> None:
    message_id = dead(store, 7)
    store.requeue([message_id])
    assert dead_letter(store, message_id) is None
    assert dead_letter(store, 999) is None


def test_the_shown_packet_is_the_stored_one(store: Store) -> None:
    message_id = dead(store, 7)
    letter = dead_letter(store, message_id)
    assert letter is not None
    assert letter.to_json()["packet"] == orjson.loads(letter.message.packet)
