"""The national-portal client: one interface (``PortalClient``), two API generations.

The envelope API (login, one integration endpoint naming its ``service``) has two bindings, JSON
and SOAP; the coordination generation ("hệ thống điều phối") posts bare JSON arrays to three URLs.
For the sync workers and the reconciler::

    client = make_client(config.portal)          # portal.api: envelope | coordination
                                                 # portal.binding (envelope): json | soap
    results = client.sync_dossiers(records, update=False, madonvi="000.00.22.H33")
    client.close()

Modules: ``interface`` (the protocol and its values), ``classify`` (what every answer means),
``retry`` (the tenacity policy), ``binding`` (session, retry and outcomes, shared), ``rest`` (JSON
over httpx), ``soap`` (SOAP over zeep), ``coordination`` (the newer generation, over httpx). A
client is used by one thread only.
"""

from __future__ import annotations

import dataclasses

import httpx

from gateway.config import PortalConfig
from gateway.errors import ConfigError
from gateway.portal.coordination import CoordinationPortalClient
from gateway.portal.interface import ChangedItem, ChangedPage, ItemOutcome, ItemResult, PortalClient
from gateway.portal.rest import JsonPortalClient
from gateway.portal.soap import SoapPortalClient

__all__ = [
    "ChangedItem",
    "ChangedPage",
    "CoordinationPortalClient",
    "ItemOutcome",
    "ItemResult",
    "JsonPortalClient",
    "PortalClient",
    "SoapPortalClient",
    "make_client",
]


def make_client(config: PortalConfig, *, transport: httpx.BaseTransport | None = None) -> PortalClient:
    """A portal client of the configured API generation and binding; ``ConfigError`` if the
    configuration cannot work (the envelope API without a password: ``DVCGW_PORTAL_PASSWORD``).
    ``transport`` (httpx) applies to the JSON binding and to the coordination generation."""
    if config.api == "coordination":
        envelope = dataclasses.replace(config, api="envelope")
        lookups_transport = transport if config.binding == "json" else None
        return CoordinationPortalClient(
            config, envelope=lambda: _envelope_client(envelope, lookups_transport), transport=transport
        )
    if config.api != "envelope":
        raise ConfigError(f"portal.api must be envelope or coordination, got {config.api!r}")
    return _envelope_client(config, transport)


def _envelope_client(config: PortalConfig, transport: httpx.BaseTransport | None) -> PortalClient:
    if config.binding == "json":
        return JsonPortalClient(config, transport=transport)
    if config.binding == "soap":
        if transport is not None:
            raise ValueError("an httpx transport applies to the JSON binding only")
        return SoapPortalClient(config)
    raise ConfigError(f"portal.binding must be json or soap, got {config.binding!r}")
