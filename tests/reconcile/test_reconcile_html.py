"""The HTML reconciliation report: the page as a string (escaping, counts, the empty report), then
as headless Chromium renders it (what an operator sees, and that hostile values stay text).

The browser half drives Debian's ``chromium`` with Playwright for Python, which never downloads a
browser of its own here. Without either it skips on a developer's machine and fails under CI (``CI``
set), so CI always runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lxml import html as lxml_html
from lxml.html import HtmlElement

from gateway.reconcile.html import render_html

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Error, Page, Request

HOSTILE_CODE = "<script>alert(1)</script>"
QUOTE_BREAKER = '"\'><img src=x onerror="window.__pwned=1">'
AGENCY = "Sở Tài nguyên và Môi trường tỉnh Bà Rịa – Vũng Tàu"
DAYS = ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"]


def attention_dossier(code: str, cls: str, **changes: Any) -> dict[str, Any]:
    dossier: dict[str, Any] = {
        "MaHoSo": code,
        "class": cls,
        "source": "igate-json",
        "agency": AGENCY,
        "revision": "20260503101500",
        "gateway_status": "4",
        "portal_status": "2" if cls == "stale" else None,
        "last_activity": "2026-05-03T10:15:00+07:00",
        "repaired": cls in {"missing", "stale", "differs"},
        "detail": "Cổng không có hồ sơ" if cls == "missing" else "khác",
    }
    dossier.update(changes)
    return dossier


def sample_report(dossiers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A report as the reconciliation's ``to_json()`` gives it: 200 dossiers received over five days."""
    if dossiers is None:
        dossiers = [
            attention_dossier("000.00.01.H56-260503-0007", "stale"),
            attention_dossier("000.00.01.H56-260501-0002", "missing"),
            attention_dossier(HOSTILE_CODE, "missing", detail=QUOTE_BREAKER),
            attention_dossier("000.00.01.H56-260502-0004", "differs", source="vnpt-xml"),
            attention_dossier("000.00.01.H56-260504-0001", "unknown", source=None, revision=None),
            attention_dossier("000.00.01.H56-260505-0003", "in_flight", repaired=False),
        ]
    drift_rows = [
        {"in_sync": 40, "missing": 1, "stale": 0, "differs": 0, "unknown": 0, "in_flight": 0},
        {"in_sync": 35, "missing": 0, "stale": 0, "differs": 1, "unknown": 0, "in_flight": 0},
        {"in_sync": 38, "missing": 1, "stale": 1, "differs": 0, "unknown": 0, "in_flight": 0},
        {"in_sync": 42, "missing": 0, "stale": 0, "differs": 0, "unknown": 1, "in_flight": 0},
        {"in_sync": 39, "missing": 0, "stale": 0, "differs": 0, "unknown": 0, "in_flight": 1},
    ]
    return {
        "run_id": 12,
        "generated_at": "2026-05-05T18:00:00+07:00",
        "window": {"since": "2026-04-28T18:00:00+07:00", "until": "2026-05-05T18:00:00+07:00"},
        "counts": {"in_sync": 194, "missing": 2, "stale": 1, "differs": 1, "unknown": 1, "in_flight": 1},
        "repaired": 4,
        "received": 199,
        "sync_rate": 194 / 199,
        "by_source": {
            "vnpt-xml": {"in_sync": 60, "differs": 1},
            "igate-json": {"in_sync": 134, "missing": 2, "stale": 1, "in_flight": 1},
        },
        "by_agency": {
            AGENCY: {"counts": {"in_sync": 120, "missing": 2, "stale": 1}, "sync_rate": 120 / 123},
            "UBND huyện Côn Đảo": {"counts": {"in_sync": 74, "differs": 1}, "sync_rate": 74 / 75},
        },
        "drift_over_time": [{"date": d, **row} for d, row in zip(DAYS, drift_rows, strict=True)],
        "dossiers": dossiers,
    }


def empty_report() -> dict[str, Any]:
    return {
        "run_id": 1,
        "generated_at": "2026-05-05T18:00:00+07:00",
        "window": {"since": None, "until": "2026-05-05T18:00:00+07:00"},
        "counts": dict.fromkeys(("in_sync", "missing", "stale", "differs", "unknown", "in_flight"), 0),
        "repaired": 0,
        "received": 0,
        "sync_rate": 1.0,
        "by_source": {},
        "by_agency": {},
        "drift_over_time": [],
        "dossiers": [],
    }


def parsed(report: dict[str, Any]) -> HtmlElement:
    return lxml_html.document_fromstring(render_html(report))


