"""The one thing the simulated portal shares with the gateway: the contract files in ``schemas/``.

``dvcqg.schema.json`` (records as JSON), ``dvcqg.xsd`` (the same records as XML) and
``dvcqg.wsdl`` (the SOAP binding, which includes the XSD). The simulator is the gateway's peer, so
it reads these files with its own code and never imports the gateway's: a rendering, completion or
hashing bug of the gateway must show up as a disagreement with the simulator, not be shared by it.

``Contract`` compiles both schemas once per process (jsonschema-rs, lxml; nothing is fetched over
the network) and derives from them the **shape** of every record type: its fields in schema order
and, for each, whether it is text, an integer or a nested record and whether it repeats. It reads
the shape from the JSON Schema and checks, field by field, that the XSD says the same (names,
order, repetition, integers); two contract files that disagree stop the simulator at start with a
message naming the type, rather than letting its two bindings drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import jsonschema_rs
from lxml import etree

# In an installed wheel the contract files lie under gateway/_data/ (copied there at build time by
# setup.py); in a checkout they are the repository's schemas/.
_PACKAGED = Path(__file__).resolve().parents[1] / "_data" / "schemas"
SCHEMA_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[2] / "schemas"
"""Where the contract files live."""

JSON_SCHEMA_FILE = "dvcqg.schema.json"
XSD_FILE = "dvcqg.xsd"
WSDL_FILE = "dvcqg.wsdl"

_XS = "{http://www.w3.org/2001/XMLSchema}"
_REF_PREFIX = "#/$defs/"

Kind = Literal["text", "integer", "record"]

RECORD_TYPES = ("HoSo", "BuocXuLy")
"""The records the portal stores (a ``DongBoHoSoMC`` item, a ``CapNhatTienDoHoSoMC`` item); their
nested record types come with them. Batch envelopes are not records: their JSON and XML forms differ
by design (``session``/``data`` against ``Session``/repeated items)."""


TOLERATED_ABSENT = {"HoSo": ("KenhThucHien",)}
"""Required fields that the tolerant portal lets a record leave out or send empty (``""``, what a
complete record holds for "no value"): the older clients (OpenCPS, Hà Giang) never send them."""


class ContractError(ValueError):
    """The contract files cannot be read, or the JSON Schema and the XSD disagree."""


@dataclass(frozen=True)
class Violation:
    """One way a document breaks the contract: where (a JSON path or XSD path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Field:
    """One field of a record type: its name, kind, whether it repeats, and its type's name."""

    name: str
    kind: Kind
    repeated: bool
    required: bool
    type_name: str
    """The ``$defs`` name of the value's type (for a record: the nested record type)."""


class Contract:
    """The compiled contract: validators for both bindings and the shape of every record type.

    Build once per process and share; every method is read-only.
    """

    def __init__(self, schema_dir: Path = SCHEMA_DIR) -> None:
        self.schema_dir = schema_dir
        try:
            document = json.loads((schema_dir / JSON_SCHEMA_FILE).read_text(encoding="utf-8"))
            xsd_root = etree.parse(str(schema_dir / XSD_FILE), parser=_file_parser()).getroot()
        except (OSError, ValueError, etree.XMLSyntaxError) as exc:
            raise ContractError(f"{schema_dir}: cannot read the contract files: {exc}") from exc
        self._defs: dict[str, Any] = document["$defs"]
        self._schema_uri: str = document["$schema"]
        self._validators: dict[str, Any] = {}
        self._tolerant_defs = _relax(self._defs)
        self._tolerant_validators: dict[str, Any] = {}
        self._xsd = etree.XMLSchema(xsd_root)
        self.namespace = str(xsd_root.get("targetNamespace", ""))
        self.shapes = _record_shapes(self._defs)
        _check_agreement(self.shapes, xsd_root)
        # A pattern failure reads better as the type's description than as the pattern itself.
        self._descriptions = {
            d["pattern"]: d["description"]
            for d in self._defs.values()
            if "pattern" in d and "description" in d
        }

    def fields(self, type_name: str) -> tuple[Field, ...]:
        """The fields of record type ``type_name`` (``HoSo``, ``BuocXuLy``...), in schema order."""
        return self.shapes[type_name]

    def json_violations(self, document: Any, definition: str, *, tolerant: bool = False) -> list[Violation]:
        """Every violation of the JSON Schema definition ``definition`` by decoded JSON ``document``.

        ``tolerant`` judges by the schema with ``TOLERATED_ABSENT`` relaxed (the simulator's
        tolerant mode, after ``gateway.sim.tolerance.normalise``). The document must hold valid
        Unicode only (``wire.unicode_problem`` checks it first).
        """
        validator = self._validator(definition, tolerant)
        if validator.is_valid(document):
            return []
        return [
            Violation(_json_path(error.instance_path), self._explain(error.message))
            for error in validator.iter_errors(document)
        ]

    def xml_violations(self, element: etree._Element) -> list[Violation]:
        """Every violation of the XSD by the element ``element`` (a declared global element)."""
        if self._xsd.validate(element):
            return []
        entries = cast(Iterable[etree._LogEntry], self._xsd.error_log)
        return [Violation(e.path or f"line {e.line}", e.message) for e in entries]

    def _validator(self, definition: str, tolerant: bool = False) -> Any:
        cache, defs = (
            (self._tolerant_validators, self._tolerant_defs) if tolerant else (self._validators, self._defs)
        )
        validator = cache.get(definition)
        if validator is None:
            if definition not in defs:
                raise KeyError(f"the contract has no JSON Schema definition named {definition!r}")
            schema = {"$schema": self._schema_uri, "$ref": _REF_PREFIX + definition, "$defs": defs}
            validator = cache[definition] = jsonschema_rs.Draft202012Validator(schema)
        return validator

    def _explain(self, message: str) -> str:
        head, found, pattern = message.partition(" does not match ")
        if found:
            description = self._descriptions.get(pattern.strip('"'))
            if description:
                message = f"{head} is not {description}"
        # The validator quotes the offending value; a long one is personal text more often than
        # not, and its start is enough to find it.
        return _LONG_QUOTED.sub(lambda m: m.group(0)[:41] + '…"', message)


_LONG_QUOTED = re.compile(r'"[^"]{40,}"')


def _relax(defs: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``defs`` where each ``TOLERATED_ABSENT`` field is optional and may be ``""``."""
    relaxed = json.loads(json.dumps(defs))
    for type_name, names in TOLERATED_ABSENT.items():
        definition = relaxed[type_name]
        definition["required"] = [r for r in definition.get("required", ()) if r not in names]
        for name in names:
            definition["properties"][name] = {"anyOf": [definition["properties"][name], {"const": ""}]}
    return cast(dict[str, Any], relaxed)


def _file_parser() -> etree.XMLParser:
    # Our own contract files, read from disk: still no network and no entities.
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


def _record_shapes(defs: Mapping[str, Any]) -> dict[str, tuple[Field, ...]]:
    """The shape of every record type reachable from ``RECORD_TYPES``, read from the JSON Schema."""
    shapes: dict[str, tuple[Field, ...]] = {}
    pending = list(RECORD_TYPES)
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        if defs.get(name, {}).get("type") != "object":
            raise ContractError(f"{JSON_SCHEMA_FILE}: record type {name} is not an object definition")
        shapes[name] = _json_shape(name, defs[name], defs)
        pending.extend(f.type_name for f in shapes[name] if f.kind == "record")
    return shapes


def _json_shape(name: str, definition: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[Field, ...]:
    fields = []
    required = set(definition.get("required", ()))
    for field_name, spec in definition.get("properties", {}).items():
        repeated = spec.get("type") == "array"
        value = spec["items"] if repeated else spec
        type_name = _ref_name(value) or field_name
        target = defs[type_name] if "$ref" in value else value
        json_type = target.get("type")
        kind: Kind
        if json_type == "object":
            kind = "record"
        elif json_type == "integer":
            kind = "integer"
        elif json_type == "string":
            kind = "text"
        else:
            raise ContractError(f"{JSON_SCHEMA_FILE}: {name}.{field_name}: unexpected type {json_type!r}")
        fields.append(Field(field_name, kind, repeated, field_name in required, type_name))
    return tuple(fields)


def _ref_name(spec: Mapping[str, Any]) -> str | None:
    ref = spec.get("$ref")
    if not isinstance(ref, str):
        return None
    if not ref.startswith(_REF_PREFIX):
        raise ContractError(f"{JSON_SCHEMA_FILE}: only local $defs references are supported, got {ref!r}")
    return ref[len(_REF_PREFIX) :]


def _check_agreement(shapes: Mapping[str, tuple[Field, ...]], xsd_root: etree._Element) -> None:
    """Raise ``ContractError`` where the XSD's record types differ from the JSON Schema's."""
    integer_types = {
        str(st.get("name"))
        for st in xsd_root.iterfind(f"{_XS}simpleType")
        if any(r.get("base") == "xs:integer" for r in st.iterfind(f"{_XS}restriction"))
    }
    complex_types = {str(ct.get("name")): ct for ct in xsd_root.iterfind(f"{_XS}complexType")}
    for name, fields in shapes.items():
        complex_type = complex_types.get(name)
        if complex_type is None:
            raise ContractError(f"{XSD_FILE}: record type {name} of {JSON_SCHEMA_FILE} has no complexType")
        elements = complex_type.findall(f"{_XS}sequence/{_XS}element")
        xsd_view = [
            (
                str(e.get("name")),
                e.get("maxOccurs") is not None,
                e.get("minOccurs", "1") != "0",
                str(e.get("type")) in integer_types,
            )
            for e in elements
        ]
        json_view = [(f.name, f.repeated, f.required, f.kind == "integer") for f in fields]
        if xsd_view != json_view:
            raise ContractError(
                f"{XSD_FILE} and {JSON_SCHEMA_FILE} disagree on record type {name}:"
                f" XSD {xsd_view} vs JSON Schema {json_view}"
            )


def _json_path(parts: Iterable[Any]) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
