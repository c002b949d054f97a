"""The real services tests use, each given to one test and removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig

POSTGRES = "postgresql://root@127.0.0.1:5432/test"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A store URL on a schema of its own in the local ``test`` database (selected through the
    connection's ``search_path``), dropped on exit."""
    schema = f"s_{uuid.uuid4().hex}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


SHORT_RETRY_DELAYS_S = (1, 2, 4)
"""The retry tiers of daemons under test (``DVCGW_BROKER_RETRY_DELAYS_S``): seconds, not minutes."""


@contextmanager
def broker_prefix() -> Iterator[str]:
    """A RabbitMQ name prefix of its own; every exchange and queue under it is deleted on exit,
    with the retry tiers of the default configuration and the short ones of tests alike."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        connection = connect(BrokerConfig(prefix=name))
        try:
            for delays in (BrokerConfig().retry_delays_s, SHORT_RETRY_DELAYS_S):
                Topology.from_config(BrokerConfig(prefix=name, retry_delays_s=delays)).delete(
                    connection.channel()
                )
        finally:
            connection.close()
