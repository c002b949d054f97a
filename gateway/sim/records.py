"""National records as the simulated portal holds them: complete, in either binding, and hashed.

The simulator's own implementation of what ``docs/national-portal.md`` specifies, written from the
contract files (``gateway.sim.contract``), not shared with the gateway:

* ``complete``: a record with every field of its type present, in schema order: text with no value
  is ``""``, a repeating field with no items ``[]``, an integer with no value ``null``; nested
  records completed in turn. Two equal dossiers are equal dicts whatever fields were left out.
* ``record_from_xml`` / ``record_to_xml``: the XML form of a record (SOAP), element by element in
  the XSD's order; integers travel as decimal text.
* ``binding_problems``: what a schema-valid JSON record may hold that its XML form could not carry
  (characters XML 1.0 forbids, an integer written as a fraction), so that the JSON and XML forms of
  one dossier pass the same checks.
* ``canonical_json`` / ``record_hash``: the content hash the portal reports (``MaBam``): SHA-256 of
  the UTF-8 bytes of the complete record as JSON with keys sorted by code point, no insignificant
  whitespace, non-ASCII characters unescaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from gateway.sim.contract import Contract, Field, Violation

Record = dict[str, Any]
Element = etree._Element

# Characters XML 1.0 cannot carry (section 2.2), lone surrogates included: a record holding one has
# no XML form, so it is refused in JSON too.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def complete(record: Mapping[str, Any], type_name: str, contract: Contract) -> Record:
    """``record`` (schema-valid) with every field of ``type_name`` present, in schema order."""
    out: Record = {}
    for field in contract.fields(type_name):
        value = record.get(field.name)
        if field.repeated:
            items = [] if value is None else list(value)
            out[field.name] = [_complete_value(field, item, contract) for item in items]
        elif value is None:
            out[field.name] = _empty(field)
        else:
            out[field.name] = _complete_value(field, value, contract)
    for key, value in record.items():
        # Unknown keys never pass validation; kept so that nothing is silently dropped.
        out.setdefault(key, value)
    return out


def _complete_value(field: Field, value: Any, contract: Contract) -> Any:
    if field.kind == "record" and isinstance(value, Mapping):
        return complete(value, field.type_name, contract)
    return value


def _empty(field: Field) -> Any:
    # JSON has no empty integer: an integer with no value is null.
    return None if field.kind == "integer" else ""


def binding_problems(record: Any, type_name: str, contract: Contract, path: str = "$") -> list[Violation]:
    """What a schema-valid JSON record holds that its XML form could not carry; empty when none."""
    problems: list[Violation] = []
    if not isinstance(record, Mapping):
        return problems
    for field in contract.fields(type_name):
        if field.name not in record:
            continue
        value = record[field.name]
        items = value if field.repeated and isinstance(value, list) else [value]
        for index, item in enumerate(items):
            where = f"{path}.{field.name}" + (f"[{index}]" if field.repeated else "")
            if field.kind == "record":
                problems.extend(binding_problems(item, field.type_name, contract, where))
            elif field.kind == "integer" and isinstance(item, float):
                problems.append(
                    Violation(where, f"{item!r} is not an integer: write it without a fraction or exponent")
                )
            elif isinstance(item, str):
                bad = NOT_XML.search(item)
                if bad is not None:
                    problems.append(Violation(where, _character_problem(bad.group())))
    return problems


def _character_problem(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return f"holds a lone surrogate ({code}), which is not Unicode text"
    return f"holds {code}, a character XML cannot carry (the SOAP form must carry the same data)"


def record_to_xml(
    parent: Element, tag: str, record: Mapping[str, Any], type_name: str, contract: Contract
) -> Element:
    """Append to ``parent`` the element ``<tag>`` for a complete record of type ``type_name``.

    Fields follow the XSD's sequence; an optional field with no value is left out, a required one
    is written empty.
    """
    q = "{" + contract.namespace + "}"
    element = etree.SubElement(parent, q + tag)
    for field in contract.fields(type_name):
        value = record.get(field.name)
        items: list[Any] = (value or []) if field.repeated else [value]
        for item in items:
            if field.kind == "record":
                if isinstance(item, Mapping):
                    record_to_xml(element, field.name, item, field.type_name, contract)
            elif item is None or item == "":
                if field.required and not field.repeated:
                    etree.SubElement(element, q + field.name)
            else:
                etree.SubElement(element, q + field.name).text = str(item)
    return element


def record_from_xml(element: Element, type_name: str, contract: Contract) -> Record:
    """Read one XSD-valid record element into a complete record."""
    by_name: dict[str, list[Element]] = {}
    for child in _children(element):
        by_name.setdefault(etree.QName(child).localname, []).append(child)
    out: Record = {}
    for field in contract.fields(type_name):
        values = [_value(field, child, contract) for child in by_name.get(field.name, ())]
        if field.repeated:
            out[field.name] = values
        else:
            out[field.name] = values[0] if values else _empty(field)
    return out


def _value(field: Field, element: Element, contract: Contract) -> Any:
    if field.kind == "record":
        return record_from_xml(element, field.type_name, contract)
    text = element.text or ""
    # xs:integer allows surrounding whitespace, a sign and leading zeros; the XSD has checked it.
    return int(text.strip()) if field.kind == "integer" else text


def _children(element: Element) -> Iterator[Element]:
    # Comments and processing instructions are not content.
    return (child for child in element if isinstance(child.tag, str))


def canonical_json(record: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of a complete record (the hash contract of docs/national-portal.md)."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def record_hash(record: Mapping[str, Any]) -> str:
    """``MaBam``: SHA-256, lower-case hex, of ``canonical_json(record)``."""
    return hashlib.sha256(canonical_json(record)).hexdigest()
