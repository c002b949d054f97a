"""The text of a motcua-xml document, a block at a time, as libxml2 is handed it.

Private machinery of ``xml_records``. The prolog may declare UTF-8 or windows-1258 and nothing
else (``gateway.adapters.encodings``: Python's registry also "decodes" ``rot13``, ``base64`` or
``utf-7``); a UTF-8 byte-order mark before a prolog declaring another encoding is refused.
Windows-1258 is decoded here, by Python's codec, and libxml2 is always handed UTF-8: libxml2
would decode windows-1258 itself only through the platform's iconv, which is absent from some
builds (musl, libxml2 without iconv); Python's codec behaves the same everywhere and lets an
undecodable byte be reported with its offset and line.

Blocks end just before a ``<`` (``_files.before_last_tag``): never inside a UTF-8 sequence, a
character reference or a piece of text between two tags, and ``<`` composes with nothing before
it. A NUL byte or an undecodable byte refuses the file, naming its offset and line.

Every string must leave the adapter in NFC, and so must a record's bytes (``raw``, the element
serialised): a block's text is normalised before libxml2 sees it (windows-1258 writes a toned
letter as its base letter and a tone mark; some tools write UTF-8 decomposed); a block already
NFC, as UTF-8 exports nearly always are, is handed over as it is. Normalising the text normalises
each string in it, because markup characters are starters that compose with nothing, with two
exceptions, after which strings are normalised one by one instead (``normalize``): U+0338
COMBINING LONG SOLIDUS OVERLAY composes with ``<``, ``>`` and ``=`` (≮ ≯ ≠), so normalising the
text would rewrite markup; a character reference is plain text to NFC and only becomes a
character, possibly a combining one, inside libxml2.
"""

from __future__ import annotations

import re
import unicodedata

from gateway.adapters._files import bad_byte
from gateway.adapters.encodings import UnsupportedEncoding, codec_for
from gateway.errors import InputError, Location

BOM = b"\xef\xbb\xbf"
PROLOG_BYTES = 256
"""The XML declaration is looked for in this many bytes after a byte-order mark."""

# The XML declaration, which can only come first. Any quoted value is taken, so that a label the
# allow-list does not know is refused rather than overlooked.
_DECLARED_ENCODING = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*(["'])(.*?)\1""", re.DOTALL)
_COMBINING_SOLIDUS = "\u0338"
_CHARACTER_REFERENCE = re.compile(rb"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")


def declared_encoding(head: bytes, where: Location) -> tuple[str, int]:
    """The Python codec of the document, and the length of its byte-order mark (0 or 3).

    ``head`` holds the file's first bytes (at least ``len(BOM) + PROLOG_BYTES`` of them, or the
    whole file). The declared label must be on the allow-list.
    """
    bom = len(BOM) if head.startswith(BOM) else 0
    declared = _DECLARED_ENCODING.match(head, bom, bom + PROLOG_BYTES)
    if declared is None:
        return "utf-8", bom  # XML's default
    label = declared.group(2).decode("ascii", "backslashreplace")
    at = Location(where.source, where.file, line=1)
    try:
        codec = codec_for(label)
    except UnsupportedEncoding:
        raise InputError(
            at, f"declared encoding {label!r} is not supported: an export is UTF-8 or windows-1258"
        ) from None
    if bom and codec not in ("utf-8", "utf-8-sig"):
        raise InputError(at, f"file starts with a UTF-8 byte-order mark but declares {label!r}")
    return ("utf-8" if codec == "utf-8-sig" or bom else codec), bom


class DocumentText:
    """Turns the blocks of one document into the UTF-8 that libxml2 parses (see the module
    docstring); ``normalize`` tells the tree builder whether strings still need NFC."""

    def __init__(self, codec: str, bom: int, where: Location) -> None:
        self.codec = codec
        self.utf8 = codec == "utf-8"
        self.bom = bom
        self.where = where
        self.line = 1
        """The line the next block starts on."""
        self.normalize = False

    def feedable(self, offset: int, block: bytes) -> tuple[bytes, InputError | None]:
        """The UTF-8 for libxml2 of ``block``, which starts at byte ``offset`` of the file, and
        the fault that ends the file in it (a NUL byte, an undecodable byte), if any: the bytes
        returned then stop before it, so that the records before it are read whatever the size
        of the blocks."""
        skip = self.bom if offset == 0 else 0
        fault = None
        nul = block.find(b"\x00")
        if nul != -1:
            fault = InputError(self._at(block, nul), f"NUL byte at offset {offset + nul}: not allowed in XML")
            block = block[:nul]
        if not self.normalize and b"&#" in block and not _references_ascii(block):
            self.normalize = True
        document = block[skip:] if skip else block
        if not document.isascii():
            try:
                text = str(document, self.codec)
            except UnicodeDecodeError as exc:
                at = skip + exc.start
                fault = InputError(self._at(block, at), bad_byte(block[at], offset + at, self.codec))
                document = document[: exc.start]
                text = str(document, self.codec)
            if self.normalize or _COMBINING_SOLIDUS in text:
                # Strings are normalised one by one from here on (see the module docstring).
                self.normalize = True
                if not self.utf8:
                    document = text.encode("utf-8")
            else:
                normalized = unicodedata.normalize("NFC", text)
                # normalize() hands back the very same object when the text is already NFC.
                if normalized is not text or not self.utf8:
                    document = normalized.encode("utf-8")
        self.line += block.count(b"\n")
        return document, fault

    def _at(self, block: bytes, index: int) -> Location:
        """The location of byte ``index`` of the current block."""
        line = self.line + block.count(b"\n", 0, index)
        return Location(self.where.source, self.where.file, line=line)


def _references_ascii(data: bytes) -> bool:
    """Whether every character reference in ``data`` stands for an ASCII character."""
    for match in _CHARACTER_REFERENCE.finditer(data):
        hexadecimal, decimal = match.groups()
        if (int(hexadecimal, 16) if hexadecimal else int(decimal)) >= 0x80:
            return False
    return True
