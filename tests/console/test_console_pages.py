"""The console's pages over a store: hostile values stay text, the dead letters filter as the command
does, a confirmed replay is the command's replay recorded as ``console:<name>``, the dashboard counts
what the ledger holds."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from gateway.store import MessageState, Store
from gateway.synthetic import dossier_code, igate_record
from tests.console.console_client import OPERATOR, Console, console, sign_in, token
from tests.ops.ledger import acknowledge, dead, kill, message_of
from tests.services import broker_prefix

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"


@pytest.fixture
def client(store_url: str) -> Iterator[Console]:
    with broker_prefix() as prefix, console(store_url, prefix=prefix) as opened:
        sign_in(opened)
        yield opened


def hostile_dead_letter(store: Store) -> int:
    """A dead message whose code, source file, reason and original bytes are all markup."""
    new = dataclasses.replace(
        message_of(igate_record(7)), ma_ho_so=HOSTILE, source_file=HOSTILE, raw=HOSTILE.encode() + b"\xff"
    )
    [stored] = store.ingest(None, [new], [])
    kill(store, stored.message_id, reason=HOSTILE)
    return stored.message_id


def assert_inert(page: str) -> None:
    """The hostile value is on the page only as text: escaped, never as an element or attribute."""
    assert HOSTILE not in page
    assert "<script" not in page
    assert "<img" not in page
    assert html.escape(HOSTILE, quote=True) in page
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//script | //img | //*[@onerror]")


@pytest.mark.parametrize("path", ["/dead", "/dead/{id}", "/dossier?code={code}", "/"])
def test_hostile_values_from_the_store_are_shown_as_text(client: Console, store_url: str, path: str) -> None:
    with Store.open(store_url) as store:
        message_id = hostile_dead_letter(store)
    answer = client.get(path.format(id=message_id, code=HOSTILE), params=None)
    assert answer.status_code == 200, answer.text
    if path != "/":
        assert_inert(answer.text)
    else:
        assert '<a id="dead-count"' in answer.text


def test_a_hostile_filter_value_is_echoed_as_text(client: Console) -> None:
    answer = client.get("/dead", params={"dossier": HOSTILE, "since": HOSTILE})
    assert answer.status_code == 200
    assert_inert(answer.text)
    assert "is not an ISO 8601 date" in answer.text


def test_the_dead_letter_list_filters_as_dvcgw_dead_list_does(client: Console, store_url: str) -> None:
    with Store.open(store_url) as store:
        refused = dead(store, 1)
        dead(store, 2, error_class="CallUnavailable", reason="gave up after 10 attempts")
    page = client.get("/dead", params={"error_class": "portalrefused"}).text
    rows = lxml_html.fromstring(page).xpath('//table[@id="dead-letters"]/tbody/tr')
    assert [int(row.get("data-id")) for row in rows] == [refused]
    assert rows[0].get("data-mahoso") == dossier_code(1)
    assert "1 dead message, newest death first" in page


def test_one_dead_letter_shows_reason_attempts_packet_and_original_record(
    client: Console, store_url: str
) -> None:
    with Store.open(store_url) as store:
        message_id = dead(store, 3)
        raw = store.message(message_id).raw  # type: ignore[union-attr]
    page = client.get(f"/dead/{message_id}").text
    tree = lxml_html.fromstring(page)
    assert "unknown procedure 2.000123" in tree.get_element_by_id("reason").text_content()
    assert len(tree.xpath('//table[@id="attempts"]/tbody/tr')) == 1
    assert dossier_code(3) in tree.get_element_by_id("packet").text_content()
    assert tree.get_element_by_id("original").text_content() == raw.decode()


def test_a_message_that_is_not_dead_is_not_shown_as_one(client: Console, store_url: str) -> None:
    with Store.open(store_url) as store:
        [stored] = store.ingest(None, [message_of(igate_record(4))], [])
        acknowledge(store, stored.message_id)
    answer = client.get(f"/dead/{stored.message_id}")
    assert answer.status_code == 404
    assert "is not dead: it is" in answer.text


def test_a_confirmed_replay_hands_the_latest_revision_back_recorded_as_the_console_operator(
    client: Console, store_url: str
) -> None:
    with Store.open(store_url) as store:
        older = dead(store, 5, revision=0)
        latest = dead(store, 5, revision=1)
    csrf = token(client.get("/dead").text)
    plan = client.post("/dead/replay/plan", data={"csrf": csrf, "id": [str(older), str(latest)]})
    assert plan.status_code == 200
    tree = lxml_html.fromstring(plan.text)
    assert [int(r.get("data-id")) for r in tree.xpath('//tr[@class="chosen"]')] == [latest]
    assert [int(r.get("data-id")) for r in tree.xpath('//tr[@class="skipped"]')] == [older]
    with Store.open(store_url) as store:
        assert store.states([older, latest]) == {older: MessageState.DEAD, latest: MessageState.DEAD}

    confirmed = [
        i.get("value") for i in tree.xpath('//form[.//button[@id="confirm-replay"]]//input[@name="id"]')
    ]
    assert confirmed == [str(latest)]
    done = client.post("/dead/replay", data={"csrf": token(plan.text), "id": confirmed})
    assert done.status_code == 200
    assert "1 replayed, 0 skipped, 0 not." in done.text
    assert "1 pending messages handed to RabbitMQ for delivery" in done.text
    with Store.open(store_url) as store:
        assert store.states([older, latest]) == {older: MessageState.DEAD, latest: MessageState.QUEUED}
        [record] = store.replays_of([latest])
    assert record.operator == f"console:{OPERATOR}"
    assert record.selection == f"--id {latest}"


def test_replaying_nothing_ticked_asks_for_a_selection_instead_of_replaying_everything(
    client: Console, store_url: str
) -> None:
    with Store.open(store_url) as store:
        message_id = dead(store, 6)
    answer = client.post("/dead/replay/plan", data={"csrf": token(client.get("/dead").text)})
    assert answer.status_code == 400
    assert "Tick at least one dead message" in answer.text
    with Store.open(store_url) as store:
        assert store.states([message_id]) == {message_id: MessageState.DEAD}


def test_the_dashboard_counts_the_ledger_and_charts_this_hour(client: Console, store_url: str) -> None:
    with Store.open(store_url) as store:
        for i in range(3):
            [stored] = store.ingest(None, [message_of(igate_record(10 + i))], [])
            acknowledge(store, stored.message_id)
        dead(store, 20)
        store.ingest(None, [message_of(igate_record(21))], [])
    tree = lxml_html.fromstring(client.get("/", params={"hours": "6"}).text)
    assert tree.get_element_by_id("dead-count").text_content() == "1"
    assert tree.get_element_by_id("backlog").text_content() == "1"
    assert tree.get_element_by_id("delivered").text_content() == "3"
    assert tree.xpath('//td[@data-state="acked"]')[0].text_content() == "3"
    hours = tree.xpath('//svg[@id="throughput-chart"]/g[@class="hour"]')
    assert len(hours) == 6
    now = hours[-1]
    assert now.xpath('rect[@data-series="acked"]')[0].get("data-count") == "3"
    assert now.xpath('rect[@data-series="dead"]')[0].get("data-count") == "1"
    assert tree.get_element_by_id("sync-rate").text_content() == "—"


def test_the_reconciliation_page_says_when_none_has_run(client: Console) -> None:
    page = client.get("/reconciliation").text
    assert "No reconciliation has run yet" in page
    assert re.search(r'id="no-run"', page)


def test_a_replay_without_rabbitmq_leaves_the_message_pending_for_the_daemon_and_says_so(
    store_url: str,
) -> None:
    with Store.open(store_url) as store:
        message_id = dead(store, 8)
    with console(store_url) as client:  # its RabbitMQ is unreachable
        csrf = sign_in(client)
        done = client.post("/dead/replay", data={"csrf": csrf, "id": str(message_id)})
    assert done.status_code == 200
    assert "RabbitMQ could not be reached" in done.text
    with Store.open(store_url) as store:
        assert store.states([message_id]) == {message_id: MessageState.PENDING}
