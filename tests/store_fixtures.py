"""Store fixtures for every test package (a pytest plugin loaded by tests/conftest.py).

``store_url`` is a fresh database for one test, on each dialect: a SQLite file under ``tmp_path``,
or a schema of its own (``s_<uuid>``) in the ``test`` database of the local PostgreSQL, selected
through the connection's ``search_path`` and dropped afterwards. ``open_store`` opens a ``Store`` on
it (again for another process's view of the same database), ``store`` is the first one; all are
closed after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.store import Store
from tests.services import postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store database of the parametrised dialect, removed after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'gateway.sqlite3'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], Store]]:
    """Opens another ``Store`` on the test's database (as another process would); all closed after."""
    opened: list[Store] = []

    def open_one() -> Store:
        store = Store.open(store_url)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    """A store on an empty database, migrated to head."""
    return open_store()
