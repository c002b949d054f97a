"""The canonical national dossier packet: model, JSON and XML renderings, schema validation."""

from __future__ import annotations

from gateway.packets.model import DossierPacket, PacketMeta
from gateway.packets.schemas import SCHEMA_DIR, SchemaSet

__all__ = ["SCHEMA_DIR", "DossierPacket", "PacketMeta", "SchemaSet"]
