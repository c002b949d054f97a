"""Several processes on one store at once (here: threads, each with a ``Store`` of its own).

On SQLite every write transaction takes the write lock first (``BEGIN IMMEDIATE``) and waits for
it, so writers queue up instead of failing with "database is locked"; on PostgreSQL row locks and
``SKIP LOCKED`` keep the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from gateway.store import Decision, MessageState, Store
from tests.store.samples import ingest_one, new_file, new_message

T = TypeVar("T")
WORKERS = 4


def at_once(store_url: str, count: int, work: Callable[[Store, int], T]) -> list[T]:
    """Run ``work(store, n)`` in ``count`` threads, each opening its own store, all released together."""
    barrier = threading.Barrier(count)

    def run(n: int) -> T:
        barrier.wait(timeout=30)
        with Store.open(store_url) as store:
            return work(store, n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))  # re-raises the first thread's error, if any


def test_stores_opened_at_once_on_an_empty_database_migrate_it_once(store_url: str) -> None:
    at_once(store_url, WORKERS, lambda store, _: store.dossier_count())
    with Store.open(store_url) as store:
        assert store.state_counts() == dict.fromkeys(MessageState, 0)


def test_two_stores_opened_and_ingesting_at_once_store_everything_once(store_url: str) -> None:
    def ingest(store: Store, n: int) -> None:
        for batch in range(20):
            # Half of each batch is shared by both writers: the same content, stored only once.
            shared = [new_message(f"shared-{batch}-{i}") for i in range(10)]
            own = [new_message(f"own-{n}-{batch}-{i}") for i in range(10)]
            store.ingest(new_file(f"export-{n}-{batch}.json"), shared + own, [])

    at_once(store_url, 2, ingest)
    with Store.open(store_url) as store:
        assert store.state_counts()[MessageState.PENDING] == 20 * 10 + 2 * 20 * 10
        assert store.dossier_count() == 600
        files = [f for i in range(1, 41) if (f := store.intake_file(i)) is not None]
        assert len(files) == 40
        assert sum(f.duplicates for f in files) == 200


def test_workers_racing_for_one_dossier_send_it_once(store_url: str) -> None:
    with Store.open(store_url) as store:
        message_id = ingest_one(store, new_message())
    decisions = at_once(
        store_url, WORKERS, lambda store, _: store.begin_delivery([message_id], 60)[0].decision
    )
    assert decisions.count(Decision.SEND) == 1
    assert decisions.count(Decision.DEFER) == WORKERS - 1


def test_relays_claiming_at_once_never_share_a_message(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.ingest(None, [new_message(f"code-{n}") for n in range(200)], [])

    def claim_all(store: Store, _: int) -> list[int]:
        claimed: list[int] = []
        while batch := store.claim_outbox(7, lease_s=60):
            claimed.extend(item.message_id for item in batch)
        return claimed

    claims = at_once(store_url, WORKERS, claim_all)
    every = [message_id for claim in claims for message_id in claim]
    assert len(every) == len(set(every)) == 200
