"""How fast the simulated portal takes batched upserts, with validation and persistence on.

Starts ``python -m gateway.sim`` as a child process on a free 127.0.0.1 port with a fresh store,
then sends batches of 50 dossiers over keep-alive httpx connections from a few client threads:
first as inserts (DongBoHoSoMC, isUpdating "False"), then the same dossiers as updates with a new
status (isUpdating "True"), and finally inserts of fresh dossiers over SOAP. Request bodies are
built before the clock starts, so the figures measure the simulator, not the client's encoding.
Every phase is bounded by its record count and by a time limit; the run checks the simulator's
own counters afterwards (every record accepted, none refused).

Target (issue 3): >= 3,000 records/s with validation and persistence, on a 2-core machine.

    .venv/bin/python bench/portal_sim.py [--records 20000] [--batch 50] [--clients 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
from lxml import etree

from gateway.config import load_config
from gateway.packets.render import record_to_xml
from gateway.packets.schemas import default_layout
from gateway.sim import samples
from gateway.sim.process import SimProcess

TARGET_RECORDS_PER_S = 3000
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Phase:
    name: str
    records: int
    seconds: float
    latencies: list[float]
    failures: int

    def report(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0.0
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000 if lat else 0.0
        p95 = lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else 0.0
        return (
            f"{self.name:<14} {self.records:>7} records in {self.seconds:6.2f} s = {rate:8.0f} records/s"
            f"   batch latency p50 {p50:6.1f} ms, p95 {p95:6.1f} ms   failed calls {self.failures}"
        )

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def json_bodies(session: str, records: list[dict[str, object]], batch: int, updating: bool) -> list[bytes]:
    return [
        orjson.dumps(
            {
                "session": session,
                "madonvi": samples.AGENCY,
                "service": "DongBoHoSoMC",
                "isUpdating": "True" if updating else "False",
                "data": records[i : i + batch],
            }
        )
        for i in range(0, len(records), batch)
    ]


def soap_bodies(session: str, records: list[dict[str, object]], batch: int) -> list[bytes]:
    layout = default_layout()
    ns = "{" + layout.namespace + "}"
    bodies = []
    for i in range(0, len(records), batch):
        envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
        body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
        call = etree.SubElement(body, ns + "DongBoHoSoMC", nsmap={"d": layout.namespace})
        etree.SubElement(call, ns + "Session").text = session
        etree.SubElement(call, ns + "MaDonVi").text = samples.AGENCY
        etree.SubElement(call, ns + "IsUpdating").text = "False"
        for record in records[i : i + batch]:
            record_to_xml(call, "HoSo", record, "HoSo", layout)
        bodies.append(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))
    return bodies


def run_phase(
    name: str,
    base_url: str,
    path: str,
    bodies: list[bytes],
    batch: int,
    clients: int,
    time_limit_s: float,
    ok: Callable[[httpx.Response], bool],
    content_type: str,
) -> Phase:
    """POST every body once, from ``clients`` threads with one keep-alive connection each."""
    next_index = iter(range(len(bodies)))
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]
    sent = [0]
    deadline = time.monotonic() + time_limit_s

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=30.0, headers={"Content-Type": content_type}) as http:
            while time.monotonic() < deadline:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                started = time.perf_counter()
                response = http.post(path, content=bodies[index])
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    sent[0] += 1
                    if not ok(response):
                        failures[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    records = min(sent[0] * batch, sum(1 for _ in bodies) * batch)
    return Phase(name, records, seconds, latencies, failures[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="dossiers per phase (default 20000)")
    parser.add_argument("--batch", type=int, default=50, help="records per call (default 50)")
    parser.add_argument("--clients", type=int, default=2, help="client threads, one connection each")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per phase at most")
    args = parser.parse_args()
    if args.records % args.batch:
        parser.error("--records must be a multiple of --batch")

    config = load_config().sim
    inserts = [samples.dossier(n, status="2") for n in range(args.records)]
    updates = [samples.dossier(n, status="4", revision=1) for n in range(args.records)]
    fresh = [samples.dossier(n, status="2", day="240106") for n in range(args.records)]

    with tempfile.TemporaryDirectory(prefix="bench-portal-sim-") as directory:
        sim = SimProcess(Path(directory) / "portal-sim.sqlite3")
        sim.start()
        try:
            with httpx.Client(base_url=sim.base_url, timeout=10.0) as http:
                login = {"username": config.username, "password": config.password}
                session = http.post("/api/v1/login", json=login).json()["session"]

            def json_ok(response: httpx.Response) -> bool:
                return response.status_code == 200 and response.json()["error_code"] == 0

            def soap_ok(response: httpx.Response) -> bool:
                return response.status_code == 200 and b"<ErrorCode>0</ErrorCode>" in response.content

            phases = [
                run_phase(
                    "json insert",
                    sim.base_url,
                    "/api/v1/integration",
                    json_bodies(session, inserts, args.batch, updating=False),
                    args.batch,
                    args.clients,
                    args.time_limit,
                    json_ok,
                    "application/json",
                ),
                run_phase(
                    "json update",
                    sim.base_url,
                    "/api/v1/integration",
                    json_bodies(session, updates, args.batch, updating=True),
                    args.batch,
                    args.clients,
                    args.time_limit,
                    json_ok,
                    "application/json",
                ),
                run_phase(
                    "soap insert",
                    sim.base_url,
                    "/soap",
                    soap_bodies(session, fresh, args.batch),
                    args.batch,
                    args.clients,
                    args.time_limit,
                    soap_ok,
                    "text/xml; charset=utf-8",
                ),
            ]
            with httpx.Client(base_url=sim.base_url, timeout=10.0) as http:
                stats = http.get("/_sim/stats").json()
        finally:
            code = sim.stop()

    print(f"portal-sim benchmark: batches of {args.batch}, {args.clients} keep-alive client(s), 127.0.0.1")
    print(f"startup {sim.startup_s:.2f} s; exit code {code}")
    for phase in phases:
        print(phase.report())
    upsert = phases[0].records + phases[1].records
    upsert_rate = upsert / (phases[0].seconds + phases[1].seconds)
    print(f"json upserts overall: {upsert_rate:.0f} records/s (target >= {TARGET_RECORDS_PER_S})")
    print(
        "sim counters: "
        f"inserts {stats['inserts']}, updates {stats['updates']}, refused {stats['refused']}, "
        f"dossiers {stats['dossiers']}"
    )
    expected_inserts = phases[0].records + phases[2].records
    counted = stats["inserts"] == expected_inserts and stats["updates"] == phases[1].records
    clean = not any(p.failures for p in phases) and stats["refused"] == 0 and counted
    met = min(phases[0].rate, phases[1].rate) >= TARGET_RECORDS_PER_S
    print(f"every record accepted and counted: {'yes' if clean else 'NO'}")
    print(f"target met: {'yes' if met else 'NO'}")
    return 0 if clean and met else 1


if __name__ == "__main__":
    sys.exit(main())
