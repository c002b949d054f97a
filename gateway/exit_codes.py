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
    INTERNAL = 70
    """The gateway failed on its own defect (an uncaught exception; EX_SOFTWARE of sysexits.h):
    never a judgement on the input. The command prints one line naming the error and asking for
    a bug report. ``translate`` also ends with it when a record was rejected for such a defect,
    after translating every other record."""


def defect_line(what: str) -> str:
    """The one line a command prints when the gateway itself failed (exit code ``INTERNAL``)."""
    return (
        f"internal error: {what}. This is a defect of dvcgw, not a fault of the input: please report "
        "it, with the command, this message and the file it read"
    )
