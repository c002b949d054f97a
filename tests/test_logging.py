"""Logs never carry citizen IDs, phone numbers, e-mail addresses or tokens in clear."""

from __future__ import annotations

import json
import logging
import re

import pytest
import structlog

from gateway.logging import LEVEL_VARIABLE, REDACTED, configure, redact, redact_text


def test_sensitive_keys_are_masked() -> None:
    event = redact(None, "info", {"event": "x", "password": "s3cret", "session": "abc", "ma_ho_so": "A-1"})
    assert event == {"event": "x", "password": REDACTED, "session": REDACTED, "ma_ho_so": "A-1"}


def test_personal_numbers_inside_text_are_masked() -> None:
    event = redact(None, "info", {"event": "call 0912345678 about CCCD 091203004567"})
    assert "0912345678" not in event["event"]
    assert "091203004567" not in event["event"]


def test_emails_inside_nested_values_are_masked() -> None:
    event = redact(None, "info", {"event": "x", "record": {"note": ["write to an.nguyen@example.vn"]}})
    assert event["record"]["note"] == [f"write to {REDACTED}"]


def test_dossier_codes_survive_redaction() -> None:
    event = redact(None, "info", {"event": "synced 000.00.22.H33-210604-0001"})
    assert event["event"] == "synced 000.00.22.H33-210604-0001"


def test_the_configured_chain_redacts_gateway_and_library_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure(json_output=True)
    try:
        structlog.get_logger("gateway").info("sent", phone="0912345678", ma_ho_so="000.00.22.H33-210604-0001")
        logging.getLogger("somelib").warning("token=%s for 091203004567", "t")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert lines[0]["phone"] == REDACTED
    assert lines[0]["ma_ho_so"] == "000.00.22.H33-210604-0001"
    assert "091203004567" not in lines[1]["event"]


@pytest.mark.parametrize(
    "text",
    [
        "tax code 0100233489 fails its check digit",
        "branch tax code 0100233489-001",
        "CMND 123456789",
        "phone 0912 345 678",
        "phone 0912.345.678",
        "phone +84 912-345-678",
        "phone 84912345678",
    ],
)
def test_tax_codes_identity_numbers_and_phones_in_any_form_are_masked(text: str) -> None:
    masked = redact(None, "info", {"event": text})["event"]
    assert not re.search(r"[0-9]{3}", masked.split(" ", 1)[1].replace("[redacted]", ""))


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("login with password=hunter2 ok", "hunter2"),
        ('{"session": "s3ss10nT0ken", "madonvi": "000.00.22.H33"}', "s3ss10nT0ken"),
        ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi"),
        ("token: Zk3-_aa9", "Zk3-_aa9"),
    ],
)
def test_secrets_written_inside_text_are_masked(text: str, secret: str) -> None:
    assert secret not in redact(None, "info", {"event": text})["event"]


def test_key_names_that_contain_a_sensitive_word_are_masked() -> None:
    event = redact(
        None,
        "info",
        {"event": "x", "portal_password": "p", "SoDienThoai": "1", "x-session-token": "t", "mst": "2"},
    )
    assert set(event.values()) == {"x", REDACTED}


def test_timestamps_and_counts_survive_redaction() -> None:
    text = "record 12 of 2025-10-21T08:05:00+07:00, amount 100000, broker 127.0.0.1:5672"
    assert redact(None, "info", {"event": text})["event"] == text


def test_a_library_line_with_an_exception_is_redacted_and_carries_no_local_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(json_output=True, level="INFO")
    try:

        def fail(phone: str) -> None:
            raise ValueError(f"bad phone {phone}")

        try:
            fail("0912345678")
        except ValueError:
            logging.getLogger("httpx").exception("request failed for an.nguyen@example.vn")
        output = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    line = json.loads(output.splitlines()[-1])
    assert line["logger"] == "httpx"
    assert "0912345678" not in output
    assert "an.nguyen@example.vn" not in output
    assert "locals" not in json.dumps(line["exception"])


def test_the_level_comes_from_the_environment_when_not_given(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LEVEL_VARIABLE, "debug")
    configure(json_output=True)
    try:
        structlog.get_logger("gateway").debug("shown at debug")
        output = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert "shown at debug" in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("000.00.22.H33-210604-000591", "000.00.22.H33-210604-000591"),
        ("2026-11-30T16:14:03.498510Z", "2026-11-30T16:14:03.498510Z"),
        # Shaped like a dossier code, but a citizen ID where the agency belongs: masked.
        ("091203004567-210604-1", f"{REDACTED}-210604-1"),
        ("000.00.22.H33-0912345678-1", f"000.00.22.H33-{REDACTED}-1"),
    ],
)
def test_instants_and_dossier_codes_pass_whole_and_nothing_else_does(text: str, expected: str) -> None:
    assert redact_text(text) == expected
