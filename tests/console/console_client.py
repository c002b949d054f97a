"""Helpers of the console's tests: a console on a store of the test's own, called in-process (httpx's
ASGI transport, as the simulator's tests do; Starlette's TestClient warns about httpx), signing in,
form tokens."""

from __future__ import annotations

import asyncio
import re
from types import TracebackType
from typing import Any

import httpx

from gateway.config import BrokerConfig, Config, StoreConfig
from gateway.web.console import create_console

PASSWORD = "correct horse battery staple"
OPERATOR = "an.nguyen"


class Console:
    """A console application and a browser-like client of it (cookies kept, redirects not followed)."""

    def __init__(self, store_url: str, password: str | None = PASSWORD, *, prefix: str | None = None) -> None:
        # A replay publishes to RabbitMQ: a test that replays gives its own prefix (tests.services).
        broker = (
            BrokerConfig(prefix=prefix)
            if prefix is not None
            else BrokerConfig(url="amqp://guest:guest@127.0.0.1:1/")
        )
        config = Config(store=StoreConfig(url=store_url), broker=broker)
        environ = {"DVCGW_CONSOLE_PASSWORD": password} if password is not None else {}
        self.app = create_console(config, environ=environ)
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 40000))
        self._client = httpx.AsyncClient(transport=transport, base_url="http://console.test")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.get(path, **kwargs))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.post(path, **kwargs))

    def __enter__(self) -> Console:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()
        stores = getattr(self.app.state, "stores", None)
        if stores is not None:
            stores.close()


def console(store_url: str, password: str | None = PASSWORD, *, prefix: str | None = None) -> Console:
    """A console on ``store_url``; without ``prefix`` its RabbitMQ is unreachable (port 1)."""
    return Console(store_url, password, prefix=prefix)


def token(page: str) -> str:
    """The form token of a page the console drew."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


def sign_in(client: Console, name: str = OPERATOR, password: str = PASSWORD) -> str:
    """Sign ``client`` in; the session's form token."""
    form = client.get("/login")
    answer = client.post("/login", data={"csrf": token(form.text), "name": name, "password": password})
    assert answer.status_code == 303, answer.text
    return token(client.get("/").text)
