"""The content hash is the same for a dossier exported in Unicode NFD and in NFC: the adapters hand
the mappings NFC text, and the hash is taken over what the mapping made of it."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from gateway.mapping.spec import load_mapping
from gateway.packets import SchemaSet
from gateway.translate import Translated, Translator

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "igate-json" / "08-nfd-text-becomes-nfc"


def _hashes(translator: Translator, data: bytes) -> list[str]:
    outcomes = list(translator.translate_bytes(data, "export.ndjson"))
    assert outcomes
    assert all(isinstance(o, Translated) for o in outcomes)
    return [o.packet.content_hash for o in outcomes if isinstance(o, Translated)]


def test_nfd_and_nfc_exports_of_one_dossier_hash_alike(schemas: SchemaSet) -> None:
    mapping = load_mapping(Path(__file__).resolve().parents[2] / "mappings" / "igate-json.yaml")
    translator = Translator(mapping, schemas)
    text = (FIXTURE / "input.ndjson").read_text(encoding="utf-8")
    nfd = unicodedata.normalize("NFD", text).encode()
    nfc = unicodedata.normalize("NFC", text).encode()
    assert nfd != nfc  # the fixture holds text whose two forms differ
    assert _hashes(translator, nfd) == _hashes(translator, nfc)
