"""The gateway's exceptions.

Every error the gateway raises on purpose is a ``GatewayError``; foreign errors (lxml, json,
ruamel.yaml, pika, httpx, zeep) are wrapped where the gateway meets the library, ``raise ... from
exc``, so callers handle one tree and still see the cause::

    GatewayError
    ├── ConfigError          config.yaml or an environment override is wrong (exit code 2)
    ├── InputError           a source file or record cannot be read or is not acceptable
    │                        (source, file, record, field, reason)
    ├── MappingError         a mapping file is wrong (file, line, reason)
    ├── SchemaError          a packet does not satisfy schemas/ (the violations, with paths)
    ├── StoreError           the message store failed
    │   └── StoreUnavailable    the store cannot be reached (exit code 3)
    ├── BrokerError          RabbitMQ failed
    │   └── BrokerUnavailable   RabbitMQ cannot be reached, or the connection was lost (exit code 3)
    └── PortalError          the national portal failed
        ├── PortalUnavailable   transient: retry later (timeouts, 5xx, 429, outage, login refused)
        └── PortalRejected      permanent: the portal refused the call; retrying cannot help
"""

from __future__ import annotations

from dataclasses import dataclass


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """The configuration (``config.yaml`` or a ``DVCGW_*`` override) is invalid."""


@dataclass(frozen=True)
class Location:
    """Where in the provincial input a problem is: the source, the file, the record, the field."""

    source: str
    file: str
    record: int | None = None
    line: int | None = None
    field: str | None = None
    ma_ho_so: str | None = None

    def describe(self) -> str:
        parts = [self.file]
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.ma_ho_so:
            parts.append(f"dossier {self.ma_ho_so}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)


class InputError(GatewayError):
    """A source file, or one record of it, cannot be accepted; ``location`` says where."""

    def __init__(self, location: Location, reason: str) -> None:
        super().__init__(f"{location.describe()}: {reason}")
        self.location = location
        self.reason = reason


class MappingError(GatewayError):
    """A mapping file is invalid; the message names the file and the line."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Violation:
    """One schema violation: the path inside the document and what is wrong there."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SchemaError(GatewayError):
    """A packet or record does not satisfy the national schemas."""

    def __init__(self, violations: list[Violation], what: str = "packet") -> None:
        shown = "; ".join(str(v) for v in violations[:5])
        more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"{what} is invalid: {shown}{more}")
        self.violations = violations


class StoreError(GatewayError):
    """The message store failed."""


class StoreUnavailable(StoreError):
    """The message store cannot be reached (database server down, file not writable)."""


class BrokerError(GatewayError):
    """RabbitMQ failed."""


class BrokerUnavailable(BrokerError):
    """RabbitMQ cannot be reached, or the connection was lost: reconnect later."""


class PortalError(GatewayError):
    """The national portal failed."""


class PortalUnavailable(PortalError):
    """A transient portal failure: the call may succeed later.

    ``retry_after`` is the wait in seconds the portal asked for (HTTP 429 ``Retry-After``), if any.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PortalRejected(PortalError):
    """The portal refused the record for good; retrying cannot help."""
