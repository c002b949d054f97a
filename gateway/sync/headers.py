"""The headers every dossier message carries on RabbitMQ, read by workers and operators."""

from __future__ import annotations

from typing import Any

from gateway.broker.names import ATTEMPT_HEADER

REASON = "dvc-reason"
"""Why a message is on the dead queue."""


def message_headers(
    *, ma_ho_so: str, revision: str, content_hash: str, source: str, attempts: int
) -> dict[str, Any]:
    """The headers of a dossier message: dossier code, revision, content hash, source, attempts."""
    return {
        "ma_ho_so": ma_ho_so,
        "revision": revision,
        "content_hash": content_hash,
        "source": source,
        ATTEMPT_HEADER: attempts,
    }
