"""Dead letters for the operators' tests, made as the pipeline makes them: a synthetic igate-json
record translated with the real mapping, stored, delivered once and refused for good."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

import orjson

from gateway.config import PROJECT_ROOT
from gateway.mapping import load_mapping
from gateway.packets import SchemaSet
from gateway.packets.render import to_json_bytes
from gateway.store import DeliveryOutcome, NewMessage, Result, Store
from gateway.synthetic import igate_record
from gateway.translate import Translated, Translator

SOURCE = "igate-json"
REFUSAL = "the portal refused the dossier: unknown procedure 2.000123 (code 4)"


@cache
def translator(source: str = SOURCE) -> Translator:
    return Translator(load_mapping(PROJECT_ROOT / "mappings" / f"{source}.yaml"), SchemaSet())


def message_of(record: dict[str, Any], *, file: str = "/archive/export.ndjson", index: int = 0) -> NewMessage:
    """The message the intake stores for ``record`` (an igate-json record), read from ``file``."""
    raw = orjson.dumps(record)
    [outcome] = translator().translate_bytes(raw, file)
    assert isinstance(outcome, Translated), outcome
    packet = outcome.packet
    meta = dataclasses.replace(packet.meta, record_index=index)
    packet = dataclasses.replace(packet, meta=meta)
    return NewMessage(
        ma_ho_so=packet.ma_ho_so,
        revision=packet.meta.revision,
        content_hash=packet.content_hash,
        status=str(packet.dossier.get("TrangThaiHoSo", "")),
        source=SOURCE,
        mapping=packet.meta.mapping,
        mapping_hash=packet.meta.mapping_hash,
        packet=to_json_bytes(packet),
        source_file=file,
        record_index=index,
        record_line=index + 1,
        raw=raw,
    )


def kill(store: Store, message_id: int, error_class: str = "PortalRefused", reason: str = REFUSAL) -> None:
    """One delivery, refused for good."""
    [decision] = store.begin_delivery([message_id], lease_s=60)
    outcome = DeliveryOutcome(message_id, Result.DEAD, decision.attempts + 1, "insert", error_class, reason)
    store.finish_delivery([outcome])


def acknowledge(store: Store, message_id: int) -> None:
    [decision] = store.begin_delivery([message_id], lease_s=60)
    store.finish_delivery([DeliveryOutcome(message_id, Result.ACKED, decision.attempts + 1, "insert")])


def dead(store: Store, i: int, revision: int = 0, **how: str) -> int:
    """Synthetic dossier ``i`` at ``revision``, stored and dead; its ledger id."""
    [stored] = store.ingest(None, [message_of(igate_record(i, revision=revision))], [])
    kill(store, stored.message_id, **how)
    return stored.message_id
