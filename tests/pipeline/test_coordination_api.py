"""The daemon delivering through the coordination generation (``DVCGW_PORTAL_API=coordination``)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.sim import samples
from gateway.sim.process import SimProcess
from gateway.store import Store
from gateway.synthetic import dossier_code, igate_file
from tests.pipeline.harness import (
    SOURCE,
    Daemon,
    assert_latest_delivered,
    drop,
    expected_portal,
    gateway_env,
    portal_status,
    sim_stats,
)

DOSSIERS = range(300)
UPDATED = range(150)
ALREADY_THERE = range(40)
INSERT = "/api/dieuphoi/ThemMoiHoSo"


def someone_elses_version(i: int) -> dict[str, object]:
    """A record of dossier ``i`` that another client sent first, at the status the gateway's
    oldest revision has (so that the gateway's own version is no status regression)."""
    record = samples.dossier(i)
    record["MaHoSo"] = dossier_code(i)
    record["TrangThaiHoSo"] = portal_status(0)
    return record


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_every_record_reaches_the_portal_at_its_latest_revision_through_the_coordination_api(
    tmp_path: Path, prefix: str, sim: SimProcess, store_url: str, daemons: list[Daemon], ledger: Store
) -> None:
    # Some dossiers are already at the portal: the gateway's insert is answered "đã tồn tại" and
    # the worker sends the update.
    answer = httpx.post(
        f"{sim.base_url}{INSERT}", json=[someone_elses_version(i) for i in ALREADY_THERE], timeout=30
    ).json()
    assert "thành công" in answer["message"], answer
    var = tmp_path / "var"
    # No envelope credentials at all: only the coordination API, which takes none, can deliver.
    env = gateway_env(
        var, store_url, prefix, sim.base_url, DVCGW_PORTAL_API="coordination", DVCGW_PORTAL_PASSWORD=""
    )
    daemon = Daemon(env, tmp_path / "daemon.log", workers=2)
    drop(var, SOURCE, "revision-0.ndjson", igate_file(DOSSIERS, revision=0))
    drop(var, SOURCE, "revision-1.ndjson", igate_file(UPDATED, revision=1))
    daemons.append(daemon.start())

    expected = expected_portal([(DOSSIERS, 0), (UPDATED, 1)])
    assert_latest_delivered(sim, ledger, expected, len(DOSSIERS) + len(UPDATED), daemons, timeout=120)

    stats = sim_stats(sim)
    assert stats["duplicates_refused"] >= len(ALREADY_THERE), stats
    assert stats["refused_by_reason"].get("invalid_record", 0) == 0, stats
    assert stats["history_entries"] > 0, stats
    assert stats["calls_refused_by_reason"].get("auth_failed", 0) == 0, stats
    for i in ALREADY_THERE:
        versions = httpx.get(f"{sim.base_url}/_sim/dossiers/{dossier_code(i)}", timeout=10).json()["versions"]
        assert [v["operation"] for v in versions][:1] == ["insert"]
        assert "update" in [v["operation"] for v in versions[1:]], dossier_code(i)
