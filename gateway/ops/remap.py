"""Re-translating a dead message's original record with today's mapping, for ``dvcgw replay --remap``.

When the portal refused a packet because the mapping was wrong (a code table entry missing, a field
read from the wrong place) and the mapping has since been fixed, the stored original record is
translated again with the mapping as it is now, and the operator sees the field diff against the
packet that died. A real run sends the new packet instead (``Store.replay`` with a replacement: a
new ledger row, same dossier and revision; the dead one is kept and superseded, so the ledger still
shows what was sent and refused).

Where the record is read from:

* a JSON record's bytes are a record on their own: they are translated alone;
* a CSV row needs its file's header, and an XML record its document (root element, root
  attributes, encoding): the archived file (``source_file``) is read again and the record at
  ``record_index`` is taken, after checking that its bytes are still the stored ones.

A record that no longer translates, that now reads as another dossier or another revision, or
whose file is gone, is not remapped, and the reason says which.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.errors import InputError
from gateway.packets import DossierPacket
from gateway.packets.render import to_json, to_json_bytes
from gateway.store import MessageRow, NewMessage
from gateway.translate import Outcome, Rejection, Translated, Translator

_ABSENT = object()


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between the dead packet and the re-translated one."""

    path: str
    old: Any
    new: Any

    def line(self) -> str:
        """``HoSo.TrangThaiHoSo: "1" → "2"`` (``(absent)`` for a field on one side only)."""
        return f"{self.path}: {_shown(self.old)} → {_shown(self.new)}"


def _shown(value: Any) -> str:
    return "(absent)" if value is _ABSENT else orjson.dumps(value).decode()


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    """Every leaf that differs between two JSON documents, by path (``a.b``, ``a[0].b``), in order."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            where = f"{path}.{key}" if path else str(key)
            changes += field_changes(old.get(key, _ABSENT), new.get(key, _ABSENT), where)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            left = old[index] if index < len(old) else _ABSENT
            right = new[index] if index < len(new) else _ABSENT
            changes += field_changes(left, right, f"{path}[{index}]")
        return changes
    return [] if old == new else [FieldChange(path, old, new)]


@dataclass(frozen=True)
class Remapped:
    """A dead message re-translated: ``replacement`` is the message to send in its place, None when
    today's mapping gives the same content (the dead message is replayed as it is)."""

    message_id: int
    replacement: NewMessage | None
    changes: list[FieldChange]
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """What today's mapping changes: a heading, then one line per field, then the rules' notes."""
        if self.replacement is None:
            head = f"remap   #{self.message_id}: today's mapping gives the same content"
        else:
            head = f"remap   #{self.message_id}: {len(self.changes)} field(s) change"
        return [head, *(f"    {c.line()}" for c in self.changes), *(f"    note: {n}" for n in self.notes)]


@dataclass(frozen=True)
class NotRemapped:
    """A dead message that could not be re-translated, and why."""

    message_id: int
    reason: str

    def lines(self) -> list[str]:
        return [f"cannot remap #{self.message_id}: {self.reason}"]


Remap = Remapped | NotRemapped


