"""The command line: help with examples, usage errors with exit code 2, python -m gateway.sim."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from gateway.exit_codes import ExitCode
from gateway.sim.command import portal_sim


def test_help_lists_the_options_and_ends_with_examples():
    result = CliRunner().invoke(portal_sim, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--faults", "--catalogue"):
        assert option in result.output
    tail = [line.strip() for line in result.output.rstrip().splitlines()]
    examples = tail.index("Examples:")
    assert all(
        "portal-sim" in line or "gateway.sim" in line or "curl" in line for line in tail[examples + 1 :]
    )


def test_an_invalid_faults_option_exits_with_the_usage_code_naming_the_key():
    result = CliRunner().invoke(portal_sim, ["--faults", '{"lose": 0.5}'])
    assert result.exit_code == ExitCode.USAGE
    assert "lose" in result.output


def test_faults_that_are_not_json_exit_with_the_usage_code():
    result = CliRunner().invoke(portal_sim, ["--faults", "{error_rate: 1}"])
    assert result.exit_code == ExitCode.USAGE
    assert "not valid JSON" in result.output


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("[{MaTTHC: 1}]", "not valid JSON"),
        ('{"MaTTHC": "1.004889"}', "must be a JSON array"),
        ('[{"MaTTHC": "1.004889"}, {"TenTTHC": "x"}]', "item 1: MaTTHC is required"),
        ('[{"MaTTHC": "1.004889"}, {"MaTTHC": "1.0048"}]', "item 1: MaTTHC"),
        ('[{"MaTTHC": "1.004889"}, {"MaTTHC": "1.004889"}]', "item 1: MaTTHC 1.004889 is listed twice"),
        ('[{"MaTTHC": "1.004889", "Extra": ""}]', "item 0: unknown key(s) 'Extra'"),
    ],
    ids=["not-json", "not-an-array", "no-code", "malformed-code", "duplicate-code", "unknown-key"],
)
def test_a_bad_catalogue_file_exits_with_the_usage_code_naming_the_file_and_the_item(
    tmp_path, content, named
):
    catalogue_file = tmp_path / "catalogue.json"
    catalogue_file.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(portal_sim, ["--catalogue", str(catalogue_file)])
    assert result.exit_code == ExitCode.USAGE
    message = " ".join(result.output.split())  # click wraps long messages
    assert str(catalogue_file) in message
    assert named in message


def test_a_port_already_in_use_exits_with_the_usage_code(portal_sim, tmp_path):
    port = str(urlsplit(portal_sim).port)
    run = subprocess.run(
        [sys.executable, "-m", "gateway.sim", "--port", port, "--db", str(tmp_path / "x.sqlite3")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == ExitCode.USAGE
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr
