"""The running daemon's web server: metrics that count what it delivered, health, and readiness that
names the portal once the portal is gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.sim.process import free_port
from gateway.synthetic import igate_file
from tests.pipeline.harness import SOURCE, Daemon, drop, gateway_env, start_sim
from tests.polling import wait_until
from tests.services import broker_prefix

DOSSIERS = range(60)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base: str) -> Samples:
    answer = httpx.get(f"{base}/metrics", timeout=15)
    answer.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def readyz(base: str) -> httpx.Response:
    return httpx.get(f"{base}/readyz", timeout=15)


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_metrics_count_the_deliveries_and_readiness_names_the_portal_when_it_goes(tmp_path: Path) -> None:
    var = tmp_path / "var"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with broker_prefix() as prefix:
        sim = start_sim(tmp_path)
        try:
            env = gateway_env(
                var,
                f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
                prefix,
                sim.base_url,
                DVCGW_WEB_ENABLED="true",
                DVCGW_WEB_PORT=str(port),
                # A reconciliation every 3 s, so its figures reach the metrics within the test.
                DVCGW_RECONCILE_INTERVAL_MIN="0.05",
            )
            daemon = Daemon(env, tmp_path / "daemon.log").start()
            try:
                wait_until(lambda: answers(base), f"no /healthz at {base}", timeout=60, every=0.2)
                drop(var, SOURCE, "export.ndjson", igate_file(DOSSIERS))

                last: Samples = {}

                def in_sync() -> bool:
                    nonlocal last
                    last = scrape(base)
                    return last.get(("dvcgw_reconcile_dossiers", (("class", "in_sync"),))) == len(DOSSIERS)

                wait_until(
                    in_sync, "the metrics never showed every dossier delivered", timeout=120, every=0.5
                )
                check_counts(last)

                ready = readyz(base)
                assert ready.status_code == 200, ready.text
                assert ready.json()["ready"] is True

                sim.stop()

                gone: dict[str, Any] = {}

                def not_ready() -> bool:
                    nonlocal gone
                    answer = readyz(base)
                    gone = answer.json()
                    return answer.status_code == 503

                wait_until(not_ready, "/readyz stayed ready with the portal stopped", timeout=60, every=0.5)
                assert gone["unreachable"] == ["portal"], gone
                assert gone["checks"]["portal"]["ok"] is False
                assert gone["checks"]["broker"]["ok"] is True
                assert gone["checks"]["store"]["ok"] is True
                assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "alive"}
                assert httpx.get(f"{base}/", timeout=5).headers["location"] == "/console/"
            finally:
                assert daemon.stop() == 0, daemon.log_tail()
        finally:
            sim.stop()


def check_counts(found: Samples) -> None:
    delivered = float(len(DOSSIERS))
    source = (("source", SOURCE),)
    # Counted by the children as they worked, summed across processes...
    assert found[("dvcgw_records_ingested_total", source)] == delivered
    assert found[("dvcgw_records_rejected_total", source)] == 0
    # A source without a file yet has its series, at zero.
    assert found[("dvcgw_records_ingested_total", (("source", "legacy-csv"),))] == 0
    assert found[("dvcgw_messages_published_total", ())] == delivered
    assert found[("dvcgw_messages_acknowledged_total", ())] == delivered
    calls = found[("dvcgw_portal_call_duration_seconds_count", (("operation", "DongBoHoSoMC"),))]
    assert calls > 0
    assert found[("dvcgw_portal_calls_total", (("operation", "DongBoHoSoMC"), ("outcome", "ok")))] == calls
    # ...and read from the store and the broker at the scrape.
    assert found[("dvcgw_messages", (("state", "acked"),))] == delivered
    assert found[("dvcgw_queue_messages", (("queue", "sync"),))] == 0
    assert found[("dvcgw_queue_consumers", (("queue", "sync"),))] == 2
    assert found[("dvcgw_reconcile_sync_rate", ())] == 1.0
    assert found[("dvcgw_last_delivery_timestamp_seconds", ())] > 0
    assert found[("dvcgw_scrape_source_up", (("source", "broker"),))] == 1
    assert found[("dvcgw_scrape_source_up", (("source", "store"),))] == 1
