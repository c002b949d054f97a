"""``DossierPacket``: one revision of one national dossier record, with its processing history.

The packet is what every later stage carries: the store keeps it, the broker moves it, the portal
client sends its ``dossier`` (a ``DongBoHoSoMC`` item) and its ``history`` (``CapNhatTienDoHoSoMC``
items). Records are held complete: every field of the schema is present, an empty string where
there is no value and an empty list where nothing repeats, so that two equal dossiers are equal
dicts and hash alike whatever rendering or key order they came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson

from gateway.packets.layout import Layout
from gateway.packets.schemas import default_layout

Record = dict[str, Any]

DOSSIER_TYPE = "HoSo"
HISTORY_TYPE = "BuocXuLy"


@dataclass(frozen=True)
class PacketMeta:
    """Where a packet came from and what produced it."""

    source: str
    mapping: str
    mapping_hash: str
    revision: str
    source_file: str
    record_index: int


@dataclass(frozen=True)
class DossierPacket:
    """A complete national record plus history, its provenance and its content hash."""

    meta: PacketMeta
    dossier: Record
    history: tuple[Record, ...]
    content_hash: str

    @property
    def ma_ho_so(self) -> str:
        return str(self.dossier.get("MaHoSo", ""))

    @classmethod
    def build(
        cls,
        meta: PacketMeta,
        dossier: Mapping[str, Any],
        history: Sequence[Mapping[str, Any]] = (),
        layout: Layout | None = None,
        *,
        already_complete: bool = False,
    ) -> DossierPacket:
        """Complete the records against the schema layout and compute the content hash.

        ``already_complete`` skips the completion for records that are complete by construction
        (what a mapping produces); anything else must be completed.
        """
        if already_complete:
            # The caller hands over fresh records (a mapping's output): no copy needed.
            full, steps = cast(Record, dossier), tuple(cast(Record, step) for step in history)
        else:
            layout = layout or default_layout()
            full = complete(dossier, DOSSIER_TYPE, layout)
            steps = tuple(complete(step, HISTORY_TYPE, layout) for step in history)
        return cls(meta=meta, dossier=full, history=steps, content_hash=content_hash(full, steps))


def complete(record: Mapping[str, Any], type_name: str, layout: Layout) -> Record:
    """Return ``record`` with every schema field present, in schema order.

    Missing or ``None`` scalars become ``""``, missing lists ``[]``. Keys the schema does not know
    are kept (at the end) so that validation reports them rather than this function hiding them.
    """
    out: Record = {}
    for spec in layout.fields(type_name):
        value = record.get(spec.name)
        if spec.repeated:
            items = value if isinstance(value, list) else ([] if value is None else [value])
            if spec.record:
                items = [
                    complete(i, spec.type_name, layout) if isinstance(i, dict | Mapping) else i for i in items
                ]
            out[spec.name] = items
        elif spec.record and isinstance(value, dict | Mapping):
            out[spec.name] = complete(value, spec.type_name, layout)
        elif value is None:
            out[spec.name] = "" if not spec.integer else None
        else:
            out[spec.name] = value
    for key, value in record.items():
        if key not in out:
            out[key] = value
    return out


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of one complete national record's canonical JSON (sorted keys, UTF-8).

    This is the hash the portal simulator reports for a stored dossier, so that reconciliation can
    compare the portal's record with the packet the gateway sent without fetching every field.
    """
    return hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()


def content_hash(dossier: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the dossier and its history (sorted keys, UTF-8, whole
    numbers only: ``SchemaSet`` refuses a fraction).

    Text is hashed as the packet holds it, not normalised here: the adapters hand every string to
    the mappings in Unicode NFC, so a dossier exported in NFD and in NFC hashes alike (fixture
    cases ``08-nfd-text-becomes-nfc`` of igate-json, ``03-nfd-text-becomes-nfc`` of legacy-csv).

    Provenance (file, record index, mapping) is left out on purpose: the same dossier content read
    from two files is the same content, which is what idempotent intake needs.
    """
    canonical = orjson.dumps({"HoSo": dossier, "QuaTrinhXuLy": list(history)}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
