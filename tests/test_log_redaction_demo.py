"""The whole demo flow at DEBUG leaks no fixture's identity number, tax code, phone number or e-mail
address: not on its output, not in the daemon's and the simulator's logs, not in its reports.

The identifiers are collected from every fixture input (whatever the dialect: runs of 9-12 digits,
tax codes with their -NNN suffix, phone numbers written with separators, e-mail addresses), then
looked for, byte for byte, in everything the demo wrote except the stores (SQLite files) and the
copies of the input files it archived or rejected: those are the data, kept on purpose.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig
from tests.services import broker_prefix

ROOT = Path(__file__).resolve().parents[1]
_PERSONAL = re.compile(
    rb"(?<![0-9])\+?[0-9]{9,12}(?:-[0-9]{3})?(?![0-9])"
    rb"|(?<![0-9])(?:\+84|0)[1-9][0-9]{1,2}(?:[ .-][0-9]{3}){2}[0-9]?(?![0-9])"
    rb"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)


def fixture_identifiers() -> set[bytes]:
    found: set[bytes] = set()
    for file in (ROOT / "fixtures").rglob("input*"):
        found.update(_PERSONAL.findall(file.read_bytes()))
    return found


def written_by_the_demo(var: Path) -> list[Path]:
    """Logs and reports: every file but the stores and the copies of the inputs."""
    files = []
    for file in var.rglob("*"):
        if not file.is_file() or ".sqlite3" in file.name:
            continue
        copied_input = file.relative_to(var).parts[0] in {"inbox", "processing", "archive", "rejected"}
        if copied_input and not file.name.endswith(".errors.json"):
            continue
        files.append(file)
    return files


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_demo_at_debug_level_writes_no_fixture_identifier_anywhere(tmp_path: Path) -> None:
    identifiers = fixture_identifiers()
    assert len(identifiers) > 50  # the fixtures do hold personal numbers: the search means something
    with broker_prefix() as prefix:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DVCGW_")}
        env.update(DVCGW_PATHS_VAR=str(tmp_path), DVCGW_BROKER_PREFIX=prefix)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "gateway.cli", "--log-level", "DEBUG", "demo"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                timeout=280,
                check=False,
            )
        finally:
            connection = connect(BrokerConfig(prefix=f"{prefix}-demo"))
            try:
                Topology.from_config(BrokerConfig(prefix=f"{prefix}-demo")).delete(connection.channel())
            finally:
                connection.close()
    assert done.returncode in (0, 1), done.stderr.decode(errors="replace")[-2000:]
    assert b"records in" in done.stdout
    var = tmp_path / "demo"
    daemon_log = (var / "daemon.log").read_bytes()
    assert b'"level":"debug"' in daemon_log  # DEBUG reached the daemon's children
    outputs = {"stdout": done.stdout, "stderr": done.stderr}
    outputs.update({str(f.relative_to(var)): f.read_bytes() for f in written_by_the_demo(var)})
    assert "daemon.log" in outputs
    assert "portal-sim.log" in outputs
    leaks = {
        name: sorted(i.decode() for i in identifiers if i in data)
        for name, data in outputs.items()
        if any(i in data for i in identifiers)
    }
    assert leaks == {}
