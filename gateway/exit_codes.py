"""The exit codes every ``dvcgw`` command shares, so scripts can tell outcomes apart."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Everything succeeded."""
    REJECTED = 1
    """Some records were rejected, some packets are invalid, or some fixtures failed."""
    USAGE = 2
    """Wrong arguments, or an invalid configuration or mapping file."""
    UNAVAILABLE = 3
    """A required service (RabbitMQ, the portal, the store) is unreachable."""
