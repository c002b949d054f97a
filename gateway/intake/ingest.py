"""One export file into the message store: every good record a message, every bad one a rejection.

The file is translated record by record (``Translator.outcomes``, which never raises) and written to
the store in one transaction (a file is at most its mapping's ``max_file_mb``, so this is bounded).
Then the file moves to ``archive/<source>/``, or to ``rejected/<source>/`` when nothing in it could
be used. Nothing is published here: the outbox relay publishes what the store holds, so a crash at
any point loses nothing, and re-ingesting the file (it is taken again from ``processing/`` at
start-up) only finds duplicates.

A file error in the middle of a file (the JSON adapter can fail after yielding records): the records
read before it are stored and delivered, the file is archived with ``<name>.errors.json`` beside it
and a rejected input names the error; nothing after the error point could be read, so the error
says the file must be corrected and dropped again (its records already stored are then duplicates,
and only the new ones travel).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from gateway.intake.inbox import Inbox, InboxFile, file_sha256
from gateway.observe import metrics
from gateway.packets.render import to_json_bytes
from gateway.store import NewFile, NewMessage, NewRejection, Store
from gateway.translate import FileFailure, Rejection, Translated, Translator

log = structlog.get_logger(__name__)

MAX_PROBLEM_LINES = 200


@dataclass
class FileReport:
    """What became of one file."""

    source: str
    name: str
    path: Path | None = None
    records: int = 0
    packets: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per rejected record (the first ``MAX_PROBLEM_LINES``), for the command line."""
    outcome: str = "archived"

    @property
    def stored(self) -> int:
        """New messages (packets that were not duplicates)."""
        return self.packets - self.duplicates


class Ingester:
    """Ingests files of the sources it has a translator for; one per process, used by one thread."""

    def __init__(self, store: Store, inbox: Inbox, translators: Mapping[str, Translator]) -> None:
        self.store = store
        self.inbox = inbox
        self.translators = translators

    def ingest(self, file: InboxFile) -> FileReport:
        translator = self.translators[file.source]
        sha, size = file_sha256(file.path)
        stamped = self.inbox.stamped_name(file, sha)
        archived = self.inbox.folder("archive", file.source) / stamped
        report = FileReport(file.source, file.name)
        messages: list[NewMessage] = []
        rejections: list[NewRejection] = []
        for outcome in translator.outcomes(file.path):
            if isinstance(outcome, Translated):
                report.records += 1
                report.packets += 1
                messages.append(_message(outcome, str(archived)))
            elif isinstance(outcome, Rejection):
                report.records += 1
                report.rejected += 1
                rejections.append(_rejection(outcome, stamped))
                if len(report.problems) < MAX_PROBLEM_LINES:
                    report.problems += [
                        f"{dataclasses.replace(outcome.location(p), file=file.name).describe()}: {p.reason}"
                        for p in outcome.problems
                    ]
            elif isinstance(outcome, FileFailure):
                reason = outcome.error.reason
                if outcome.after:
                    reason += f" (after record {outcome.after}; the records before it were kept)"
                report.errors.append(reason)
                rejections.append(NewRejection(file.source, stamped, None, None, None, (reason,), b""))
        if report.records == 0 and not report.errors:
            reason = "no records found in the file"
            report.errors.append(reason)
            rejections.append(NewRejection(file.source, stamped, None, None, None, (reason,), b""))
        report.outcome = "rejected" if report.packets == 0 else ("partial" if report.errors else "archived")
        kind = "rejected" if report.outcome == "rejected" else "archive"
        new_file = NewFile(
            file.source, file.name, str(self.inbox.folder(kind, file.source) / stamped), sha, size
        )
        results = self.store.ingest(new_file, messages, rejections, outcome=report.outcome)
        report.duplicates = sum(1 for r in results if r.duplicate)
        report.path = self.inbox.finish(file, stamped, kind=kind, errors=report.errors)
        metrics.RECORDS_INGESTED.labels(file.source).inc(report.stored)
        metrics.RECORDS_DUPLICATE.labels(file.source).inc(report.duplicates)
        metrics.RECORDS_REJECTED.labels(file.source).inc(report.rejected)
        metrics.FILES.labels(file.source, report.outcome).inc()
        log.info(
            "file ingested",
            source=file.source,
            file=file.name,
            records=report.records,
            stored=report.stored,
            duplicates=report.duplicates,
            rejected=report.rejected,
            outcome=report.outcome,
        )
        return report


def _message(outcome: Translated, source_file: str) -> NewMessage:
    packet = outcome.packet
    return NewMessage(
        ma_ho_so=packet.ma_ho_so,
        revision=packet.meta.revision,
        content_hash=packet.content_hash,
        status=str(packet.dossier.get("TrangThaiHoSo", "")),
        source=packet.meta.source,
        mapping=packet.meta.mapping,
        mapping_hash=packet.meta.mapping_hash,
        packet=to_json_bytes(packet),
        source_file=source_file,
        record_index=packet.meta.record_index,
        record_line=None,
        raw=outcome.raw,
    )


def _rejection(outcome: Rejection, file: str) -> NewRejection:
    return NewRejection(
        source=outcome.provenance.source,
        file=file,
        record_index=outcome.provenance.index,
        record_line=outcome.provenance.line,
        ma_ho_so=outcome.ma_ho_so,
        reasons=tuple(str(p) for p in outcome.problems),
        raw=outcome.raw,
    )
