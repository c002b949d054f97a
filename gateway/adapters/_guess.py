"""Choosing a file's encoding from the mapping's list (``encoding: [utf-8-sig, cp1258]``).

Provinces hold old and new exports side by side: the same columns, some files Windows-1258, the
newer ones UTF-8. A mapping may list the encodings its files come in; each file is read in the
first one that decodes the whole file. Windows-1258 decodes nearly any bytes, so it goes last,
and one more rule keeps a UTF-8 file with a stray bad byte from being read as Windows-1258 (every
letter garbled): a UTF-8 encoding that decoded Vietnamese letters (bytes beyond ASCII) before
meeting the bad byte keeps the file, and only the rows holding bad bytes are rejected, as with a
single encoding. A Windows-1258 file fails UTF-8 at its first letter beyond ASCII.

A file none of the encodings decodes whole is read in the first, its undecodable rows rejected.
Memory stays flat: the file is scanned a block at a time; standard input is first copied to a
temporary file (under the size cap), since it can be read only once.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

from gateway.adapters._files import BLOCK_BYTES, too_big
from gateway.adapters.encodings import codec_for
from gateway.errors import InputError, Location

_UTF8 = frozenset({"utf-8", "utf-8-sig"})


@contextmanager
def seekable(stream: BinaryIO, where: Location, max_bytes: int) -> Iterator[BinaryIO]:
    """``stream`` itself when it can be read twice, otherwise a temporary copy of it."""
    try:
        if stream.seekable():
            yield stream
            return
    except (OSError, ValueError):
        pass
    with tempfile.TemporaryFile() as copy:
        total = 0
        while True:
            try:
                chunk = stream.read(BLOCK_BYTES)
            except OSError as exc:
                raise InputError(where, f"cannot read the file: {exc.strerror or exc}") from exc
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise InputError(where, too_big(total, max_bytes))
            copy.write(chunk)
        copy.seek(0)
        yield copy


def choose_encoding(stream: BinaryIO, labels: Sequence[str]) -> str:
    """The first of ``labels`` that reads the file (see the module's note); the stream is left
    where it was."""
    start = stream.tell()
    try:
        for label in labels:
            stream.seek(start)
            if _reads(stream, codec_for(label)):
                return label
        return labels[0]
    finally:
        stream.seek(start)


def _reads(stream: BinaryIO, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    beyond_ascii = False
    while True:
        block = stream.read(BLOCK_BYTES)
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            # Letters beyond ASCII read as UTF-8 before the bad byte: a UTF-8 file, one bad row.
            return codec in _UTF8 and (beyond_ascii or not block[: max(exc.start, 0)].isascii())
        if not block:
            return True
        beyond_ascii = beyond_ascii or not block.isascii()
