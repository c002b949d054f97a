"""The national procedure catalogue the simulated portal may hold, and the reading of it.

The real portal lists the administrative procedures (``TTHC``) it knows and refuses, for good, a
dossier whose ``MaTTHC`` it does not list. The simulator does the same when it is given a
catalogue (``--catalogue FILE`` at start, ``PUT /_sim/catalogue`` at run time); without one it
accepts every well-formed code. A catalogue is a JSON array of procedures::

    [{"MaTTHC": "1.004889", "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
      "MaLinhVuc": "XD", "TenLinhVuc": "Xây dựng"}]

``MaTTHC`` is required and unique; the other keys are optional; an unknown key is an error. Each
value is checked against the type the national schema gives the field of the same name in a
dossier (``HoSo``), so the catalogue speaks the contract's language and its messages read alike.
Errors name the source (the file, or the request body) and the item's index.

Without a catalogue in force the lookup services (``LayThuTuc``, ``LayDanhSachTTHC``) answer from
a built-in one, ``DEFAULT_PROCEDURES``: the procedures of the project's fixtures, with the names
and sector codes the fixtures give them (not the real national catalogue's). It does not turn the
check on: only a catalogue given at start or at run time refuses dossiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.sim.contract import Contract
from gateway.sim.wire import loads_strict, unicode_problem

FIELDS = {"MaTTHC": "MaTTHC", "TenTTHC": "Van2000", "MaLinhVuc": "Ma", "TenLinhVuc": "Van1000"}
"""A procedure's keys, in answer order, and the schema type of each (that of the ``HoSo`` field)."""


class CatalogueError(ValueError):
    """The catalogue is not valid; the message names its source and the item."""


@dataclass(frozen=True)
class Procedure:
    """One listed procedure: its national code and, where given, its name and sector."""

    ma_tthc: str
    details: tuple[tuple[str, str], ...] = ()
    """The optional keys given (``TenTTHC``, ``MaLinhVuc``, ``TenLinhVuc``), in ``FIELDS`` order."""

    def to_json(self) -> dict[str, str]:
        return {"MaTTHC": self.ma_tthc, **dict(self.details)}


@dataclass(frozen=True)
class Catalogue:
    """The procedures the portal lists, in the order given; ``code in catalogue`` is a set lookup."""

    procedures: tuple[Procedure, ...]
    codes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: the check runs for every dossier of every batch.
        object.__setattr__(self, "codes", frozenset(p.ma_tthc for p in self.procedures))

    def __contains__(self, ma_tthc: object) -> bool:
        return ma_tthc in self.codes

    def __len__(self) -> int:
        return len(self.procedures)

    def to_json(self) -> list[dict[str, str]]:
        """The catalogue as JSON-ready data; ``parse_catalogue`` of it gives the same one back."""
        return [p.to_json() for p in self.procedures]

    def find(self, ma_tthc: str) -> Procedure | None:
        """The listed procedure of national code ``ma_tthc``, or None."""
        return next((p for p in self.procedures if p.ma_tthc == ma_tthc), None)