def elements(root: HtmlElement, path: str) -> list[HtmlElement]:
    """The elements an XPath finds (lxml types every XPath result as a union)."""
    found = root.xpath(path)
    assert isinstance(found, list)
    assert all(isinstance(e, HtmlElement) for e in found), path
    return [e for e in found if isinstance(e, HtmlElement)]


def text_of(root: HtmlElement, ident: str) -> str:
    return str(root.get_element_by_id(ident).text_content())


# --- the page as a string ---------------------------------------------------------------------------


def test_a_hostile_dossier_code_is_escaped_in_text_and_attributes() -> None:
    page = render_html(sample_report())
    assert HOSTILE_CODE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    doc = lxml_html.document_fromstring(page)
    assert elements(doc, "//script | //img") == []
    rows = elements(doc, "//table[@id='attention']//tr[@data-mahoso]")
    assert HOSTILE_CODE in [row.get("data-mahoso") for row in rows]
    details = [cell.text_content() for cell in elements(doc, "//td[@class='detail']")]
    assert QUOTE_BREAKER in details


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = render_html(sample_report(dossiers=[attention_dossier("A-1", "missing")]))
    for needle in ("<script", "<link", "<img", "src=", "href=", "url(", "@import", "<iframe"):
        assert needle not in page, needle
    assert "Content-Security-Policy" in page


def test_the_page_declares_utf8_and_vietnamese_and_keeps_diacritics() -> None:
    page = render_html(sample_report())
    assert '<meta charset="utf-8">' in page
    assert '<html lang="vi">' in page
    assert AGENCY in page
    assert "Cổng không có hồ sơ" in page


def test_counts_per_class_are_shown_in_cells_named_by_class() -> None:
    doc = parsed(sample_report())
    cells = {td.get("data-class"): td.text for td in elements(doc, "//table[@id='counts']//td")}
    assert cells == {
        "in_sync": "194",
        "missing": "2",
        "stale": "1",
        "differs": "1",
        "unknown": "1",
        "in_flight": "1",
    }


def test_the_sync_rate_is_the_share_received_in_sync_as_a_percentage() -> None:
    doc = parsed(sample_report())
    assert text_of(doc, "sync-rate") == "97.5%"
    assert text_of(doc, "in-sync-count") == "194"
    assert text_of(doc, "received-count") == "199"


def test_a_shortfall_is_never_rounded_up_to_a_full_sync_rate() -> None:
    report = sample_report()
    report["sync_rate"] = 0.9996
    assert text_of(parsed(report), "sync-rate") == "99.9%"


def test_per_source_and_per_agency_tables_hold_counts_and_the_agency_rate() -> None:
    doc = parsed(sample_report())
    vnpt = elements(doc, "//table[@id='by-source']//tr[@data-source='vnpt-xml']")[0]
    assert elements(vnpt, "td[@data-class='differs']")[0].text == "1"
    assert elements(vnpt, "td[@data-field='total']")[0].text == "61"
    agencies = elements(doc, "//table[@id='by-agency']//tr[@data-agency]")
    assert [row.get("data-agency") for row in agencies] == [AGENCY, "UBND huyện Côn Đảo"]
    assert elements(agencies[0], "td[@data-field='sync-rate']")[0].text == "97.6%"
    assert elements(agencies[1], "td[@data-class='missing']")[0].text == "0"


def test_dossiers_needing_attention_are_sorted_by_class_then_code() -> None:
    rows = elements(parsed(sample_report()), "//table[@id='attention']//tr[@data-mahoso]")
    assert [(row.get("data-class"), row.get("data-mahoso")) for row in rows] == [
        ("missing", "000.00.01.H56-260501-0002"),
        ("missing", HOSTILE_CODE),
        ("stale", "000.00.01.H56-260503-0007"),
        ("differs", "000.00.01.H56-260502-0004"),
        ("unknown", "000.00.01.H56-260504-0001"),
        ("in_flight", "000.00.01.H56-260505-0003"),
    ]
    assert [elements(row, "td[@data-field='repaired']")[0].text for row in rows] == [
        "yes",
        "yes",
        "yes",
        "yes",
        "no",
        "no",
    ]


def test_the_chart_has_one_bar_group_per_day_with_the_day_counts() -> None:
    doc = parsed(sample_report())
    days = elements(doc, "//*[@id='drift-chart']//*[@class='day']")
    assert [g.get("data-date") for g in days] == DAYS
    third = {r.get("data-class"): r.get("data-count") for r in elements(days[2], "*[@data-class]")}
    assert third == {
        "in_sync": "38",
        "missing": "1",
        "stale": "1",
        "differs": "0",
        "unknown": "0",
        "in_flight": "0",
    }


