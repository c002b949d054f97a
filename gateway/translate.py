"""Translation: one provincial export file → validated national packets, or rejections.

This is the path adapter → mapping → packet → schema check for one source. Each record ends as
exactly one of ``Translated`` (a packet valid against the national schemas) or ``Rejection``
(every reason it cannot be sent, where it came from, and its original bytes). Nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.adapters import make_adapter
from gateway.adapters.base import Adapter, BadRecord, Provenance, SourceRecord
from gateway.errors import InputError, Location
from gateway.mapping import SourceMapping
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.rules import Problem
from gateway.packets import DossierPacket, PacketMeta, SchemaSet
from gateway.packets.render import to_json


@dataclass(frozen=True)
class Translated:
    """A record that became a schema-valid packet; ``notes`` say what a rule changed (truncation)."""

    packet: DossierPacket
    notes: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Rejection:
    """A record that cannot become a packet: every problem found, with its provenance and bytes."""

    provenance: Provenance
    ma_ho_so: str | None
    problems: tuple[Problem, ...]
    raw: bytes

    def location(self, problem: Problem) -> Location:
        return Location(
            source=self.provenance.source,
            file=self.provenance.file,
            record=self.provenance.index,
            line=self.provenance.line,
            field=problem.field if not problem.source else f"{problem.field} (from {problem.source})",
            ma_ho_so=self.ma_ho_so,
        )

    def lines(self) -> list[str]:
        """One line per problem: file, record, line, dossier code, field, reason."""
        return [f"{self.location(p).describe()}: {p.reason}" for p in self.problems]


Outcome = Translated | Rejection


@dataclass(frozen=True)
class FileFailure:
    """The file could not be read on from here: every outcome before it stands, nothing after it
    was read. ``error`` says where and why; ``after`` counts the records read before it."""

    error: InputError
    after: int


class Translator:
    """Translates files of one source with one compiled mapping; build once, reuse."""

    def __init__(
        self,
        mapping: SourceMapping,
        schemas: SchemaSet,
        *,
        future_skew: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tracker: CoverageTracker | None = None,
    ) -> None:
        self.mapping = mapping
        self.schemas = schemas
        self.adapter: Adapter = make_adapter(mapping.name, mapping.source)
        self.future_skew = future_skew
        self.clock = clock
        self.tracker = tracker

    def translate_file(self, path: Path) -> Iterator[Outcome]:
        """Every record of the file at ``path``; raises ``InputError`` if the file is unusable."""
        now = self.clock()
        for item in self.adapter.read(path):
            yield self._one(item, now)

    def translate_bytes(self, data: bytes, file: str) -> Iterator[Outcome]:
        now = self.clock()
        for item in self.adapter.read_bytes(data, file):
            yield self._one(item, now)

    def outcomes(self, path: Path) -> Iterator[Outcome | FileFailure]:
        """Every record of the file as an outcome, for long-running intake: never raises.

        A record whose translation fails unexpectedly (a defect, not a bad record) becomes a
        rejection naming the error, so one record can never stop the others; a file that cannot be
        read on ends the stream with one ``FileFailure``.
        """
        now = self.clock()
        count = 0
        records = self.adapter.read(path)
        while True:
            try:
                item = next(records)
            except StopIteration:
                return
            except InputError as exc:
                yield FileFailure(exc, count)
                return
            except Exception as exc:  # a defect of an adapter: report it, keep what was read
                where = Location(self.mapping.name, str(path), record=count)
                yield FileFailure(InputError(where, f"cannot read on: internal error {exc!r}"), count)
                return
            count += 1
            try:
                yield self._one(item, now)
            except Exception as exc:  # a defect of the mapping: the record is kept and explained
                reason = f"internal error while translating this record: {type(exc).__name__}: {exc}"
                yield Rejection(item.provenance, None, (Problem("record", None, reason),), item.raw)

    def _one(self, item: SourceRecord | BadRecord, now: datetime) -> Outcome:
        if isinstance(item, BadRecord):
            problem = Problem(item.field or "record", None, item.reason)
            return Rejection(item.provenance, None, (problem,), item.raw)
        return self.translate_record(item, now)

    def translate_record(self, record: SourceRecord, now: datetime | None = None) -> Outcome:
        """Map one record, build its packet, check it against the JSON Schema."""
        mapped = self.mapping.map(
            record.tree, now=now or self.clock(), future_skew=self.future_skew, tracker=self.tracker
        )
        code = mapped.dossier.get("MaHoSo") or None
        if mapped.problems or mapped.revision is None:
            return Rejection(record.provenance, code, tuple(mapped.problems), record.raw)
        meta = PacketMeta(
            source=record.provenance.source,
            mapping=self.mapping.name,
            mapping_hash=self.mapping.sha256,
            revision=mapped.revision,
            source_file=record.provenance.file,
            record_index=record.provenance.index,
        )
        packet = DossierPacket.build(
            meta, mapped.dossier, mapped.history, self.schemas.layout, already_complete=True
        )
        violations = self.schemas.json_violations(to_json(packet))
        if violations:
            problems = tuple(Problem(v.path.removeprefix("$."), None, v.message) for v in violations)
            return Rejection(record.provenance, code, problems, record.raw)
        return Translated(packet, tuple(mapped.notes), record.raw)