DEFAULT_PROCEDURES: tuple[dict[str, str], ...] = (
    {
        "MaTTHC": "1.004889",
        "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "MaLinhVuc": "G13-XD01",
        "TenLinhVuc": "Xây dựng",
    },
    {
        "MaTTHC": "1.001612",
        "TenTTHC": "Đăng ký thành lập hộ kinh doanh",
        "MaLinhVuc": "G13-KH05",
        "TenLinhVuc": "Thành lập và hoạt động của hộ kinh doanh",
    },
    {"MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "G09-TP03", "TenLinhVuc": "Hộ tịch"},
    {"MaTTHC": "1.000894", "TenTTHC": "Đăng ký kết hôn", "MaLinhVuc": "G09-TP03", "TenLinhVuc": "Hộ tịch"},
    {
        "MaTTHC": "2.000908",
        "TenTTHC": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "MaLinhVuc": "G09-TP05",
        "TenLinhVuc": "Chứng thực",
    },
    {
        "MaTTHC": "2.000815",
        "TenTTHC": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "MaLinhVuc": "G13-CT01",
        "TenLinhVuc": "Chứng thực",
    },
    {
        "MaTTHC": "1.004227",
        "TenTTHC": "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "MaLinhVuc": "G13-TN03",
        "TenLinhVuc": "Đất đai",
    },
    {
        "MaTTHC": "1.003003",
        "TenTTHC": "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "MaLinhVuc": "G13-DD01",
        "TenLinhVuc": "Đất đai",
    },
    {
        "MaTTHC": "1.000775",
        "TenTTHC": "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        "MaLinhVuc": "G13-YT08",
        "TenLinhVuc": "An toàn thực phẩm",
    },
    {
        "MaTTHC": "2.000720",
        "TenTTHC": "Đăng ký thành lập hộ kinh doanh",
        "MaLinhVuc": "G13-KD01",
        "TenLinhVuc": "Thành lập và hoạt động của hộ kinh doanh",
    },
)
"""The built-in catalogue: every procedure of ``fixtures/`` (names and sectors as given there)."""


def default_catalogue(contract: Contract) -> Catalogue:
    """``DEFAULT_PROCEDURES`` as a catalogue, checked like any other."""
    return parse_catalogue(list(DEFAULT_PROCEDURES), contract, "the built-in catalogue")


def procedure_record(procedure: Procedure) -> dict[str, Any]:
    """One procedure as ``LayThuTuc`` answers it: the portal's upper-case keys, as OpenCPS reads
    them (``TENTTHC``, ``LINHVUCTHUCHIEN[0].MALINHVUC``/``TENLINHVUC``), ``TRANGTHAI`` 1 (public).

    The sector list always holds one entry (empty texts when the catalogue gives no sector): the
    client reads its first item without looking.
    """
    details = dict(procedure.details)
    return {
        "MATTHC": procedure.ma_tthc,
        "TENTTHC": details.get("TenTTHC", ""),
        "LINHVUCTHUCHIEN": [
            {"MALINHVUC": details.get("MaLinhVuc", ""), "TENLINHVUC": details.get("TenLinhVuc", "")}
        ],
        "TRANGTHAI": 1,
    }


def parse_catalogue(document: Any, contract: Contract, source: str = "the catalogue") -> Catalogue:
    """Build a ``Catalogue`` from decoded JSON, or raise ``CatalogueError`` naming ``source`` and
    the item (its index in the array) that is wrong."""
    if not isinstance(document, list):
        raise CatalogueError(f"{source}: a catalogue must be a JSON array of procedures")
    problem = unicode_problem(document)
    if problem:
        raise CatalogueError(f"{source}: {problem}")
    procedures: list[Procedure] = []
    first_at: dict[str, int] = {}
    for index, item in enumerate(document):
        procedure = _procedure(item, contract, f"{source}: item {index}")
        if procedure.ma_tthc in first_at:
            raise CatalogueError(
                f"{source}: item {index}: MaTTHC {procedure.ma_tthc} is listed twice"
                f" (first at item {first_at[procedure.ma_tthc]})"
            )
        first_at[procedure.ma_tthc] = index
        procedures.append(procedure)
    return Catalogue(tuple(procedures))


def load_catalogue(path: Path, contract: Contract) -> Catalogue:
    """Read a catalogue file given on the command line (UTF-8 JSON, parsed strictly)."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue file: {exc.strerror}") from exc
    try:
        document = loads_strict(text)
    except ValueError as exc:
        raise CatalogueError(f"{path}: the catalogue is not valid JSON: {exc}") from exc
    return parse_catalogue(document, contract, str(path))


def _procedure(item: Any, contract: Contract, where: str) -> Procedure:
    if not isinstance(item, Mapping):
        raise CatalogueError(f"{where}: a procedure must be a JSON object, got {_kind(item)}")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise CatalogueError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} (known: {', '.join(FIELDS)})"
        )
    if "MaTTHC" not in item:
        raise CatalogueError(f"{where}: MaTTHC is required")
    for key, type_name in FIELDS.items():
        if key in item:
            violations = contract.json_violations(item[key], type_name)
            if violations:
                raise CatalogueError(f"{where}: {key}: {violations[0].message}")
    details = tuple((key, str(item[key])) for key in FIELDS if key != "MaTTHC" and key in item)
    return Procedure(str(item["MaTTHC"]), details)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