def test_an_empty_report_says_everything_is_in_sync() -> None:
    doc = parsed(empty_report())
    assert "Everything is in sync" in text_of(doc, "all-in-sync")
    assert elements(doc, "//table[@id='attention']") == []
    assert text_of(doc, "sync-rate") == "n/a"
    assert "the beginning" in text_of(doc, "window-since")


def test_a_report_without_drift_shows_a_full_sync_rate_and_nothing_to_attend_to() -> None:
    report = empty_report()
    report["counts"]["in_sync"] = report["received"] = 40
    doc = parsed(report)
    assert text_of(doc, "sync-rate") == "100.0%"
    assert "good" in (doc.get_element_by_id("sync-rate").get("class") or "")
    assert elements(doc, "//*[@id='all-in-sync']") != []


def test_a_count_that_is_not_an_integer_is_refused() -> None:
    report = sample_report()
    report["counts"]["missing"] = "2"
    with pytest.raises(TypeError, match="not an integer"):
        render_html(report)


# --- the page as Chromium renders it -----------------------------------------------------------------


class Opened:
    """A report opened from a file in Chromium, with what the page tried while loading: every
    request, every dialog (``alert``) and every error on the console."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", self.on_request)
        page.on("dialog", self.on_dialog)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
        page.goto(url, wait_until="load")

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error: Error) -> None:
        self.errors.append(str(error))


OpenReport = Callable[[dict[str, Any]], Opened]


@pytest.fixture
def open_report(browser: Browser, tmp_path: Path) -> Iterator[OpenReport]:
    """Opens a report rendered to a file of the test's own, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def open_(report: dict[str, Any]) -> Opened:
        path = tmp_path / "report.html"
        path.write_text(render_html(report), encoding="utf-8")
        return Opened(context.new_page(), path.as_uri())

    try:
        yield open_
    finally:
        context.close()


def test_chromium_shows_the_sync_rate_and_the_counts(open_report: OpenReport) -> None:
    page = open_report(sample_report()).page
    assert page.locator("#sync-rate").inner_text() == "97.5%"
    assert page.locator("#sync-rate").is_visible()
    assert page.locator("#counts td[data-class='missing']").inner_text().startswith("2")
    assert "Bà Rịa – Vũng Tàu" in page.locator("#by-agency").inner_text()


def test_chromium_shows_one_attention_row_per_dossier_not_in_sync(open_report: OpenReport) -> None:
    page = open_report(sample_report()).page
    rows = page.locator("#attention tbody tr[data-mahoso]")
    assert rows.count() == 6
    assert rows.first.locator("td").first.inner_text() == "000.00.01.H56-260501-0002"


def test_chromium_draws_one_visible_bar_group_per_day(open_report: OpenReport) -> None:
    page = open_report(sample_report()).page
    groups = page.locator("#drift-chart g.day")
    assert groups.count() == len(DAYS)
    tops = []
    for i in range(len(DAYS)):
        box = groups.nth(i).locator("rect[data-class='in_sync']").bounding_box()
        assert box is not None
        tops.append(box["y"])
    # Day 4 has the most dossiers in sync (42), day 2 the fewest (35): the rendered bars say so.
    assert min(tops) == tops[3]
    assert max(tops) == tops[1]
    missing = page.locator("#drift-chart g.day[data-date='2026-05-01'] rect[data-class='missing']")
    box = missing.bounding_box()
    assert box is not None
    assert box["height"] > 0
    chart_text = page.locator("#drift-chart").text_content() or ""
    for label in (
        "Not in sync",
        "Day of last activity",
        "Missing",
        "Stale",
        "Differs",
        "In flight",
        "In sync",
    ):
        assert label in chart_text


def test_chromium_shows_a_hostile_code_as_text_and_runs_no_script(open_report: OpenReport) -> None:
    opened = open_report(sample_report())
    page = opened.page
    row = page.locator("#attention tbody tr").nth(1)
    assert row.locator("td").first.inner_text() == HOSTILE_CODE
    assert QUOTE_BREAKER in row.inner_text()
    assert page.locator("script, img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert opened.dialogs == []
    assert opened.errors == []


def test_chromium_loads_nothing_but_the_page_itself(open_report: OpenReport) -> None:
    opened = open_report(sample_report())
    assert opened.requests == [opened.url]


def test_chromium_shows_an_empty_report_as_all_in_sync(open_report: OpenReport) -> None:
    page = open_report(empty_report()).page
    assert page.locator("#all-in-sync").is_visible()
    assert "Everything is in sync" in page.locator("#all-in-sync").inner_text()
    assert page.locator("#attention").count() == 0
