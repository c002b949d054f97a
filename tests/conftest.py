"""Fixtures shared by every test package."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from gateway.packets import DossierPacket, PacketMeta, SchemaSet
from gateway.sim import samples

# store_url, open_store, store: a fresh store on each dialect (SQLite, PostgreSQL); browser: Chromium.
pytest_plugins = ["tests.store_fixtures", "tests.browser_fixtures"]


@pytest.fixture(autouse=True)
def _logging_as_found() -> Iterator[None]:
    """Undo a test's logging configuration (a command run in-process configures structlog and the
    root logger). A configuration left behind would pin the loggers of every module used after
    it (``cache_logger_on_first_use``) and hide their events from later ``capture_logs``."""
    handlers = logging.getLogger().handlers[:]
    level = logging.getLogger().level
    yield
    if structlog.is_configured():
        structlog.reset_defaults()
    logging.getLogger().handlers[:] = handlers
    logging.getLogger().setLevel(level)


@pytest.fixture(scope="session")
def schemas() -> SchemaSet:
    """The national schemas, compiled once for the whole run."""
    return SchemaSet()


def sample_dossier() -> dict[str, Any]:
    """A complete, valid national dossier record (one DongBoHoSoMC item)."""
    return samples.dossier(1)


def sample_history() -> list[dict[str, Any]]:
    """Its processing history: one valid entry."""
    return [samples.history_entry(1, 1)]


def sample_meta(**changes: Any) -> PacketMeta:
    values: dict[str, Any] = {
        "source": "igate-json",
        "mapping": "igate-json",
        "mapping_hash": "0" * 64,
        "revision": "20210605100000",
        "source_file": "export.json",
        "record_index": 0,
    }
    values.update(changes)
    return PacketMeta(**values)


@pytest.fixture
def make_packet() -> Callable[..., DossierPacket]:
    """Builds a valid packet; keyword arguments replace fields of the dossier record."""

    def build(**dossier_changes: Any) -> DossierPacket:
        dossier = sample_dossier()
        dossier.update(dossier_changes)
        return DossierPacket.build(sample_meta(), dossier, sample_history())

    return build
