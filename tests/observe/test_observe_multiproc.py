"""The daemon's metrics folder: one per daemon, emptied at start, summed across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from gateway.observe import multiproc


def test_prepare_empties_its_own_folder_and_removes_only_dead_daemons_of_this_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(multiproc.ENV, raising=False)
    root = tmp_path / "metrics"
    own, dead, alive, elsewhere = (
        root / f"host-a.{os.getpid()}",
        root / "host-a.999999999",
        root / f"host-a.{os.getppid()}",
        root / "host-b.999999999",
    )
    for folder in (own, dead, alive, elsewhere):
        folder.mkdir(parents=True)
        (folder / "counter_1.db").write_bytes(b"old")

    made = multiproc.prepare(tmp_path, host="host-a")

    assert made == own
    assert os.environ[multiproc.ENV] == str(own)
    assert list(own.iterdir()) == []
    assert not dead.exists()
    assert (alive / "counter_1.db").exists()
    assert (elsewhere / "counter_1.db").exists()


def test_the_registry_sums_what_other_processes_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = (
        "from gateway.observe import metrics; metrics.ACKNOWLEDGED.inc({n}); metrics.DEAD.labels('X').inc()"
    )
    for n in (3, 4):
        subprocess.run(
            [sys.executable, "-c", count.format(n=n)],
            env={**os.environ, multiproc.ENV: str(tmp_path)},
            check=True,
            timeout=60,
        )
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))

    text = generate_latest(multiproc.registry()).decode()

    assert "dvcgw_messages_acknowledged_total 7.0" in text
    assert 'dvcgw_messages_dead_total{error_class="X"} 2.0' in text
