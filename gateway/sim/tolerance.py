"""The wire variants real portal clients send, and the strict form the simulator stores them in.

The gateway emits the strict national form (``schemas/``). Public, independently written clients
of the portal (OpenCPS's ``DVCQGIntegrationActionImpl``, a Thanh Hóa one-stop client's
``SyncLocalDataToDVCQGService``, a Hà Giang one-gate client) send records the real portal
evidently accepts but the strict schema refuses. In tolerant mode (the default; ``--strict`` turns
it off) the simulator rewrites these variants into the strict form **before** it validates and
stores a record, so that what it holds, hashes (``MaBam``) and returns is always the strict form:

* ``null`` for a field: no value (the key is dropped; completion makes it ``""``, ``[]`` or
  ``null``). A required field sent as ``null`` is then missing, and refused as before.
* ``"True"`` / ``"False"`` (any letter case) in a 0/1 flag (``TaiLieuNop[].IsDeleted``...): ``"1"`` / ``"0"``.
* an amount or count sent as a string of ASCII digits (``"8000"``, also ``"8000.00"`` from a
  decimal column): the integer. Any other fraction, sign or text is left alone, hence refused.
* ``DuocThanhToanTrucTuyen`` ``"0"`` (sent when there is no fee): ``""``, not paid online.
* ``MaTTHC`` in the provincial instance form ``d.dddddd.ddd.dd.dd.Hnn`` (or ``Gnn``): the national
  code ``d.dddddd`` it starts with.
* ``KenhThucHien`` absent or ``""``: accepted as no value (``contract.TOLERATED_ABSENT``).

Everything else is judged by the schema unchanged: a bad date, a bad dossier code, a missing
MaHoSo, an unknown status are refused exactly as in strict mode. A record already in the strict
form comes out unchanged (``normalise`` is the identity on it), so the gateway's records hash alike
in both modes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gateway.sim.contract import Contract, Field

FLAG_TYPES = frozenset({"CoKhong"})
"""Text types holding a 0/1 flag, where ``"True"``/``"False"`` are read as ``"1"``/``"0"``."""

_WHOLE = re.compile(r"[0-9]{1,15}(?:\.0+)?")
_PROVINCIAL_PROCEDURE = re.compile(r"([0-9]\.[0-9]{6})\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[GH][0-9]{2}")
_BOOLEAN_TEXT = {"true": "1", "false": "0"}


def normalise(record: Any, type_name: str, contract: Contract) -> Any:
    """``record`` with the tolerated wire variants rewritten into the strict form (a new object).

    Anything that is not a JSON object is returned as it is, for validation to refuse.
    """
    if not isinstance(record, Mapping):
        return record
    fields = {f.name: f for f in contract.fields(type_name)}
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value is None:
            continue
        field = fields.get(key)
        out[key] = value if field is None else _field_value(field, value, contract)
    if type_name == "HoSo":
        _dossier_variants(out)
    return out


def _field_value(field: Field, value: Any, contract: Contract) -> Any:
    if field.repeated:
        if not isinstance(value, list):
            return value
        return [_scalar(field, item, contract) for item in value]
    return _scalar(field, value, contract)


def _scalar(field: Field, value: Any, contract: Contract) -> Any:
    if field.kind == "record":
        return normalise(value, field.type_name, contract)
    if field.kind == "integer":
        if isinstance(value, str) and _WHOLE.fullmatch(value):
            return int(value.split(".", 1)[0])
        return value
    if field.type_name in FLAG_TYPES and isinstance(value, str):
        return _BOOLEAN_TEXT.get(value.lower(), value)
    return value


def _dossier_variants(record: dict[str, Any]) -> None:
    if record.get("DuocThanhToanTrucTuyen") == "0":
        record["DuocThanhToanTrucTuyen"] = ""
    code = record.get("MaTTHC")
    if isinstance(code, str):
        provincial = _PROVINCIAL_PROCEDURE.fullmatch(code)
        if provincial:
            record["MaTTHC"] = provincial.group(1)


def national_procedure_code(code: str) -> str:
    """The national code ``d.dddddd`` of a procedure code given in either form (else as given)."""
    provincial = _PROVINCIAL_PROCEDURE.fullmatch(code)
    return provincial.group(1) if provincial else code
