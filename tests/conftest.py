"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.packets import DossierPacket, PacketMeta, SchemaSet
from gateway.sim import samples

# store_url, open_store, store: a fresh store on each dialect (SQLite, PostgreSQL).
pytest_plugins = ["tests.store_fixtures"]


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
