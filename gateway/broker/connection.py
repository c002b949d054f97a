"""Connecting to RabbitMQ, and the one place where pika's errors become the gateway's.

For every part of the broker package: ``connection_parameters`` turns ``BrokerConfig`` into pika's
parameters (the same for the blocking connections of consumers and the asynchronous one of the
publisher), ``connect`` opens a ``BlockingConnection`` in a single attempt (retrying is the caller's
policy, see ``gateway.broker.reconnect``), and ``broker_errors`` wraps whatever pika or the socket
layer raises::

    OSError, AMQPConnectionError (refused, lost, heartbeat, blocked too long),
    ConsumerCancelled, a channel closed with 404 NOT_FOUND,
    a channel closed by an earlier failure (ChannelWrongStateError) → BrokerUnavailable (reconnect)
    refused login or vhost access, any other pika error            → BrokerError (retrying cannot help)

Messages name the broker as ``user@host:port/vhost``: the password never reaches an error or a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn
from urllib.parse import unquote, urlsplit

import pika
import pika.exceptions

from gateway.config import BrokerConfig
from gateway.errors import BrokerError, BrokerUnavailable, ConfigError

# A channel closed with NOT_FOUND means a queue or the exchange went away under us (an operator
# deleted it, a node went down): a new connection re-declares the topology, so it is worth a retry.
_NOT_FOUND = 404
# A channel in the wrong state was closed by an earlier failure, already reported once.
_RECONNECT_FIXES = (
    OSError,
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.ConsumerCancelled,
    pika.exceptions.ChannelWrongStateError,
)


def describe_url(url: str) -> str:
    """``user@host:port/vhost`` for errors and logs: the broker's address without the password."""
    parts = urlsplit(url)
    user = f"{unquote(parts.username)}@" if parts.username else ""
    try:
        port = parts.port or 5672
    except ValueError:
        port = 5672
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return f"{user}{parts.hostname or 'localhost'}:{port} vhost {vhost}"


def connection_parameters(config: BrokerConfig, *, name: str) -> pika.URLParameters:
    """pika parameters from ``config``: one attempt, bounded connect, heartbeats, blocked timeout.

    ``name`` is shown to operators in the broker's connection list (``rabbitmqctl list_connections
    client_properties``), e.g. ``dvcgw publisher``.
    """
    try:
        params = pika.URLParameters(config.url)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"broker.url is not a valid AMQP URL ({describe_url(config.url)})") from exc
    params.heartbeat = config.heartbeat_s
    # socket_timeout bounds the TCP connect, stack_timeout the whole TCP + AMQP handshake.
    params.socket_timeout = config.connect_timeout_s
    params.stack_timeout = config.connect_timeout_s
    # During a memory or disk alarm the broker blocks publishers: without this timeout a publish
    # would hang for as long as the alarm lasts. Two heartbeat intervals, so an alarm that clears
    # quickly is ridden out, a long one becomes BrokerUnavailable.
    params.blocked_connection_timeout = 2.0 * config.heartbeat_s
    params.connection_attempts = 1
    params.client_properties = {"connection_name": name, "product": "dvc-gateway"}
    return params


def connect(config: BrokerConfig, *, name: str = "dvcgw") -> pika.BlockingConnection:
    """Open one blocking connection (a single attempt), for the thread that will own it.

    Raises ``BrokerUnavailable`` when the broker cannot be reached, ``BrokerError`` when it refuses.
    """
    params = connection_parameters(config, name=name)
    with broker_errors("connect", url=config.url):
        return pika.BlockingConnection(params)


@contextmanager
def broker_errors(action: str, *, url: str | None = None) -> Iterator[None]:
    """Translate pika and socket errors raised inside the block; ``action`` says what was tried."""
    try:
        yield
    except (OSError, pika.exceptions.AMQPError) as exc:
        raise_translated(exc, action, url=url)


def raise_translated(exc: BaseException, action: str, *, url: str | None = None) -> NoReturn:
    """Raise the gateway's error for a pika or socket error ``exc`` (``from exc``)."""
    raise translated(exc, action, url=url) from exc


def translated(exc: BaseException, action: str, *, url: str | None = None) -> BrokerError:
    """The gateway's error for a pika or socket error ``exc``; ``action`` says what was tried."""
    where = f"RabbitMQ at {describe_url(url)}" if url else "RabbitMQ"
    if isinstance(exc, pika.exceptions.ProbableAuthenticationError | pika.exceptions.AuthenticationError):
        return BrokerError(
            f"{where} refused the login: check the user and password in broker.url ({reason(exc)})"
        )
    if isinstance(exc, pika.exceptions.ProbableAccessDeniedError):
        return BrokerError(
            f"{where} refused access to the virtual host: grant the user permissions on it ({reason(exc)})"
        )
    if isinstance(exc, _RECONNECT_FIXES) or (
        isinstance(exc, pika.exceptions.ChannelClosed) and exc.reply_code == _NOT_FOUND
    ):
        return BrokerUnavailable(f"{where}: {action} failed: {reason(exc)}")
    return BrokerError(f"{where}: {action} failed: {reason(exc)}")


def reason(exc: BaseException) -> str:
    """A short, password-free account of a pika or socket error."""
    if isinstance(exc, pika.exceptions.ConnectionClosed | pika.exceptions.ChannelClosed):
        return f"({exc.reply_code}) {exc.reply_text}"
    if isinstance(exc, pika.exceptions.ConsumerCancelled):
        return "the broker cancelled the consumer (queue deleted or its node down)"
    if isinstance(exc, pika.exceptions.AMQPConnectionError) and exc.args:
        # pika nests the socket-level cause: AMQPConnectionError(AMQPConnectorSocketConnectError(...)).
        inner = exc.args[0]
        return repr(inner) if isinstance(inner, BaseException) else str(inner)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
