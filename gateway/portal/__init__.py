"""The national-portal client: one interface (``PortalClient``), two bindings (JSON, SOAP).

For the sync workers and the reconciler::

    client = make_client(config.portal)          # portal.binding: json | soap
    results = client.sync_dossiers(records, update=False, madonvi="000.00.22.H33")
    client.close()

Modules: ``interface`` (the protocol and its values), ``classify`` (what every answer means),
``retry`` (the tenacity policy), ``binding`` (session, retry and outcomes, shared), ``rest`` (JSON
over httpx), ``soap`` (SOAP over zeep). A client is used by one thread only.
"""

from __future__ import annotations

import httpx

from gateway.config import PortalConfig
from gateway.errors import ConfigError
from gateway.portal.interface import ChangedItem, ChangedPage, ItemOutcome, ItemResult, PortalClient
from gateway.portal.rest import JsonPortalClient
from gateway.portal.soap import SoapPortalClient

__all__ = [
    "ChangedItem",
    "ChangedPage",
    "ItemOutcome",
    "ItemResult",
    "JsonPortalClient",
    "PortalClient",
    "SoapPortalClient",
    "make_client",
]


def make_client(config: PortalConfig, *, transport: httpx.BaseTransport | None = None) -> PortalClient:
    """A portal client of the configured binding; ``ConfigError`` if the configuration cannot work
    (no password: ``DVCGW_PORTAL_PASSWORD``). ``transport`` (httpx) applies to the JSON binding."""
    if config.binding == "json":
        return JsonPortalClient(config, transport=transport)
    if config.binding == "soap":
        if transport is not None:
            raise ValueError("an httpx transport applies to the JSON binding only")
        return SoapPortalClient(config)
    raise ConfigError(f"portal.binding must be json or soap, got {config.binding!r}")
