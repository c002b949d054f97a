"""The reconciliation report as one self-contained HTML page, for ``dvcgw reconcile --report x.html``.

Written for the province's operators and for whoever answers for the Decision 766 figure: the share
of the dossiers the gateway received that the national portal holds with the right status. The page
shows that figure, the counts per class, per source and per agency, a chart of drift over the window
and the dossiers that need attention.

It renders the report dict of the reconciliation (its ``to_json()``) and nothing else: no script, no
font, no image, no stylesheet from elsewhere, so it opens the same from a mail attachment as from the
server. Every value in the report is treated as hostile (a dossier code, an agency name, a portal's
reason all come from outside) and goes through ``html.escape``; a Content-Security-Policy that
forbids scripts and every fetch stands behind the escaping.

Elements tests and tools can find: ``#sync-rate`` (the figure as a percentage), ``#counts`` with one
cell per class (``data-class``), ``#by-source`` and ``#by-agency`` (rows with ``data-source`` /
``data-agency``, cells with ``data-class``, the agency's rate in ``data-field="sync-rate"``),
``#drift-chart`` (an SVG with one ``g.day`` per day, ``data-date``, holding one ``rect`` per class
with ``data-class`` and ``data-count``) and ``#attention`` (rows with ``data-mahoso`` and
``data-class``), or ``#all-in-sync`` when no dossier needs attention.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, TypeGuard

from gateway.ops.times import OPERATOR_TZ

CLASSES: tuple[str, ...] = ("in_sync", "missing", "stale", "differs", "unknown", "in_flight")
"""Every class of the reconciliation, in the order the page shows them."""

LABELS: Mapping[str, str] = {
    "in_sync": "In sync",
    "missing": "Missing",
    "stale": "Stale",
    "differs": "Differs",
    "unknown": "Unknown",
    "in_flight": "In flight",
}

MEANINGS: Mapping[str, str] = {
    "in_sync": "the portal holds the latest revision with the right content",
    "missing": "the portal does not hold the dossier",
    "stale": "the portal holds an older revision or another status",
    "differs": "same revision at the portal, different content",
    "unknown": "the portal holds it, the gateway never sent it",
    "in_flight": "the latest revision is not yet acknowledged (not drift)",
}

COLOURS: Mapping[str, str] = {
    "in_sync": "#8fd19e",
    "missing": "#d62828",
    "stale": "#f77f00",
    "differs": "#7b2cbf",
    "unknown": "#6c757d",
    "in_flight": "#4ea8de",
}

NOT_IN_SYNC: tuple[str, ...] = ("missing", "stale", "differs", "unknown", "in_flight")
"""The classes stacked in the chart's upper band, from the axis up."""

