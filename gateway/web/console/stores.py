"""The console's stores: one ``Store`` per server thread, opened on first use, closed with the console.

A ``Store`` is for one thread (its engine's small pool and SQLite's rules), and the console's pages
read it from Starlette's thread pool, so each pool thread opens its own the first time it serves a
page and keeps it. ``run(work)`` runs ``work(store)`` on a pool thread with that thread's store, so
no store call ever blocks the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from gateway.store import Store

T = TypeVar("T")


class Stores:
    """The stores of the console's threads, all on one URL."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def _store(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store.open(self._url)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    async def run(self, work: Callable[[Store], T]) -> T:
        """``work(store)`` on a pool thread, with that thread's store (``StoreError`` passes through)."""
        return await run_in_threadpool(lambda: work(self._store()))

    def close(self) -> None:
        """Close every store opened so far."""
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            store.close()
