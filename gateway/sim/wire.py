"""How requests and answers travel in the simulator: bounded bodies, strict JSON, answer envelopes.

Every portal answer in JSON is ``{"error_code", "message", "result"}`` (docs/national-portal.md); the
admin API answers plain JSON objects. Request bodies are read with a size cap before anything
parses them, and JSON is parsed strictly: duplicate keys, NaN/Infinity and runaway nesting are
refused, because two parsers that disagree on such input are how smuggled fields get through
(the standard library accepts both by default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.sim.codes import CallRefused, ErrorCode
from gateway.sim.contract import Violation

MIB = 1024 * 1024

# An oversized body is read on (and dropped) up to this much more before the 413 is sent: a client
# still writing when the server answers and closes would see a reset instead of the 413. Beyond
# this the connection is simply closed.
_DRAIN_BYTES = 64 * MIB


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, or ``CallRefused`` (413) when it is larger than ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise CallRefused(ErrorCode.BAD_REQUEST, "Content-Length is not a number") from None
        if length > max_bytes + _DRAIN_BYTES:
            raise CallRefused(ErrorCode.PAYLOAD_TOO_LARGE, _too_large(max_bytes))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            chunks.clear()
            if size > max_bytes + _DRAIN_BYTES:
                break
            continue
        chunks.append(chunk)
    if size > max_bytes:
        raise CallRefused(ErrorCode.PAYLOAD_TOO_LARGE, _too_large(max_bytes))
    return b"".join(chunks)


def _too_large(max_bytes: int) -> str:
    return f"request body is larger than the limit of {max_bytes} bytes"


def parse_json(body: bytes) -> Any:
    """Decode a JSON request body strictly, or raise ``CallRefused`` (400) saying why."""
    try:
        return loads_strict(body)
    except ValueError as exc:
        raise CallRefused(ErrorCode.BAD_REQUEST, f"body is not acceptable JSON: {exc}") from exc


def parse_text_json(body: bytes) -> Any:
    """``parse_json``, refusing (400) a document that holds a lone surrogate anywhere."""
    document = parse_json(body)
    problem = unicode_problem(document)
    if problem:
        raise CallRefused(ErrorCode.BAD_REQUEST, f"body refused: {problem}")
    return document


def loads_strict(data: bytes | str) -> Any:
    """Decode JSON strictly (as ``parse_json``), raising ``ValueError`` saying why; for files."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    # JSONDecodeError and UnicodeDecodeError are ValueErrors already.


def unicode_problem(value: Any, path: str = "$") -> Violation | None:
    """Where decoded JSON holds a lone surrogate (``"\\ud800"`` escapes decode to one), and which;
    None when every key and string is Unicode text.

    JSON allows such escapes, but they are not text: they cannot be encoded, compared, stored or
    hashed as UTF-8, so every later step would fail on them. Callers refuse them up front. The walk
    keeps its own stack: the document may nest as deep as the JSON decoder allowed.
    """
    pending: list[tuple[str, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            bad = _SURROGATE.search(item)
            if bad is not None:
                return Violation(where, f"holds a lone surrogate U+{ord(bad.group()):04X}, which is not text")
        elif isinstance(item, dict):
            for key in item:
                if _SURROGATE.search(key):
                    return Violation(where, f"has a key holding a lone surrogate ({key!r})")
            pending.extend((f"{where}.{key}", child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", child) for i, child in reversed(list(enumerate(item))))
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def answer(code: ErrorCode, message: str, result: Any = None, **extra: Any) -> Response:
    """A processed call's JSON answer (HTTP 200), ``extra`` keys beside the three standard ones."""
    return json_response({"error_code": int(code), "message": message, "result": result, **extra})


def refusal_headers(exc: CallRefused) -> dict[str, str]:
    """Headers that go with a refused call: Retry-After for 429, Connection: close for 413."""
    headers: dict[str, str] = {}
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(exc.retry_after_s)
    if exc.code is ErrorCode.PAYLOAD_TOO_LARGE:
        headers["Connection"] = "close"
    return headers


def refusal(exc: CallRefused) -> Response:
    """A refused call's JSON answer, with the code's HTTP status."""
    body = {"error_code": int(exc.code), "message": exc.message, "result": None}
    return json_response(body, exc.status, refusal_headers(exc))
