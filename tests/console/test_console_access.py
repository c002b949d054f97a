"""Who may use the console: no password configured, no console; every page behind sign-in; every form
behind the session's token; a forged cookie is no session; guessing is braked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store import MessageState, Store
from gateway.web.console.auth import MAX_FAILURES
from gateway.web.console.session import COOKIE
from tests.console.console_client import OPERATOR, PASSWORD, Console, console, sign_in, token
from tests.ops.ledger import dead

PAGES = ["/", "/dead", "/dead/1", "/dossier?code=x", "/reconciliation", "/reconciliation/report"]
FORMS = ["/dead/replay/plan", "/dead/replay", "/logout"]


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"


@pytest.fixture
def client(store_url: str) -> Iterator[Console]:
    with console(store_url) as opened:
        yield opened


@pytest.mark.parametrize("password", [None, "short"])
def test_without_a_usable_password_every_path_says_how_to_set_one(
    store_url: str, password: str | None
) -> None:
    with console(store_url, password=password) as client:
        for path in ["/", "/login", "/dead", "/anything"]:
            answer = client.get(path)
            assert answer.status_code == 503
            assert "DVCGW_CONSOLE_PASSWORD" in answer.text
        assert client.post("/login", data={"name": "x", "password": "short"}).status_code == 503


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_signed_out_visitor_to_sign_in_and_back(client: Console, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    assert "signed in as" not in answer.text


@pytest.mark.parametrize("path", FORMS)
def test_every_form_is_refused_to_a_signed_out_visitor_even_with_a_token(client: Console, path: str) -> None:
    csrf = token(client.get("/login").text)
    answer = client.post(path, data={"csrf": csrf, "id": "1"})
    assert answer.status_code == 403
    assert "sign in first" in answer.text


def test_the_wrong_password_signs_nobody_in(client: Console) -> None:
    csrf = token(client.get("/login").text)
    answer = client.post("/login", data={"csrf": csrf, "name": OPERATOR, "password": PASSWORD + "x"})
    assert answer.status_code == 401
    assert "not the console&#x27;s password" in answer.text
    assert client.get("/").status_code == 303


def test_signing_in_leads_back_to_the_page_asked_for_and_signing_out_ends_the_session(
    client: Console,
) -> None:
    login = client.get("/dead?source=igate-json")
    assert login.status_code == 303
    form = client.get(login.headers["location"])
    answer = client.post(
        "/login",
        data={
            "csrf": token(form.text),
            "name": OPERATOR,
            "password": PASSWORD,
            "next": "/dead?source=igate-json",
        },
    )
    assert answer.headers["location"] == "/dead?source=igate-json"
    page = client.get("/dead?source=igate-json")
    assert page.status_code == 200
    assert f'<strong id="operator">{OPERATOR}</strong>' in page.text
    assert client.post("/logout", data={"csrf": token(page.text)}).status_code == 303
    assert client.get("/dead").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_after_signing_in_the_console_never_redirects_to_another_site(client: Console, target: str) -> None:
    form = client.get("/login")
    answer = client.post(
        "/login", data={"csrf": token(form.text), "name": OPERATOR, "password": PASSWORD, "next": target}
    )
    assert answer.headers["location"] == "/"


def test_a_replay_without_the_session_token_is_refused_and_changes_nothing(
    client: Console, store_url: str
) -> None:
    with Store.open(store_url) as store:
        message_id = dead(store, 1)
    csrf = sign_in(client)
    for data in ({"id": str(message_id)}, {"id": str(message_id), "csrf": "forged" + csrf[6:]}):
        answer = client.post("/dead/replay", data=data)
        assert answer.status_code == 403
        assert "did not come from this console" in answer.text
    with Store.open(store_url) as store:
        assert store.states([message_id]) == {message_id: MessageState.DEAD}
        assert store.replays_of([message_id]) == []


def test_a_form_from_another_origin_is_refused_even_with_the_token(client: Console, store_url: str) -> None:
    with Store.open(store_url) as store:
        message_id = dead(store, 1)
    csrf = sign_in(client)
    answer = client.post(
        "/dead/replay", data={"id": str(message_id), "csrf": csrf}, headers={"Origin": "http://evil.example"}
    )
    assert answer.status_code == 403
    with Store.open(store_url) as store:
        assert store.states([message_id]) == {message_id: MessageState.DEAD}


def test_a_form_that_is_not_url_encoded_is_refused(client: Console) -> None:
    csrf = sign_in(client)
    answer = client.post(
        "/dead/replay", content=f'{{"csrf": "{csrf}"}}', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 415


def test_a_tampered_session_cookie_is_no_session(client: Console) -> None:
    sign_in(client)
    value = client.cookies[COOKIE]
    payload, signature = value.split(".")
    client.cookies.set(COOKIE, payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    assert client.get("/").status_code == 303


def test_the_session_cookie_is_http_only_and_same_site_strict(client: Console) -> None:
    answer = client.get("/login")
    cookie = answer.headers["set-cookie"].lower()
    assert f"{COOKIE}=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_for_a_while(client: Console) -> None:
    csrf = token(client.get("/login").text)
    for _ in range(MAX_FAILURES):
        client.post("/login", data={"csrf": csrf, "name": OPERATOR, "password": "wrong password!"})
    answer = client.post("/login", data={"csrf": csrf, "name": OPERATOR, "password": PASSWORD})
    assert answer.status_code == 429
    assert client.get("/").status_code == 303


def test_pages_forbid_scripts_framing_and_caching(client: Console) -> None:
    sign_in(client)
    answer = client.get("/")
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert "script-src" not in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert "<script" not in answer.text
