"""Structured logging: one structlog chain for the whole gateway, with redaction.

JSON lines in the daemon (and whenever output is not a terminal), readable console lines at a
tty. The redaction processor runs before the renderer, on the gateway's own events and on those
of the libraries routed through the standard library (pika, zeep, httpx, uvicorn): citizen IDs,
phone numbers, e-mail addresses, passwords and tokens never reach a log in clear.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "token",
        "session",
        "authorization",
        "so_dinh_danh",
        "sodinhdanh",
        "cccd",
        "cmnd",
        "email",
        "phone",
        "so_dien_thoai",
        "sodienthoai",
        "dinhdanhchs",
    }
)
# 9-12 digit runs (CMND, CCCD, phone numbers) and e-mail addresses inside free text.
_DIGIT_RUN = re.compile(r"(?<![0-9])(?:\+?84|0)?[0-9]{8,11}(?![0-9])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "[redacted]"


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        # The e-mail pattern backtracks at every position: look for its "@" first (the daemon logs a
        # line per delivered message, and few of its strings hold one).
        if "@" in value:
            value = _EMAIL.sub(REDACTED, value)
        return _DIGIT_RUN.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in SENSITIVE_KEYS else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask sensitive keys, and personal numbers and e-mails inside text."""
    for key in list(event_dict):
        if str(key).lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _json_line(event: Any, default: Any = None, **_: Any) -> str:
    """``JSONRenderer``'s serializer: orjson, with structlog's fallback for unknown types."""
    return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()


def configure(*, level: str = "INFO", json_output: bool | None = None) -> None:
    """Configure structlog and route the standard library's loggers through the same chain."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.dict_tracebacks if json_output else structlog.processors.format_exc_info,
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
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # zeep.transports at DEBUG writes whole SOAP envelopes, personal data included.
    logging.getLogger("zeep.transports").setLevel(max(logging.INFO, logging.getLevelName(level)))
    # pika narrates every connection open and close at INFO; its warnings and errors still show.
    logging.getLogger("pika").setLevel(max(logging.WARNING, logging.getLevelName(level)))
