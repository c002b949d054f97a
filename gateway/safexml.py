"""Parsing XML that comes from outside: provincial exports, packet files, SOAP requests.

One hardened parser configuration for the whole gateway: no DTD loading, no entity resolution, no
network, no huge-tree mode, no decompression, and a size cap checked before libxml2 sees a byte.
A document that declares a DOCTYPE or carries an entity reference is refused outright: no
national record needs one, and refusing is simpler to reason about than defusing.
"""

from __future__ import annotations

import re

from lxml import etree


class UnsafeXml(ValueError):
    """The document is refused: too big, not well-formed, or uses DTD features."""


class TooDeep(UnsafeXml):
    """The document nests deeper than libxml2 accepts without huge-tree mode (256 levels).

    libxml2 words it "Excessive depth in document: 256, use XML_PARSE_HUGE option": advice that
    the gateway must never follow (huge-tree mode lifts the limits that protect it), so the
    message says what is wrong instead. ``line`` is where libxml2 gave up.
    """

    def __init__(self, limit: int, line: int | None) -> None:
        super().__init__(f"nesting deeper than {limit} levels (the limit for XML files)")
        self.limit = limit
        self.line = line


# libxml2's wording when a document is deeper than its limit (xmlParserMaxDepth, 256).
_EXCESSIVE_DEPTH = re.compile(r"Excessive depth in document: (\d+)")


HARDENED: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_blank_text": False,
}
"""The parser options every reader of outside XML uses (``etree.iterparse`` takes them as they are;
the parsers below add ``decompress=False``, which iterparse does not know)."""


def _parser(encoding: str | None = None) -> etree.XMLParser:
    # A parser is not thread-safe (lxml FAQ "Threading"): each call builds its own; it is cheap.
    # lxml-stubs 0.5.1 predates lxml 6's ``decompress`` and DocInfo.doctype: hence the ignores.
    return etree.XMLParser(encoding=encoding, decompress=False, **HARDENED)  # type: ignore[call-arg,arg-type]


def pull_parser(**options: object) -> etree.XMLPullParser:
    """A feed parser with the hardened options, for documents read as they stream; ``options``
    are its others (``events``, ``tag``, ``encoding``). It does not check for a DOCTYPE or entity
    references as ``parse`` does: its caller sees the events and the tree as they come."""
    return etree.XMLPullParser(decompress=False, **HARDENED, **options)  # type: ignore[call-arg,arg-type]


def parse(data: bytes, *, max_bytes: int, encoding: str | None = None) -> etree._Element:
    """Parse untrusted XML bytes into an element tree, or raise ``UnsafeXml`` saying why.

    ``encoding``, when given, overrides the encoding declared in the prolog: for callers that
    have already decoded the document themselves and hand over UTF-8.
    """
    if len(data) > max_bytes:
        raise UnsafeXml(f"document is {len(data)} bytes, over the limit of {max_bytes} bytes")
    try:
        root = etree.fromstring(data, parser=_parser(encoding))
    except etree.XMLSyntaxError as exc:
        depth = _EXCESSIVE_DEPTH.match(str(exc.msg))
        if depth is not None:
            raise TooDeep(int(depth.group(1)), exc.lineno) from exc
        raise UnsafeXml(f"not well-formed XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # type: ignore[union-attr]
        raise UnsafeXml("document declares a DOCTYPE; DTDs and entities are not accepted")
    for _ in root.iter(etree.Entity):
        raise UnsafeXml("document uses an entity reference; entities are not accepted")
    return root
