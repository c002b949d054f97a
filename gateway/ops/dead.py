"""Dead letters as an operator sees them: one line each in a listing, the whole story of one.

For ``dvcgw dead list`` and ``dvcgw dead show``. A dead message is one the gateway gave up on: the
portal refused it for good, its attempts were spent, or workers kept dying on it. The store keeps
it whole (reason, every attempt, the packet, the original record's bytes, where the record came
from), and this module puts that into words and JSON. The packet and the original bytes hold
personal data: they are for the operator who asked, never for a log.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.ops.times import shown
from gateway.store import AttemptRow, DeadLetterRow, MessageRow, MessageState, Store


def listing_json(row: DeadLetterRow) -> dict[str, Any]:
    """One dead message as an object of ``dvcgw dead list --json``."""
    return {
        "id": row.id,
        "MaHoSo": row.ma_ho_so,
        "revision": row.revision,
        "source": row.source,
        "error_class": row.error_class,
        "reason": row.reason,
        "attempts": row.attempts,
        "dead_at": shown(row.dead_at),
        "source_file": row.source_file,
        "record_index": row.record_index,
    }


def listing_line(row: DeadLetterRow) -> str:
    """One dead message as a line of ``dvcgw dead list``: id, when, dossier, revision, source, error
    class, attempts, then the reason (last, since it is the longest)."""
    attempts = f"{row.attempts} attempt{'s' if row.attempts != 1 else ''}"
    return (
        f"#{row.id}  {shown(row.dead_at)}  {row.ma_ho_so}  rev {row.revision}  {row.source}  "
        f"{row.error_class or '-'}  {attempts}  {row.reason or '(no reason recorded)'}"
    )


def attempt_json(attempt: AttemptRow) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "at": shown(attempt.at),
        "operation": attempt.operation,
        "outcome": attempt.outcome.value,
        "error_class": attempt.error_class,
        "error": attempt.error,
        "worker": attempt.worker,
    }


def attempt_line(attempt: AttemptRow, *, when: bool = True) -> str:
    """``attempt 1  <when>  insert  dead  PortalRefused: <error>`` (``when`` False: without the time)."""
    error = f"  {attempt.error_class or ''}: {attempt.error}" if attempt.error else ""
    at = f"  {shown(attempt.at)}" if when else ""
    return f"attempt {attempt.attempt}{at}  {attempt.operation or '-'}  {attempt.outcome}{error}"


def decoded(raw: bytes) -> tuple[str, bool]:
    """The original record's bytes as text: UTF-8, with U+FFFD for what is not; and whether any was.

    Sources in Windows-1258 or legacy encodings keep their own bytes in the store, so their accented
    letters show as replacement characters here; the bytes themselves are untouched.
    """
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def packet_document(packet: bytes) -> Any:
    """The stored packet as JSON data (it is stored as the packet's JSON rendering)."""
    return orjson.loads(packet)


@dataclass(frozen=True)
class DeadLetter:
    """One dead message with every attempt made to deliver it."""

    message: MessageRow
    attempts: list[AttemptRow]

    def to_json(self) -> dict[str, Any]:
        """``dvcgw dead show --json``: the listing's keys, then where it came from, the attempts, the
        packet, and the original record (as text, and as base64 since the text may be lossy)."""
        m = self.message
        text, replaced = decoded(m.raw)
        return {
            "id": m.id,
            "MaHoSo": m.ma_ho_so,
            "revision": m.revision,
            "source": m.source,
            "error_class": m.last_error_class,
            "reason": m.last_error,
            "attempts": m.attempts,
            "dead_at": shown(m.dead_at),
            "received_at": shown(m.received_at),
            "mapping": m.mapping,
            "mapping_hash": m.mapping_hash,
            "content_hash": m.content_hash,
            "source_file": m.source_file,
            "record_index": m.record_index,
            "record_line": m.record_line,
            "attempt_log": [attempt_json(a) for a in self.attempts],
            "packet": packet_document(m.packet),
            "original": {
                "text": text,
                "replaced": replaced,
                "base64": base64.b64encode(m.raw).decode("ascii"),
            },
        }

    def lines(self) -> list[str]:
        """``dvcgw dead show``: the facts, every attempt, the packet (pretty JSON), the original record."""
        m = self.message
        where = f"record {m.record_index}" + (f", line {m.record_line}" if m.record_line is not None else "")
        out = [
            f"Dead message #{m.id}",
            f"  dossier      {m.ma_ho_so}, revision {m.revision}",
            f"  source       {m.source} (mapping {m.mapping}, {m.mapping_hash[:12]})",
            f"  from         {m.source_file}, {where}",
            f"  received     {shown(m.received_at)}",
            f"  dead since   {shown(m.dead_at)}, after {m.attempts} attempt{'s' if m.attempts != 1 else ''}",
            f"  error class  {m.last_error_class or '-'}",
            f"  reason       {m.last_error or '(no reason recorded)'}",
            "",
            f"Attempts ({len(self.attempts)}):",
        ]
        out += [f"  {attempt_line(a)}" for a in self.attempts] or ["  (none recorded)"]
        out += ["", "Packet:"]
        out += orjson.dumps(packet_document(m.packet), option=orjson.OPT_INDENT_2).decode().splitlines()
        text, replaced = decoded(m.raw)
        note = (
            " (not valid UTF-8: shown decoded with U+FFFD replacement characters;"
            " --json has the exact bytes in base64)"
            if replaced
            else ""
        )
        out += ["", f"Original record ({len(m.raw)} bytes){note}:", text]
        return out


def dead_letter(store: Store, message_id: int) -> DeadLetter | None:
    """The dead message ``message_id`` with its attempts; None if there is no such dead message."""
    message = store.message(message_id)
    if message is None or message.state is not MessageState.DEAD:
        return None
    return DeadLetter(message, store.attempts_of(message_id))