class Remapper:
    """Re-translates dead messages; ``translator_for(source)`` gives the source's translator built
    from today's mapping, or None when no mapping of that name exists any more."""

    def __init__(self, translator_for: Callable[[str], Translator | None]) -> None:
        self._translator_for = translator_for

    def remap(self, messages: Sequence[MessageRow]) -> Iterator[Remap]:
        """One outcome per message; messages of one file are read from it once (in file order)."""
        by_file: dict[tuple[str, str], list[MessageRow]] = {}
        for message in messages:
            by_file.setdefault((message.source, message.source_file), []).append(message)
        for (source, file), group in by_file.items():
            translator = self._translator_for(source)
            if translator is None:
                for message in group:
                    yield NotRemapped(message.id, f"there is no mapping named {source!r} any more")
                continue
            yield from self._remap_file(translator, file, group)

    def _remap_file(self, translator: Translator, file: str, group: list[MessageRow]) -> Iterator[Remap]:
        if translator.mapping.source.kind == "json":
            for message in group:
                yield self._judge(message, _alone(translator, message))
            return
        found = _from_file(translator, file, {m.record_index for m in group})
        for message in group:
            outcome = found.get(message.record_index)
            if isinstance(outcome, str):
                yield NotRemapped(message.id, outcome)
            elif outcome is None:
                yield NotRemapped(message.id, f"{file} no longer holds record {message.record_index}")
            elif outcome.raw != message.raw:
                yield NotRemapped(
                    message.id, f"record {message.record_index} of {file} is not the stored record any more"
                )
            else:
                yield self._judge(message, outcome)

    def _judge(self, message: MessageRow, outcome: Outcome | str) -> Remap:
        if isinstance(outcome, str):
            return NotRemapped(message.id, outcome)
        if isinstance(outcome, Rejection):
            reasons = "; ".join(f"{p.field}: {p.reason}" for p in outcome.problems)
            return NotRemapped(message.id, f"the record no longer translates: {reasons}")
        dead = orjson.loads(message.packet)
        packet = _placed(outcome.packet, dead.get("Meta", {}), message)
        if packet.ma_ho_so != message.ma_ho_so:
            return NotRemapped(
                message.id,
                f"today's mapping reads dossier {packet.ma_ho_so!r} from this record, not "
                f"{message.ma_ho_so!r}: drop the export file in the inbox again to ingest it as that dossier",
            )
        if packet.meta.revision != message.revision:
            return NotRemapped(
                message.id,
                f"today's mapping gives revision {packet.meta.revision}, not {message.revision}: "
                "drop the export file in the inbox again to ingest it as that revision",
            )
        changes = field_changes(dead, to_json(packet))
        if packet.content_hash == message.content_hash:
            return Remapped(message.id, None, changes, outcome.notes)
        return Remapped(message.id, _message(packet, message), changes, outcome.notes)


def _alone(translator: Translator, message: MessageRow) -> Outcome | str:
    """A JSON record's bytes, translated on their own."""
    try:
        outcomes = list(translator.translate_bytes(message.raw, message.source_file))
    except InputError as exc:
        return f"the stored record cannot be read: {exc.reason}"
    if len(outcomes) != 1:
        return f"the stored record reads as {len(outcomes)} records"
    return outcomes[0]


def _from_file(translator: Translator, file: str, wanted: set[int]) -> dict[int, Outcome | str]:
    """The outcomes of the records ``wanted`` (by index) of the archived ``file``; a string for all of
    them when the file cannot be read."""
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        kind = translator.mapping.source.kind.upper()
        reason = (
            f"a {kind} record is read within its file, and the archived file {file} cannot be read "
            f"({exc.strerror})"
        )
        return dict.fromkeys(wanted, reason)
    found: dict[int, Outcome | str] = {}
    try:
        for outcome in _indexed(translator.translate_bytes(data, file)):
            index, result = outcome
            if index in wanted:
                found[index] = result
    except InputError as exc:
        for index in wanted - set(found):
            found[index] = f"the archived file {file} cannot be read: {exc.reason}"
    return found


def _indexed(outcomes: Iterable[Outcome]) -> Iterator[tuple[int, Outcome]]:
    for outcome in outcomes:
        if isinstance(outcome, Translated):
            yield outcome.packet.meta.record_index, outcome
        else:
            yield outcome.provenance.index, outcome


def _placed(packet: DossierPacket, dead_meta: dict[str, Any], message: MessageRow) -> DossierPacket:
    """The packet with the dead packet's provenance (a record translated alone is record 0 of
    nothing), so that the diff shows what the mapping changed; provenance is not content, so the
    content hash stays."""
    meta = dataclasses.replace(
        packet.meta,
        source_file=str(dead_meta.get("SourceFile", message.source_file)),
        record_index=message.record_index,
    )
    return dataclasses.replace(packet, meta=meta)


def _message(packet: DossierPacket, dead: MessageRow) -> NewMessage:
    """The message that replaces ``dead``, as the intake would have stored the packet."""
    return NewMessage(
        ma_ho_so=packet.ma_ho_so,
        revision=packet.meta.revision,
        content_hash=packet.content_hash,
        status=str(packet.dossier.get("TrangThaiHoSo", "")),
        source=packet.meta.source,
        mapping=packet.meta.mapping,
        mapping_hash=packet.meta.mapping_hash,
        packet=to_json_bytes(packet),
        source_file=dead.source_file,
        record_index=dead.record_index,
        record_line=dead.record_line,
        raw=dead.raw,
    )
