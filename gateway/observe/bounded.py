"""Reads of a service with a deadline: a scrape or a readiness check never hangs on RabbitMQ, the
store or the portal.

A ``Bounded`` owns one thread and the connection it keeps to one service (pika connections and
store engines belong to the thread that made them). ``start(key, read)`` hands a read to that
thread; ``result(key)`` waits for it at most ``timeout_s`` seconds and raises ``TimeoutError``
after that. A read already in flight under the same key is shared, not repeated: concurrent
scrapes wait for the same answer, and a service that hangs holds at most one read per key, never a
growing queue of them. The thread is a daemon thread, so a read stuck in a socket never keeps the
process from exiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Bounded:
    """One thread doing the reads of one service, each waited for at most ``timeout_s``."""

    def __init__(self, name: str, timeout_s: float) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._pending: dict[str, Future[Any]] = {}
        self._tasks: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"watch-{name}", daemon=True)
        self._thread.start()

    def start(self, key: str, read: Callable[[], T]) -> Future[T]:
        """Begin ``read`` on the service's thread, unless a read of ``key`` is still in flight."""
        with self._lock:
            future = self._pending.get(key)
            if future is None or future.done():
                future = Future()
                self._pending[key] = future
                self._tasks.put((future, read))
            return future

    def result(self, key: str, read: Callable[[], T]) -> T:
        """The answer of ``read`` (started now, or the one in flight); ``TimeoutError`` after
        ``timeout_s``; whatever ``read`` raised otherwise."""
        value: T = self.start(key, read).result(timeout=self.timeout_s)
        return value

    def close(self, finish: Callable[[], None] | None = None) -> None:
        """Stop the thread after the reads already handed over, running ``finish`` on it last (to
        close the connection it owns)."""
        if finish is not None:
            self.start("close", finish)
        self._tasks.put(None)

    def _run(self) -> None:
        while (task := self._tasks.get()) is not None:
            future, read = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(read())
            except BaseException as exc:
                future.set_exception(exc)
