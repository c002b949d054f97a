"""Logs never carry citizen IDs, phone numbers, e-mail addresses or tokens in clear."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from gateway.logging import REDACTED, configure, redact


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
