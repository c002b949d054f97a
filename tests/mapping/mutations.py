"""Hypothesis strategies that take the shipped fixtures' good records and break them.

For the property tests of translation (``test_translation_properties``) and of the fast path
(``test_compiled``). Every dialect's records, from its fixtures, with their structure mutated (a
value replaced by a list, an object, a number, a boolean, null or a huge string; keys or elements
dropped and duplicated; values nested one level deeper) and their values mutated (any Unicode,
control characters, lone surrogates where the format can carry them, digits of other scripts),
written back as files of the dialect:

- igate-json: a JSON array or NDJSON, with duplicate keys and literals Python would not write
  (``NaN``, a 5,000-digit integer, ``1e400``);
- motcua-xml: a document built with lxml from the mutated record elements, in UTF-8 or
  windows-1258 (characters windows-1258 lacks as character references), sometimes with a
  character XML cannot carry;
- legacy-csv: rows with mutated cells (delimiters, quotes, line breaks, NUL, undecodable bytes,
  fields over the csv module's limit), short or long rows, a header with columns renamed,
  swapped, duplicated or dropped.

Each file strategy yields ``Sample(data, file, records)``: the bytes, the file name, and how many
records a reader must report (one outcome each), unless the whole file is refused.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.adapters import SourceRecord
from gateway.errors import InputError
from gateway.mapping import SourceMapping, load_mapping
from gateway.mapping.fixtures import FIXTURE_NOW, case_dirs
from gateway.packets import SchemaSet
from gateway.translate import Translated, Translator

# The bounded, reproducible run every CI job makes: the same examples each time (derandomize),
# 200 per property unless DVCGW_PROPERTY_EXAMPLES asks for more (a deeper local hunt).
PROPERTIES = settings(
    max_examples=int(os.environ.get("DVCGW_PROPERTY_EXAMPLES", "200")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SKEW = timedelta(minutes=10)
_SCHEMAS = SchemaSet()


@dataclass(frozen=True)
class Sample:
    """A generated export file: its bytes, its name, the records a reader must account for."""

    data: bytes
    file: str
    records: int


@cache
def mapping(name: str) -> SourceMapping:
    return load_mapping(Path("mappings") / f"{name}.yaml")


@cache
def translator(name: str) -> Translator:
    return Translator(mapping(name), _SCHEMAS, future_skew=SKEW, clock=lambda: FIXTURE_NOW)


@cache
def good_records(name: str) -> tuple[SourceRecord, ...]:
    """The fixture records of a mapping that become packets: the base the mutations start from."""
    found = []
    for case in case_dirs(Path("fixtures") / name):
        for file in sorted(case.glob("input*")):
            outcomes = translator(name).adapter.read(file)
            try:
                for item in outcomes:
                    if isinstance(item, SourceRecord) and isinstance(
                        translator(name).translate_record(item), Translated
                    ):
                        found.append(item)
            except InputError:
                continue  # a fixture file refused as a whole gives no base record
    assert found, f"no good fixture record for {name}"
    return tuple(found)


def rarely(one_in: int) -> st.SearchStrategy[bool]:
    """True about once in ``one_in`` draws (an integer draw would favour 0, its boundary)."""
    return st.sampled_from([False] * (one_in - 1) + [True])


# --- values -----------------------------------------------------------------------------------

_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INTERESTING = [
    "",
    " ",
    "\t\n",
    "null",
    "0",
    "-1",
    "1_000",
    "75.000",
    "2021-06-04T08:15:00+07:00",
    "2099-01-01T00:00:00Z",
    "04/06/2021 08:30:00",
    "04-06-2021 08:15",
    "31/02/2021 08:30:00",
    "1.004889",
    "1.004889.000.00.00.H33",
    "000.00.22.H33-210604-0001",
    "091203004567",
    "0100233488-001",
    "NEW",
    "CongDan",
    "LP01:75000:1|LP02:5000:0",
    "::|:",
    "e\u0301",  # NFD
    "Nguyễn Văn An",
]
_CONTROLS = st.text(st.characters(max_codepoint=0x9F, categories=["Cc"]), min_size=1, max_size=4)
_OTHER_DIGITS = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=14)
_HUGE = st.sampled_from([1001, 4001, 70_000]).flatmap(lambda n: st.sampled_from("aễ9 ;").map(lambda c: c * n))


def texts(*, surrogates: bool = False, controls: bool = True) -> st.SearchStrategy[str]:
    """Text values: anything Unicode, the values rules look for, controls, digits, huge ones."""
    choices = [st.text(max_size=30), st.sampled_from(_INTERESTING), _OTHER_DIGITS, _HUGE]
    if controls:
        choices.append(
            st.builds(lambda a, c, b: a + c + b, st.text(max_size=5), _CONTROLS, st.text(max_size=5))
        )
    if surrogates:
        lone = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
        choices.append(st.builds(lambda a, s: a + s, st.text(max_size=5), lone))
    return st.one_of(choices)


def xml_texts() -> st.SearchStrategy[str]:
    """Text lxml can hold: what XML 1.0 cannot carry is injected into the bytes instead."""
    return texts(controls=False).map(lambda text: _XML_UNSAFE.sub("", text))


# --- igate-json ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """JSON text written as it is: what ``json.dumps`` would not write."""

    text: str


@dataclass(frozen=True)
class Again:
    """A key written a second time in its object (``json`` cannot hold a duplicate key)."""

    key: str
    n: int


_LITERALS = st.sampled_from(
    ["NaN", "-Infinity", "1e400", "-0", "1" * 5000, "-" + "9" * 4301, "0.1e-400"]
).map(Literal)
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    texts(surrogates=True),
    _LITERALS,
)
JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
_IGATE_KEYS = ["code", "type", "identity", "number", "kind", "paidVia", "status", "#text", "@Ma", ""]


def slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair of a JSON tree: where a mutation can strike."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        pairs = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, item in pairs:
            found.append((node, key))
            stack.append(item)
    return found


_NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, texts())


@st.composite
def json_records(draw: st.DrawFn) -> Any:
    """A good igate-json record with one to three mutations.

    Half of them strike a value that is an object or a list (where the mapping's paths go
    through), the others any value."""
    tree: Any = copy.deepcopy(draw(st.sampled_from(good_records("igate-json"))).tree)
    for _ in range(draw(st.integers(1, 3))):
        places = slots(tree)
        if not places or draw(rarely(30)):
            tree = draw(JSON_VALUES)  # the record itself is something else
            continue
        containers = [(c, k) for c, k in places if isinstance(c[k], dict | list)]
        container, key = draw(st.sampled_from(containers if containers and draw(st.booleans()) else places))
        old = container[key]
        operation = draw(
            st.sampled_from(
                [
                    "list",
                    "object",
                    "number",
                    "bool",
                    "null",
                    "huge",
                    "text",
                    "drop",
                    "again",
                    "nest",
                    "literal",
                ]
            )
        )
        if operation == "list":
            lists = [[], [old], [old, copy.deepcopy(old)]]
            container[key] = draw(st.sampled_from(lists) | st.lists(_SCALARS | JSON_VALUES, max_size=2))
        elif operation == "object":
            container[key] = draw(
                st.dictionaries(st.sampled_from(_IGATE_KEYS) | st.text(max_size=6), _SCALARS)
            )
        elif operation == "number":
            container[key] = draw(_NUMBERS)
        elif operation == "bool":
            container[key] = draw(st.booleans())
        elif operation == "null":
            container[key] = None
        elif operation == "huge":
            container[key] = draw(_HUGE)
        elif operation == "text":
            container[key] = draw(texts(surrogates=True))
        elif operation == "drop":
            del container[key]
        elif operation == "again" and isinstance(container, dict):
            other = draw(st.one_of(st.just(old), JSON_VALUES))
            container[Again(key.key if isinstance(key, Again) else key, len(container))] = other
        elif operation == "nest":
            container[key] = draw(
                st.sampled_from([[old], {"#text": old}, {draw(st.sampled_from(_IGATE_KEYS)): old}])
            )
        else:
            container[key] = draw(_LITERALS)
    return tree


def dump(value: Any, ensure_ascii: bool) -> str:
    """JSON text of a mutated tree, duplicate keys and literals included."""
    if isinstance(value, Literal):
        return value.text
    if isinstance(value, dict):
        items = (
            f"{json.dumps(k.key if isinstance(k, Again) else k, ensure_ascii=ensure_ascii)}: "
            f"{dump(v, ensure_ascii)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v, ensure_ascii) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


@st.composite
def igate_json_files(draw: st.DrawFn, *, ndjson: bool) -> Sample:
    """A JSON array (``ndjson=False``) or NDJSON file of mutated records."""
    records = draw(st.lists(json_records(), min_size=1, max_size=3))
    ensure_ascii = draw(st.booleans())
    texts_ = [dump(record, ensure_ascii) for record in records]
    text = "\n".join(texts_) + "\n" if ndjson else "[\n" + ",\n".join(texts_) + "\n]\n"
    # A lone surrogate written raw (not as an escape) becomes bytes that are no UTF-8.
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return Sample(data, "export.ndjson" if ndjson else "export.json", len(records))


# --- motcua-xml ---------------------------------------------------------------------------------

_XML_ELEMENTS = [
    "HoSo",
    "SoHoSo",
    "MaThuTucNoiBo",
    "TenThuTuc",
    "LinhVuc",
    "NguoiNop",
    "HoTen",
    "SoGiayTo",
    "TrangThai",
    "NgayNhan",
    "KenhNop",
    "LePhi",
    "Khoan",
    "TepDinhKem",
    "Tep",
    "QuaTrinh",
    "Buoc",
    "NgayCapNhat",
    "{urn:x}SoHoSo",
]
_XML_ATTRIBUTES = [
    "Ma",
    "Loai",
    "LoaiDoiTuong",
    "NopQua",
    "SoTien",
    "Id",
    "Ten",
    "ThoiDiem",
    "TrangThai",
    "{urn:x}Ma",
]
_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)
_UNSAFE_BYTES = [b"\x01", b"&#1;", b"&#xFFFE;", b"\x0c", b"&#0;"]


def _mutate_element(draw: st.DrawFn, record: etree._Element) -> None:
    nodes = [e for e in record.iter() if isinstance(e.tag, str)]
    node = draw(st.sampled_from(nodes))
    inner = node is not record  # the record itself is not dropped, duplicated or renamed
    operation = draw(
        st.sampled_from(
            ["text", "attribute", "drop-attribute", "drop", "again", "nest", "child", "empty", "rename"]
        )
    )
    if operation == "text":
        node.text = draw(xml_texts())
    elif operation == "attribute":
        name = draw(st.sampled_from(_XML_ATTRIBUTES) | _NAMES)
        node.set(name, draw(xml_texts()))
    elif operation == "drop-attribute" and node.attrib:
        del node.attrib[draw(st.sampled_from(sorted(node.attrib)))]
    elif operation == "drop" and inner:
        parent = node.getparent()
        assert parent is not None
        parent.remove(node)
    elif operation == "again" and inner:
        node.addnext(copy.deepcopy(node))
    elif operation == "nest":
        child = etree.SubElement(node, draw(st.sampled_from(_XML_ELEMENTS) | _NAMES))
        child.text, node.text = node.text, None
    elif operation == "child":
        child = etree.SubElement(node, draw(st.sampled_from(_XML_ELEMENTS) | _NAMES))
        child.text = draw(xml_texts())
    elif operation == "empty":
        tail = node.tail
        node.clear()
        node.tail = tail
    elif operation == "rename" and inner:
        node.tag = draw(st.sampled_from(_XML_ELEMENTS) | _NAMES)


@st.composite
def motcua_xml_files(draw: st.DrawFn, *, encoding: str) -> Sample:
    """A ``<DanhSachHoSo>`` of mutated ``<HoSo>`` records, in ``encoding`` (UTF-8 or windows-1258)."""
    root = etree.Element("DanhSachHoSo", NgayXuat="05/06/2021 17:00:00", DonVi="000.00.22.H33")
    root.text = "\n"
    count = draw(st.integers(1, 3))
    for _ in range(count):
        record = etree.fromstring(draw(st.sampled_from(good_records("motcua-xml"))).raw)
        for _ in range(draw(st.integers(1, 3))):
            _mutate_element(draw, record)
        record.tail = "\n"
        root.append(record)
    if encoding == "utf-8":
        data = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    else:
        text = etree.tostring(root, encoding="unicode")
        data = ('<?xml version="1.0" encoding="windows-1258"?>\n' + text).encode(
            "cp1258", "xmlcharrefreplace"
        )
    if draw(rarely(20)):
        # A character XML 1.0 cannot carry, raw or as a reference: the file is not well-formed.
        data = data.replace(b"</SoHoSo>", draw(st.sampled_from(_UNSAFE_BYTES)) + b"</SoHoSo>", 1)
    return Sample(data, "export.xml", count)


# --- legacy-csv ---------------------------------------------------------------------------------

COLUMNS = [
    "SO_HO_SO",
    "MA_TTHC",
    "TEN_TTHC",
    "MA_LINH_VUC",
    "TEN_LINH_VUC",
    "HO_TEN",
    "LOAI_DOI_TUONG",
    "SO_GIAY_TO",
    "DIEN_THOAI",
    "EMAIL",
    "TRICH_YEU",
    "KENH",
    "TRANG_THAI",
    "NGAY_NHAN",
    "NGAY_HEN_TRA",
    "NGAY_HOAN_THANH",
    "NGAY_TRA",
    "MA_CO_QUAN",
    "TEN_CO_QUAN",
    "PHI",
    "NGAY_CAP_NHAT",
]
_CELLS = st.one_of(
    texts(),
    st.sampled_from(
        [";", '"', '"";', "\n", "a\r\nb", "x\x00y", "\udcff", "\udcc3\udca9", "|", "a" * 140_000]
    ),
)


@st.composite
def legacy_csv_files(draw: st.DrawFn) -> Sample:
    """A header and rows from good records, with mutated cells, rows and header."""
    header = list(COLUMNS)
    records = draw(st.lists(st.sampled_from(good_records("legacy-csv")), min_size=1, max_size=3))
    rows = [[record.tree.get(column) or "" for column in header] for record in records]
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.sampled_from(rows))
        operation = draw(st.sampled_from(["cell", "cell", "cell", "short", "long", "header"]))
        if operation == "cell":
            row[draw(st.integers(0, len(row) - 1))] = draw(_CELLS)
        elif operation == "short" and len(row) > 1:
            del row[draw(st.integers(0, len(row) - 1))]
        elif operation == "long":
            row.append(draw(_CELLS))
        elif operation == "header":
            _mutate_header(draw, header, rows)
    lines = io.StringIO()
    # The csv module quotes a field holding a line break only when the break is in its line
    # terminator: with LF rows, a bare CR would split a row, so every field is quoted then.
    crlf = draw(st.booleans())
    quoting = csv.QUOTE_MINIMAL if crlf else csv.QUOTE_ALL
    csv.writer(lines, delimiter=";", lineterminator="\r\n" if crlf else "\n", quoting=quoting).writerows(
        [header, *rows]
    )
    # Lone surrogates U+DC80..U+DCFF stand for raw bytes: undecodable, as in a mixed-up export.
    data = lines.getvalue().encode("utf-8", "surrogateescape")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    # A row whose cells are all blank is skipped like a blank line, as spreadsheets leave them.
    return Sample(data, "export.csv", sum(1 for row in rows if "".join(row).strip()))


def _mutate_header(draw: st.DrawFn, header: list[str], rows: list[list[str]]) -> None:
    position = draw(st.integers(0, len(header) - 1))
    operation = draw(st.sampled_from(["swap", "rename", "twice", "drop"]))
    if operation == "swap":
        other = draw(st.integers(0, len(header) - 1))
        header[position], header[other] = header[other], header[position]
    elif operation == "rename":
        header[position] = draw(_NAMES)
    elif operation == "twice":
        header[position] = draw(st.sampled_from(header))
    elif len(header) > 1:
        del header[position]
        for row in rows:
            if position < len(row):
                del row[position]
