"""The simulator's logs: JSON lines on stderr, its own events and uvicorn's alike.

The simulator is a separate program (the gateway's peer): run as ``python -m gateway.sim`` it
configures structlog itself. Its events carry dossier codes, counts and reasons, never record
contents, credentials or tokens. Run as ``dvcgw portal-sim``, it keeps the chain the command line
configured (one chain for the whole program: its level, its format and its redaction).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure(level: str = "INFO") -> None:
    """Send structlog events and the standard library's (uvicorn's) to stderr as JSON lines, unless
    the program that runs the simulator configured logging already."""
    if structlog.is_configured():
        return
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.dict_tracebacks,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
