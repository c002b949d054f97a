"""Reading XML from callers of the simulated portal (SOAP requests): hostile until proven otherwise.

The simulator's own parser settings, not the gateway's: no DTD loading, no entity resolution, no
network, no huge-tree mode (libxml2's depth and size limits stay on), no decompression, and a size
cap checked before libxml2 sees a byte. A request that declares a DOCTYPE or holds an entity
reference is refused outright: no SOAP request of the national interface needs one.
"""

from __future__ import annotations

from lxml import etree


class RefusedXml(ValueError):
    """The request body is refused as XML: too big, not well-formed, or uses DTD features."""


def _parser() -> etree.XMLParser:
    # One parser per call: lxml parsers are not thread-safe (lxml FAQ "Threading"), and cheap.
    # lxml-stubs predates lxml 6's ``decompress``: hence the ignore.
    return etree.XMLParser(  # type: ignore[call-arg]
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        decompress=False,
    )


def parse_request(data: bytes, *, max_bytes: int) -> etree._Element:
    """Parse an untrusted request body, or raise ``RefusedXml`` saying why."""
    if len(data) > max_bytes:
        raise RefusedXml(f"the body is {len(data)} bytes, over the limit of {max_bytes} bytes")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc.msg):
            # libxml2 advises XML_PARSE_HUGE here: advice a server must never follow.
            raise RefusedXml("the body nests deeper than 256 levels") from exc
        raise RefusedXml(f"not well-formed XML: {exc.msg}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # type: ignore[union-attr]
        raise RefusedXml("the body declares a DOCTYPE; DTDs and entities are not accepted")
    for _ in root.iter(etree.Entity):
        raise RefusedXml("the body uses an entity reference; entities are not accepted")
    return root
