"""Structured logging: one structlog chain for the whole gateway, with redaction.

JSON lines in the daemon (and whenever stderr is not a terminal), readable console lines at a
tty. The gateway's own events and the libraries' (pika, httpx, zeep, uvicorn, SQLAlchemy: their
standard-library records) pass the same processors, the redaction processor last before the
renderer: citizen IDs (CMND 9 digits, CCCD 12), tax codes (10 digits, or ``NNNNNNNNNN-NNN``),
phone numbers (``0…``, ``84…``, ``+84…``, with or without spaces, dots or dashes), e-mail
addresses, passwords and session tokens never reach a log in clear: neither under a key that
names them (``password``, ``portal_password``, ``session``, ``so_dinh_danh``…) nor inside text
(``token=…``, ``Bearer …``, ``"password": "…"``, a phone number in a sentence).

The daemon writes a line per delivered message, so the chain is kept cheap: the gateway's events
skip the standard library's record machinery, a key's verdict and a short string's scrubbed form
are remembered, and the text patterns are one regular expression scanned once.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

LEVEL_VARIABLE = "DVCGW_LOG_LEVEL"
"""The environment variable holding the level; processes started by a command inherit it."""
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
REDACTED = "[redacted]"

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "session",
        "authorization",
        "cookie",
        "apikey",
        "sodinhdanh",
        "dinhdanh",
        "cccd",
        "cmnd",
        "masothue",
        "mst",
        "taxcode",
        "email",
        "phone",
        "sodienthoai",
        "dienthoai",
    }
)
"""Fragments of key names whose values are masked whole (compared without case, ``_`` or ``-``):
``portal_password``, ``SoDienThoai`` and ``x-session-token`` all match."""
_EXACT_KEYS = frozenset({"mst", "sdt"})
"""Short fragments that would match too much inside longer names: masked only as the whole key."""

_SECRET_WORDS = r"password|passwd|pwd|secret|token|session(?:[_-]?id)?|authorization|cookie|api[_-]?key"  # noqa: S105
_TEXT = re.compile(
    # a secret after its name: password=…, "session": "…", token: …, Authorization: Bearer …
    rf"(?P<name>\b(?:{_SECRET_WORDS})\b[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+)?[^\s\"',;&)}}\]]+"
    r"|\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"
    # e-mail addresses
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    # phone numbers with separators: 0912 345 678, 0912.345.678, +84 912-345-678, (+84) 912 345 678
    r"|(?<![\w.])(?:\(?\+?84\)?[ .-]?|0)[1-9][0-9]{1,2}(?:[ .-][0-9]{3}){2}[0-9]?(?![\w-])"
    # runs of 8-12 digits: CMND, CCCD, phone numbers, tax codes (with their -NNN branch suffix)
    r"|(?<![0-9])\+?[0-9]{8,12}(?:-[0-9]{3})?(?![0-9])",
    re.IGNORECASE,
)
_CACHE_MAX = 4096
_CACHED_LEN = 64
_scrubbed: dict[str, str] = {}
_key_verdicts: dict[Any, bool] = {}


def _mask(match: re.Match[str]) -> str:
    name = match.group("name")
    return f"{name}{REDACTED}" if name else REDACTED


# Values that hold nothing to mask, recognised whole by a pattern that fails fast: the instants
# structlog stamps and dossier codes (``<agency>-<yyMMdd>-<serial>``), one of each on every
# delivery line, each new, so neither the cache below nor skipping ``_TEXT`` would otherwise help.
_PLAIN = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"
    r"|[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[GH][0-9]{2}-\d{6}-\d{1,10}"
)


def _scrub_text(value: str) -> str:
    # Short strings repeat (event names, outcomes, error classes, workers): remember their verdict.
    if len(value) <= _CACHED_LEN:
        known = _scrubbed.get(value)
        if known is None:
            if _PLAIN.fullmatch(value):
                return value
            if len(_scrubbed) >= _CACHE_MAX:
                _scrubbed.clear()
            known = _scrubbed[value] = _TEXT.sub(_mask, value)
        return known
    return _TEXT.sub(_mask, value)


def redact_text(value: str) -> str:
    """``value`` with personal numbers, e-mails and secrets masked as in the logs (for lines a
    command prints that may quote a record: ``dvcgw translate``'s rejections, the demo's reasons)."""
    return _scrub_text(value)


def sensitive_key(key: Any) -> bool:
    """Whether the value under ``key`` is masked whole."""
    verdict = _key_verdicts.get(key)
    if verdict is None:
        name = str(key).lower().replace("_", "").replace("-", "")
        verdict = name in _EXACT_KEYS or any(fragment in name for fragment in SENSITIVE_KEYS)
        if len(_key_verdicts) < _CACHE_MAX:
            _key_verdicts[key] = verdict
    return verdict


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if sensitive_key(k) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return _scrub_text(bytes(value).decode("utf-8", "replace"))
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask sensitive keys, and personal numbers, e-mails and secrets in text."""
    for key, value in event_dict.items():
        if sensitive_key(key):
            event_dict[key] = REDACTED
        elif value.__class__ is str:
            event_dict[key] = _scrub_text(value)
        elif not isinstance(value, int | float | bool | None):
            event_dict[key] = _scrub(value)
    return event_dict


def _json_line(event: Any, default: Any = None, **_: Any) -> str:
    """``JSONRenderer``'s serializer: orjson, with structlog's fallback for unknown types."""
    return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()


def level_from_environment(default: str = "INFO") -> str:
    """``$DVCGW_LOG_LEVEL`` when it names a level, else ``default``."""
    value = os.environ.get(LEVEL_VARIABLE, "").upper()
    return value if value in LEVELS else default


def configure(*, level: str | None = None, json_output: bool | None = None) -> None:
    """Configure structlog and route the standard library's loggers through the same chain.

    ``level``: one of ``LEVELS``; by default ``$DVCGW_LOG_LEVEL`` or INFO. ``json_output``: by
    default JSON unless stderr is a terminal.
    """
    level = (level or level_from_environment()).upper()
    number = logging.getLevelName(level)
    if json_output is None:
        json_output = not sys.stderr.isatty()
    # Tracebacks without the frames' local variables: those hold records and credentials.
    tracebacks = structlog.processors.ExceptionRenderer(
        structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        tracebacks if json_output else structlog.processors.format_exc_info,
        redact,
    ]
    renderer: Any = structlog.dev.ConsoleRenderer()
    if json_output:
        renderer = structlog.processors.JSONRenderer(serializer=_json_line)
    # The gateway's own events are rendered and written by structlog directly (the daemon writes one
    # per delivered message; the standard library's record machinery would double their cost); the
    # libraries' stdlib records go through the same processors and renderer via the handler below.
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(number),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # A library's line says whose it is (the gateway's own name their event instead).
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(number)
    # Loggers whose verbose levels write personal data or credentials whole, whatever the level
    # asked for: zeep.transports the SOAP envelopes, SQLAlchemy's engine every statement's
    # parameters (packets, original records).
    for name, floor in (("zeep.transports", logging.INFO), ("sqlalchemy", logging.WARNING)):
        logging.getLogger(name).setLevel(max(floor, number))
    # pika narrates every connection open and close at INFO; its warnings and errors still show,
    # and -v/--log-level DEBUG shows the rest.
    logging.getLogger("pika").setLevel(number if number <= logging.DEBUG else max(logging.WARNING, number))
    # uvicorn configures its own loggers when given a log_config; ours propagate to the root.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True
