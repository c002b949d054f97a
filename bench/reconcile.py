"""How fast reconciliation judges dossiers against the simulated portal, without repairing.

Starts ``python -m gateway.sim`` as a child process (fresh store, 127.0.0.1), stores N synthetic
dossiers (igate-json, translated by the real mapping) in a fresh SQLite store, delivers them to
the simulator directly (DongBoHoSoMC batches) and records them acknowledged, then times two runs
of ``gateway.reconcile.run.Reconciler`` (in this process, as ``dvcgw reconcile --no-repair`` runs it):

1. **listing**: the portal holds every dossier; the run walks ``DanhSachHoSoThayDoi`` pages and
   compares each page with the store in one query: every dossier in sync;
2. **look-ups**: the simulator is reset (it forgets every dossier), so the listing is empty and
   every dossier is asked with ``TraCuuHoSo``, one call each: every dossier missing.

Both without a rate limit (``--rate 0``, the default here) so that the figures measure the work;
``reconcile.rate_per_s`` (20 calls/s by default) caps the look-up path at 20 dossiers/s and the
listing path at 20 × page_size dossiers/s in production.

    .venv/bin/python bench/reconcile.py [--dossiers 5000] [--page-size 100] [--rate 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from gateway.config import PortalConfig, ReconcileConfig, load_config
from gateway.mapping import load_mapping
from gateway.packets import SchemaSet
from gateway.packets.render import to_json_bytes
from gateway.portal import JsonPortalClient
from gateway.reconcile.report import build_report
from gateway.reconcile.run import Reconciler, RunRequest
from gateway.reconcile.window import Window
from gateway.sim.process import SimProcess
from gateway.store import DeliveryOutcome, NewMessage, Result, Store
from gateway.synthetic import AGENCY, igate_file
from gateway.translate import Translated, Translator

USER, PASSWORD = "dvcgw", "dvcgw-sim"


def fill(store: Store, client: JsonPortalClient, count: int) -> None:
    """``count`` dossiers stored, delivered to the portal and recorded as acknowledged."""
    config = load_config()
    translator = Translator(load_mapping(config.paths.mappings / "igate-json.yaml"), SchemaSet())
    for start in range(0, count, 1000):
        indexes = list(range(start, min(count, start + 1000)))
        messages, records = [], []
        for outcome in translator.translate_bytes(igate_file(indexes), "bench.ndjson"):
            assert isinstance(outcome, Translated), outcome
            packet = outcome.packet
            records.append(packet.dossier)
            messages.append(
                NewMessage(
                    packet.ma_ho_so,
                    packet.meta.revision,
                    packet.content_hash,
                    str(packet.dossier["TrangThaiHoSo"]),
                    packet.meta.source,
                    packet.meta.mapping,
                    packet.meta.mapping_hash,
                    to_json_bytes(packet),
                    "bench.ndjson",
                    packet.meta.record_index,
                    None,
                    outcome.raw,
                )
            )
        ids = [done.message_id for done in store.ingest(None, messages, [])]
        for first in range(0, len(records), 100):
            answers = client.sync_dossiers(records[first : first + 100], update=False, madonvi=AGENCY)
            assert all(answer.code == 0 for answer in answers), answers[:3]
        decisions = store.begin_delivery(ids, lease_s=60)
        store.finish_delivery([DeliveryOutcome(d.message_id, Result.ACKED, 1, "insert") for d in decisions])


def timed(store: Store, client: JsonPortalClient, config: ReconcileConfig) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    window = Window.chosen(since=None, until=None, everything=True, days=7)
    outcome = Reconciler(store, client, config, agency=AGENCY).run(RunRequest(window, repair=False))
    elapsed = time.perf_counter() - started
    assert outcome.run is not None, outcome.refused
    return elapsed, build_report(store, outcome.run.id).counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.0, help="portal calls per second; 0: no limit")
    args = parser.parse_args()
    config = ReconcileConfig(rate_per_s=args.rate, page_size=args.page_size, repair=False)
    with tempfile.TemporaryDirectory() as folder, SimProcess(Path(folder) / "sim.sqlite3") as sim:
        client = JsonPortalClient(PortalConfig(url=sim.base_url, username=USER, password=PASSWORD))
        with Store.open(f"sqlite:///{Path(folder) / 'gateway.sqlite3'}") as store:
            started = time.perf_counter()
            fill(store, client, args.dossiers)
            took = time.perf_counter() - started
            print(f"setup: {args.dossiers} dossiers stored and delivered in {took:.1f} s")
            elapsed, counts = timed(store, client, config)
            assert counts["in_sync"] == args.dossiers, counts
            print(
                f"listing path: {args.dossiers} dossiers in sync in {elapsed:.2f} s = "
                f"{args.dossiers / elapsed:,.0f} dossiers/s (page size {args.page_size})"
            )
            httpx.post(f"{sim.base_url}/_sim/reset", timeout=30).raise_for_status()
            elapsed, counts = timed(store, client, config)
            assert counts["missing"] == args.dossiers, counts
            print(
                f"look-up path: {args.dossiers} dossiers missing in {elapsed:.2f} s = "
                f"{args.dossiers / elapsed:,.0f} dossiers/s (one TraCuuHoSo each)"
            )
        client.close()


if __name__ == "__main__":
    main()