DRIFT: frozenset[str] = frozenset({"missing", "stale", "differs"})
"""The classes that are drift, which the gateway repairs (unknown and in-flight dossiers are not)."""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_STYLE = """
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --rule: #d8dde6; --band: #f4f6fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 15px/1.5 system-ui, "Segoe UI", Roboto, "Noto Sans",
  "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
.meta { color: var(--muted); margin: 0; font-size: 13px; }
.window { font-size: 17px; font-weight: 600; margin: 0 0 2px; }
.window span { white-space: nowrap; }
.scroll { overflow-x: auto; }
.headline { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 20px; align-items: stretch; }
.figure { padding: 14px 20px; border-radius: 8px; background: var(--band); min-width: 260px; }
.figure .value { font-size: 40px; font-weight: 700; line-height: 1.1; }
.figure .what { color: var(--muted); font-size: 13px; max-width: 320px; }
.good { color: #1b7f3b; } .bad { color: #b3261e; }
table { border-collapse: collapse; margin: 4px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; font-size: 13px; white-space: nowrap; }
td.n, th.n { text-align: right; }
td.zero { color: #b8bec9; }
#counts td { font-size: 20px; font-weight: 600; min-width: 96px; }
#counts td small { display: block; font-size: 11px; font-weight: 400; color: var(--muted); max-width: 150px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
#attention { font-size: 13px; }
#attention th { white-space: normal; }
#attention th, #attention td { padding: 5px 7px; }
#attention td.source { white-space: nowrap; }
#attention td.code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
#attention td.when { white-space: nowrap; }
#attention td.agency { min-width: 150px; }
#attention td.detail { min-width: 180px; max-width: 420px; overflow-wrap: anywhere; }
#attention td.mismatch { background: #fff4e5; }
.ok { padding: 12px 16px; border-radius: 8px; background: #e7f6ec; color: #1b7f3b; font-weight: 600; }
.empty { color: var(--muted); }
svg text { font-family: inherit; fill: var(--ink); }
svg .axis line, svg .axis path { stroke: #8a93a3; }
svg .grid line { stroke: #e6e9ef; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
"""


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page for one reconciliation report (the dict of the report's ``to_json()``)."""
    window = report.get("window") or {}
    since, until = _when(window.get("since"), "the beginning"), _when(window.get("until"), "now")
    generated = _when(report.get("generated_at"), "unknown time")
    run = _text(report.get("run_id"))
    title = f"Reconciliation with the national portal, {since} to {until}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_attr(_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        '<h1 id="title">Reconciliation with the national portal</h1>',
        '<p class="window" id="window">Dossiers active from '
        f'<span id="window-since">{_esc(since)}</span> to <span id="window-until">{_esc(until)}</span></p>',
        f'<p class="meta" id="generated">Run #{_esc(run)}, generated {_esc(generated)}. '
        "Times are Vietnam's (UTC+07:00).</p>",
        "</header>",
        _headline(report),
        _counts_table(report.get("counts") or {}),
        _drift_chart(report.get("drift_over_time") or []),
        _by_source_table(report.get("by_source") or {}),
        _by_agency_table(report.get("by_agency") or {}),
        _attention_table(report.get("dossiers") or []),
        "<footer>Classes: "
        + "; ".join(f"{_esc(LABELS[c])}: {_esc(MEANINGS[c])}" for c in CLASSES)
        + ". The sync rate is the Decision 766 figure: dossiers in sync at the portal divided by the "
        "dossiers the gateway received in the window.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _headline(report: Mapping[str, Any]) -> str:
    counts = report.get("counts") or {}
    received = _count(report.get("received"))
    in_sync = _count(counts.get("in_sync"))
    drift = sum(_count(counts.get(c)) for c in DRIFT)
    rate = report.get("sync_rate")
    tone = "good" if drift == 0 else "bad"
    rate_text, rate_tone = (_percent(rate), tone) if received else ("n/a", "")
    return (
        '<section class="headline">'
        '<div class="figure">'
        f'<div class="value {rate_tone}" id="sync-rate" data-rate="{_attr(_text(rate))}">'
        f"{_esc(rate_text)}</div>"
        f'<div class="what">Sync rate (Decision 766): <span id="in-sync-count">{in_sync}</span> of '
        f'<span id="received-count">{received}</span> dossiers the gateway received are in sync '
        "at the portal.</div></div>"
        '<div class="figure">'
        f'<div class="value {tone}" id="drift-count">{drift}</div>'
        '<div class="what">dossiers drifted (missing, stale or differs)</div></div>'
        '<div class="figure">'
        f'<div class="value" id="repaired-count">{_count(report.get("repaired"))}</div>'
        '<div class="what">re-enqueued by this run to repair drift</div></div>'
        "</section>"
    )


def _counts_table(counts: Mapping[str, Any]) -> str:
    head = "".join(f'<th scope="col">{_swatch(c)}{_esc(LABELS[c])}</th>' for c in CLASSES)
    cells = "".join(
        f'<td data-class="{_attr(c)}" class="n">{_count(counts.get(c))}'
        f"<small>{_esc(MEANINGS[c])}</small></td>"
        for c in CLASSES
    )
    return (
        '<section><h2>Dossiers per class</h2><div class="scroll"><table id="counts">'
        f"<thead><tr>{head}</tr></thead><tbody><tr>{cells}</tr></tbody></table></div></section>"
    )


def _class_cells(counts: Mapping[str, Any]) -> str:
    cells = []
    for c in CLASSES:
        n = _count(counts.get(c))
        zero = " zero" if n == 0 else ""
        cells.append(f'<td data-class="{_attr(c)}" class="n{zero}">{n}</td>')
    total = sum(_count(counts.get(c)) for c in CLASSES)
    cells.append(f'<td data-field="total" class="n">{total}</td>')
    return "".join(cells)


def _class_header(first: str, extra: str = "") -> str:
    heads = "".join(f'<th scope="col" class="n">{_esc(LABELS[c])}</th>' for c in CLASSES)
    total = '<th scope="col" class="n">Total</th>'
    return f'<thead><tr><th scope="col">{_esc(first)}</th>{heads}{total}{extra}</tr></thead>'


def _by_source_table(by_source: Mapping[str, Any]) -> str:
    if not by_source:
        return _empty_section("Per source", "by-source", "No source had activity in the window.")
    rows = []
    for source in sorted(by_source, key=str):
        counts = by_source[source] or {}
        rows.append(
            f'<tr data-source="{_attr(_text(source))}"><th scope="row">{_esc(_text(source))}</th>'
            f"{_class_cells(counts)}</tr>"
        )
    return (
        f'<section><h2>Per source</h2><div class="scroll"><table id="by-source">{_class_header("Source")}'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _by_agency_table(by_agency: Mapping[str, Any]) -> str:
    if not by_agency:
        return _empty_section("Per agency", "by-agency", "No agency had activity in the window.")

    def worst_first(agency: Any) -> tuple[float, str]:
        rate = (by_agency[agency] or {}).get("sync_rate")
        return (float(rate) if _is_number(rate) else math.inf, str(agency))

    rows = []
    for agency in sorted(by_agency, key=worst_first):
        entry = by_agency[agency] or {}
        rate = entry.get("sync_rate")
        rows.append(
            f'<tr data-agency="{_attr(_text(agency))}"><th scope="row">{_esc(_text(agency))}</th>'
            f"{_class_cells(entry.get('counts') or {})}"
            f'<td data-field="sync-rate" data-rate="{_attr(_text(rate))}" class="n">'
            f"{_esc(_percent(rate))}</td></tr>"
        )
    header = _class_header("Agency", '<th scope="col" class="n">Sync rate</th>')
    return (
        '<section><h2>Per agency <span class="meta">(lowest sync rate first)</span></h2>'
        f'<div class="scroll"><table id="by-agency">{header}<tbody>{"".join(rows)}</tbody></table></div>'
        "</section>"
    )


def _attention_table(dossiers: Sequence[Mapping[str, Any]]) -> str:
    if not dossiers:
        return (
            '<section><h2>Dossiers needing attention</h2><p class="ok" id="all-in-sync">'
            "Everything is in sync: no dossier in the window needs attention.</p></section>"
        )
    heads = (
        "MaHoSo",
        "Class",
        "Source",
        "Agency",
        "Revision",
        "Gateway status",
        "Portal status",
        "Last activity",
        "Repaired",
        "Detail",
    )
    rows = []
    for d in sorted(dossiers, key=_attention_key):
        cls = _text(d.get("class"))
        gateway_status, portal_status = d.get("gateway_status"), d.get("portal_status")
        mismatch = ' class="mismatch"' if gateway_status != portal_status else ""
        repaired = "yes" if d.get("repaired") is True else "no"
        rows.append(
            f'<tr data-mahoso="{_attr(_text(d.get("MaHoSo")))}" data-class="{_attr(cls)}">'
            f'<td class="code">{_esc(_text(d.get("MaHoSo")))}</td>'
            f"<td>{_pill(cls)}</td>"
            f'<td class="source">{_esc(_text(d.get("source")))}</td>'
            f'<td class="agency">{_esc(_text(d.get("agency")))}</td>'
            f'<td class="code">{_esc(_text(d.get("revision")))}</td>'
            f'<td data-field="gateway-status"{mismatch}>{_esc(_text(gateway_status))}</td>'
            f'<td data-field="portal-status"{mismatch}>{_esc(_text(portal_status))}</td>'
            f'<td class="when">{_esc(_when(d.get("last_activity"), "—"))}</td>'
            f'<td data-field="repaired">{repaired}</td>'
            f'<td class="detail">{_esc(_text(d.get("detail")))}</td></tr>'
        )
    head = "".join(f'<th scope="col">{_esc(h)}</th>' for h in heads)
    return (
        f'<section><h2>Dossiers needing attention <span class="meta">({len(rows)})</span></h2>'
        f'<div class="scroll"><table id="attention"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _attention_key(dossier: Mapping[str, Any]) -> tuple[int, str, str]:
    cls = _text(dossier.get("class"))
    rank = NOT_IN_SYNC.index(cls) if cls in NOT_IN_SYNC else len(NOT_IN_SYNC)
    return (rank, cls, _text(dossier.get("MaHoSo")))


# --- the chart ------------------------------------------------------------------------------------

_W, _LEFT, _RIGHT = 960, 72, 16
_LEGEND_Y = 14
_DRIFT_TOP, _DRIFT_H = 48, 190
_SYNC_TOP, _SYNC_H = 268, 80
_X_LABELS_Y = _SYNC_TOP + _SYNC_H + 18
_H = _X_LABELS_Y + 30


@dataclass(frozen=True)
class _Panel:
    """One band of the chart: its place on the page and the scale of its values."""

    top: float
    height: float
    maximum: int
    step: int

    @classmethod
    def fitting(cls, top: float, height: float, largest: int) -> _Panel:
        maximum, step = _axis(largest)
        return cls(top, height, maximum, step)

    def y(self, value: float) -> float:
        return self.top + self.height - self.height * value / self.maximum


def _drift_chart(days: Iterable[Mapping[str, Any]]) -> str:
    """Bars per day of the window in two bands on one day axis: above, the dossiers not in sync
    stacked by class; below, the dossiers in sync. A handful of missing dossiers among thousands in
    sync would be a sliver on a common scale, so each band has its own."""
    days = sorted(days, key=lambda day: _text(day.get("date")))
    if not days:
        return _empty_section("Drift over the window", "drift-chart", "No activity in the window.")
    drift = _Panel.fitting(
        _DRIFT_TOP, _DRIFT_H, max(sum(_count(d.get(c)) for c in NOT_IN_SYNC) for d in days)
    )
    sync = _Panel.fitting(_SYNC_TOP, _SYNC_H, max(_count(d.get("in_sync")) for d in days))
    slot = (_W - _LEFT - _RIGHT) / len(days)
    width = max(1.0, min(48.0, slot * 0.7))
    out = [
        f'<svg id="drift-chart" role="img" viewBox="0 0 {_W} {_H}" width="100%" '
        f'style="max-width:{_W}px" xmlns="http://www.w3.org/2000/svg" aria-labelledby="drift-title">',
        '<title id="drift-title">Dossiers per day of last activity: not in sync, by class; in sync</title>',
        _legend(),
        _y_axis(drift, "Not in sync"),
        _y_axis(sync, "In sync"),
        _x_axis([_short_date(d.get("date")) for d in days], slot),
        '<g class="bars">',
    ]
    for i, day in enumerate(days):
        out.append(_day_bars(day, _LEFT + slot * (i + 0.5) - width / 2, width, drift, sync))
    out.append("</g></svg>")
    return f"<section><h2>Drift over the window</h2>{''.join(out)}</section>"


def _day_bars(day: Mapping[str, Any], x: float, width: float, drift: _Panel, sync: _Panel) -> str:
    date = _text(day.get("date"))
    parts = [f'<g class="day" data-date="{_attr(date)}">']
    stacks = [(c, drift) for c in NOT_IN_SYNC] + [("in_sync", sync)]
    base: dict[_Panel, int] = {}
    for c, panel in stacks:
        n = _count(day.get(c))
        low = base.get(panel, 0)
        base[panel] = low + n
        parts.append(
            f'<rect data-class="{_attr(c)}" data-count="{n}" x="{x:.1f}" y="{panel.y(low + n):.1f}" '
            f'width="{width:.1f}" height="{panel.y(low) - panel.y(low + n):.1f}" fill="{COLOURS[c]}">'
            f"<title>{_esc(date)}: {n} {_esc(LABELS[c].lower())}</title></rect>"
        )
    parts.append("</g>")
    return "".join(parts)


def _y_axis(panel: _Panel, title: str) -> str:
    ticks = range(0, panel.maximum + 1, panel.step)
    bottom = panel.top + panel.height
    grid = "".join(
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{panel.y(t):.1f}" y2="{panel.y(t):.1f}"/>' for t in ticks
    )
    labels = "".join(f'<text x="{_LEFT - 8}" y="{panel.y(t) + 4:.1f}">{t}</text>' for t in ticks)
    return (
        f'<g class="grid">{grid}</g>'
        f'<g class="axis y-axis" font-size="12" text-anchor="end">{labels}'
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{panel.top}" y2="{bottom}"/>'
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{bottom}" y2="{bottom}"/>'
        f'<text class="axis-title" transform="rotate(-90)" x="{-(panel.top + panel.height / 2):.1f}" y="18" '
        f'text-anchor="middle" font-size="13">{_esc(title)}</text></g>'
    )


def _x_axis(labels: Sequence[str], slot: float) -> str:
    every = max(1, math.ceil(len(labels) / 16))
    texts = "".join(
        f'<text x="{_LEFT + slot * (i + 0.5):.1f}" y="{_X_LABELS_Y}">{_esc(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0 or i == len(labels) - 1
    )
    return (
        f'<g class="axis x-axis" font-size="12" text-anchor="middle">{texts}'
        f'<text class="axis-title" x="{(_LEFT + _W - _RIGHT) / 2:.1f}" y="{_H - 6}" font-size="13">'
        "Day of last activity</text></g>"
    )


def _legend() -> str:
    parts = ['<g class="legend" font-size="12">']
    x = _LEFT
    for c in (*NOT_IN_SYNC, "in_sync"):
        parts.append(
            f'<g data-class="{_attr(c)}">'
            f'<rect x="{x}" y="{_LEGEND_Y}" width="12" height="12" rx="2" fill="{COLOURS[c]}"/>'
            f'<text x="{x + 17}" y="{_LEGEND_Y + 10}">{_esc(LABELS[c])}</text></g>'
        )
        x += 30 + 8 * len(LABELS[c])
    parts.append("</g>")
    return "".join(parts)


def _axis(largest: int) -> tuple[int, int]:
    """The top of a value axis and its tick step: 1, 2 or 5 times a power of ten, five ticks or so."""
    if largest <= 0:
        return 1, 1
    rough = largest / 5
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return math.ceil(largest / step) * step, step


# --- values ---------------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return escape(text, quote=False)


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _text(value: Any) -> str:
    return "—" if value is None else str(value)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> int:
    """A count from the report; absent means none. Anything but a whole number is a broken report."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a count in the reconciliation report is not an integer: {value!r}")
    return value


def _percent(rate: Any) -> str:
    """A share as a percentage with one decimal, never rounding a shortfall up to 100 % or a few to 0 %."""
    if not _is_number(rate):
        return "n/a"
    shown = round(float(rate) * 100, 1)
    if shown >= 100 and rate < 1:
        shown = 99.9
    elif shown <= 0 < rate:
        shown = 0.1
    return f"{shown:.1f}%"


def _when(value: Any, absent: str) -> str:
    """An ISO time of the report in Vietnam's time, to the minute; anything that is not one, as it is."""
    if value is None:
        return absent
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(OPERATOR_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")


def _short_date(value: Any) -> str:
    text = _text(value)
    try:
        return datetime.strptime(text, "%Y-%m-%d").strftime("%d/%m")
    except ValueError:
        return text


def _empty_section(heading: str, ident: str, text: str) -> str:
    return f'<section><h2>{_esc(heading)}</h2><p class="empty" id="{ident}">{_esc(text)}</p></section>'


def _swatch(cls: str) -> str:
    return f'<span class="swatch" style="background:{COLOURS[cls]}"></span>'


def _pill(cls: str) -> str:
    colour = COLOURS.get(cls, "#6c757d")
    label = LABELS.get(cls, cls)
    return f'<span class="pill" style="background:{colour}">{_esc(label)}</span>'
