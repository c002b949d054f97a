"""Translation: one provincial export file → validated national packets, or rejections.

This is the path adapter → mapping → packet → schema check for one source. Each record ends as
exactly one of ``Translated`` (a packet valid against the national schemas) or ``Rejection``
(every reason it cannot be sent, where it came from, and its original bytes). Nothing is dropped.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import structlog

from gateway.adapters import make_adapter
from gateway.adapters.base import Adapter, BadRecord, Provenance, SourceRecord
from gateway.errors import InputError, Location
from gateway.mapping import SourceMapping
from gateway.mapping.coverage import CoverageTracker
from gateway.mapping.rules import Problem
from gateway.packets import DossierPacket, PacketMeta, SchemaSet
from gateway.packets.render import to_json

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Translated:
    """A record that became a schema-valid packet; ``notes`` say what a rule changed (truncation)."""

    packet: DossierPacket
    notes: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Rejection:
    """A record that cannot become a packet: every problem found, with its provenance and bytes.

    ``internal`` marks a record the gateway failed on (a defect, not a fault of the record): it
    is kept and explained like any rejection, and the defect is logged for a bug report.
    """

    provenance: Provenance
    ma_ho_so: str | None
    problems: tuple[Problem, ...]
    raw: bytes
    internal: bool = False
    record_id: str | None = None
    """The vendor's own id of the record (the mapping's ``record_id:``), when it has one."""

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
        """One line per problem: file, record (and the vendor's id), line, dossier code, field,
        reason."""
        return [f"{self.where(p)}: {p.reason}" for p in self.problems]

    def where(self, problem: Problem) -> str:
        """The location of ``problem`` in words, the vendor's record id after the record index."""
        where = self.location(problem).describe()
        if self.record_id is None:
            return where
        record = f"record {self.provenance.index}"
        return where.replace(record, f"{record} (id {self.record_id})", 1)


Outcome = Translated | Rejection


@dataclass(frozen=True)
class FileFailure:
    """The file could not be read on from here: every outcome before it stands, nothing after it
    was read. ``error`` says where and why; ``after`` counts the records read before it;
    ``internal`` marks a defect of the reader rather than a fault of the file."""

    error: InputError
    after: int
    internal: bool = False


NO_RECORDS = "no records found in the file"


def _defect(exc: BaseException) -> str:
    """Where a defect was raised, for the log: ``module.py:123``, no values (they may be personal)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


class Translator:
    """Translates files of one source with one compiled mapping; build once, reuse.

    Every record read ends as one outcome, whatever its shape: a ``Translated`` packet or a
    ``Rejection``; even a defect of the gateway on one record becomes a rejection of that record
    (marked ``internal``), never an exception that stops the file. A file that cannot be read, or
    in which no record is found, is an ``InputError`` (``FileFailure`` from ``outcomes``).
    """

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
        return self._stream(self.adapter.read(path), str(path))

    def translate_bytes(self, data: bytes, file: str) -> Iterator[Outcome]:
        """Every record of a file's content; ``file`` names it. Raises ``InputError`` as above."""
        return self._stream(self.adapter.read_bytes(data, file), file)

    def outcomes(self, path: Path) -> Iterator[Outcome | FileFailure]:
        """Every record of the file as an outcome, for long-running intake: never raises.

        A record whose translation fails unexpectedly (a defect, not a bad record) becomes a
        rejection naming the error, so one record can never stop the others; a file that cannot be
        read on ends the stream with one ``FileFailure``. The file is read a block at a time.
        """
        return self._guarded(self.adapter.read(path), str(path))

    def stream_outcomes(self, stream: BinaryIO, file: str) -> Iterator[Outcome | FileFailure]:
        """``outcomes`` for a file already open (standard input, a pipe); ``file`` names it."""
        return self._guarded(self.adapter.read_stream(stream, file), file)

    def _guarded(
        self, records: Iterator[SourceRecord | BadRecord], file: str
    ) -> Iterator[Outcome | FileFailure]:
        count = 0
        stream = self._stream(records, file)
        while True:
            try:
                outcome = next(stream)
            except StopIteration:
                return
            except InputError as exc:
                yield FileFailure(exc, count)
                return
            except Exception as exc:  # a defect of an adapter: report it, keep what was read
                log.error(
                    "adapter defect",
                    source=self.mapping.name,
                    file=file,
                    error=type(exc).__name__,
                    at=_defect(exc),
                )
                where = Location(self.mapping.name, file, record=count)
                error = InputError(where, f"cannot read on: internal error {type(exc).__name__}: {exc}")
                yield FileFailure(error, count, internal=True)
                return
            count += 1
            yield outcome

    def _stream(self, records: Iterator[SourceRecord | BadRecord], file: str) -> Iterator[Outcome]:
        """The one loop: each record read becomes exactly one outcome; no record at all is an
        ``InputError`` (a file that yields nothing must never pass for an empty export)."""
        now = self.clock()
        count = 0
        for item in records:
            count += 1
            yield self._one(item, now)
        if count == 0:
            raise InputError(Location(self.mapping.name, file), NO_RECORDS)

    def _one(self, item: SourceRecord | BadRecord, now: datetime) -> Outcome:
        if isinstance(item, BadRecord):
            problem = Problem(item.field or "record", None, item.reason)
            code = record_id = None
            if item.readable is not None:  # what could be read names the record, when it can
                code = self.mapping.dossier_code_of(item.readable)
                record_id = self.mapping.record_id_of(item.readable)
                if record_id is not None and not record_id.isprintable():
                    record_id = None  # unchecked text (a lone surrogate): not for a message
            return Rejection(item.provenance, code, (problem,), item.raw, record_id=record_id)
        try:
            return self.translate_record(item, now)
        except Exception as exc:  # a defect of the mapping: the record is kept and explained
            where = item.provenance
            log.error(
                "translation defect",
                source=where.source,
                file=where.file,
                record=where.index,
                error=type(exc).__name__,
                at=_defect(exc),
            )
            reason = f"internal error while translating this record: {type(exc).__name__}: {exc}"
            return Rejection(where, None, (Problem("record", None, reason),), item.raw, internal=True)

    def translate_record(self, record: SourceRecord, now: datetime | None = None) -> Outcome:
        """Map one record, build its packet, check it against the JSON Schema."""
        mapped = self.mapping.map(
            record.tree, now=now or self.clock(), future_skew=self.future_skew, tracker=self.tracker
        )
        code = mapped.dossier.get("MaHoSo") or None
        if mapped.problems or mapped.revision is None:
            return Rejection(
                record.provenance,
                code,
                tuple(mapped.problems),
                record.raw,
                record_id=self.mapping.record_id_of(record.tree),
            )
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
            problems = tuple(
                Problem(field, self.mapping.source_of(field), v.message)
                for v in violations
                for field in [v.path.removeprefix("$.")]
            )
            return Rejection(
                record.provenance,
                code,
                problems,
                record.raw,
                record_id=self.mapping.record_id_of(record.tree),
            )
        return Translated(packet, tuple(mapped.notes), record.raw)
