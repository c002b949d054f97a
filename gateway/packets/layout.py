"""The shape of national records, read from ``schemas/dvcqg.xsd``.

Field order, which fields repeat, which are nested records and which are integers are facts of
the XSD; reading them from it keeps the renderers and the schema from drifting apart. The XSD
follows a house style (named complexTypes, one xs:sequence each) that this reader relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

_XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True)
class FieldSpec:
    """One element of a record's sequence."""

    name: str
    type_name: str
    repeated: bool
    required: bool
    record: bool
    integer: bool


@dataclass(frozen=True)
class Layout:
    """Every record type of the schema, by type name, with its fields in schema order."""

    namespace: str
    records: dict[str, tuple[FieldSpec, ...]]
    _qualified: dict[str, tuple[tuple[str, FieldSpec], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _templates: dict[tuple[str, str], etree._Element] = field(default_factory=dict, compare=False, repr=False)

    def fields(self, type_name: str) -> tuple[FieldSpec, ...]:
        return self.records[type_name]

    def qualified_fields(self, type_name: str) -> tuple[tuple[str, FieldSpec], ...]:
        """The fields of ``type_name`` with their namespaced element names (``{ns}Name``)."""
        found = self._qualified.get(type_name)
        if found is None:
            ns = "{" + self.namespace + "}"
            found = self._qualified[type_name] = tuple((ns + f.name, f) for f in self.records[type_name])
        return found

    def template(self, tag: str, type_name: str) -> etree._Element:
        """An element ``<tag>`` with one empty child per field of ``type_name``, in schema order.

        Renderers copy it and fill it in: copying a tree is done in C and costs a fraction of
        building the same elements one SubElement call at a time.
        """
        key = (tag, type_name)
        found = self._templates.get(key)
        if found is None:
            found = etree.Element("{" + self.namespace + "}" + tag, nsmap={None: self.namespace})  # type: ignore[dict-item]
            for name, _ in self.qualified_fields(type_name):
                etree.SubElement(found, name)
            self._templates[key] = found
        return found


@cache
def load_layout(xsd_path: Path) -> Layout:
    """Read the record layout of an XSD written in the house style (see module docstring)."""
    root = etree.parse(str(xsd_path), parser=etree.XMLParser(no_network=True)).getroot()
    namespace = root.get("targetNamespace", "")
    integer_types = {
        st.get("name")
        for st in root.iterfind(f"{_XS}simpleType")
        if st.find(f"{_XS}restriction").get("base") == "xs:integer"  # type: ignore[union-attr]
    }
    complex_names = {ct.get("name") for ct in root.iterfind(f"{_XS}complexType")}
    records: dict[str, tuple[FieldSpec, ...]] = {}
    for ct in root.iterfind(f"{_XS}complexType"):
        specs = []
        for el in ct.iterfind(f"{_XS}sequence/{_XS}element"):
            type_name = str(el.get("type"))
            specs.append(
                FieldSpec(
                    name=str(el.get("name")),
                    type_name=type_name,
                    repeated=el.get("maxOccurs") is not None,
                    required=el.get("minOccurs", "1") != "0",
                    record=type_name in complex_names,
                    integer=type_name in integer_types,
                )
            )
        records[str(ct.get("name"))] = tuple(specs)
    return Layout(namespace=namespace, records=records)
