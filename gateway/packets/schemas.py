"""Validation against ``schemas/``: the XSD (lxml) and the JSON Schema (jsonschema-rs).

Both schemas are compiled once per ``SchemaSet`` and reused; nothing is ever fetched over the
network (the XSD has no imports, the JSON Schema no remote ``$ref``). lxml and jsonschema-rs are
the fast validators the hot path needs (several times faster than xmlschema and jsonschema);
their messages already carry the path of the offending field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema_rs
from lxml import etree

from gateway import packaged
from gateway.errors import Violation
from gateway.packets.layout import Layout, load_layout

SCHEMA_DIR = packaged.SCHEMA_DIR
XSD_FILE = "dvcqg.xsd"
JSON_SCHEMA_FILE = "dvcqg.schema.json"


@cache
def default_layout() -> Layout:
    return load_layout(SCHEMA_DIR / XSD_FILE)


class SchemaSet:
    """The compiled national schemas. Build once, share; validation methods are read-only."""

    def __init__(self, schema_dir: Path = SCHEMA_DIR) -> None:
        xsd_doc = etree.parse(str(schema_dir / XSD_FILE), parser=etree.XMLParser(no_network=True))
        self._xsd = etree.XMLSchema(xsd_doc)
        self.layout = load_layout(schema_dir / XSD_FILE)
        document = json.loads((schema_dir / JSON_SCHEMA_FILE).read_text(encoding="utf-8"))
        self._json_defs: dict[str, Any] = document["$defs"]
        self._json_validators: dict[str, Any] = {}
        self._json_schema_uri = document["$schema"]
        # jsonschema-rs reports a pattern failure by quoting the whole pattern; integrators are
        # better served by the type's description ("a date-time yyyyMMddHHmmss ...").
        self._pattern_descriptions = {
            d["pattern"]: d["description"]
            for d in self._json_defs.values()
            if "pattern" in d and "description" in d
        }

    def _json_validator(self, definition: str) -> Any:
        validator = self._json_validators.get(definition)
        if validator is None:
            if definition not in self._json_defs:
                raise KeyError(f"no JSON Schema definition named {definition!r}")
            schema = {
                "$schema": self._json_schema_uri,
                "$ref": f"#/$defs/{definition}",
                "$defs": self._json_defs,
            }
            validator = jsonschema_rs.Draft202012Validator(schema)
            self._json_validators[definition] = validator
        return validator

    def json_violations(self, document: Any, definition: str = "GoiHoSo") -> list[Violation]:
        """Every violation of the JSON Schema definition ``definition`` by ``document``.

        Beside the JSON Schema, one rule it cannot state: every number is written as a whole number.
        JSON Schema counts ``75000.0`` as an integer, the XSD (``xs:integer``) refuses its text, and
        the two renderings would hash differently; the national record holds no other number.
        """
        fractional = (
            [
                Violation(path=path, message=f"{value!r} is not a whole number (write it without a fraction)")
                for path, value in _fractional_numbers(document, "$")
            ]
            if _holds_float(document)
            else []
        )
        validator = self._json_validator(definition)
        if validator.is_valid(document):
            return fractional
        return fractional + [
            Violation(path=_json_path(err.instance_path), message=self._explain(err.message))
            for err in validator.iter_errors(document)
        ]

    def _explain(self, message: str) -> str:
        head, sep, pattern = message.partition(" does not match ")
        if sep:
            description = self._pattern_descriptions.get(pattern.strip('"'))
            if description:
                message = f"{head} is not {description}"
        # The validator quotes the offending value; a long one is usually personal text that
        # belongs in no log. Its start is enough to find it.
        return _LONG_QUOTED.sub(lambda m: m.group(0)[:41] + '…"', message)

    def xml_violations(self, element: etree._Element) -> list[Violation]:
        """Every violation of the XSD by the document rooted at ``element``."""
        if self._xsd.validate(element):
            return []
        entries = cast(Iterable[etree._LogEntry], self._xsd.error_log)
        return [Violation(path=e.path or f"line {e.line}", message=e.message) for e in entries]


_LONG_QUOTED = re.compile(r'"[^"]{40,}"')


def _holds_float(document: Any) -> bool:
    """Whether a float lies anywhere in ``document``: the cheap test run on every packet (no paths
    built), before ``_fractional_numbers`` says where."""
    stack = [document]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is float:
            return True
    return False


def _fractional_numbers(node: Any, path: str) -> Iterator[tuple[str, float]]:
    """Where ``node`` holds a number written with a fraction or an exponent (a float once parsed)."""
    if type(node) is dict:
        for key, value in node.items():
            yield from _fractional_numbers(value, f"{path}.{key}")
    elif type(node) is list:
        for index, value in enumerate(node):
            yield from _fractional_numbers(value, f"{path}[{index}]")
    elif type(node) is float:
        yield path, node


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
