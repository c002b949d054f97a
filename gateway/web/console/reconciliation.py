"""The newest reconciliation report in the console: its figures, and the page ``dvcgw reconcile`` writes.

``/reconciliation`` shows the newest run (or ``?run=N``): the window, the Decision 766 sync rate,
the counts per class and the dossiers that need attention, each linked to its life. Its report is
the reconciliation's own (``gateway.reconcile.report.build_report``); ``/reconciliation/report``
serves the very page ``dvcgw reconcile --report x.html`` writes (``gateway.reconcile.html``) and
``/reconciliation/report.json`` the JSON document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import HTMLResponse, Response

from gateway.reconcile.html import CLASSES, COLOURS, LABELS, MEANINGS, render_html
from gateway.reconcile.report import Report, build_report
from gateway.store import ReconcileRunRow, Store
from gateway.web.console.guard import Visit
from gateway.web.console.layout import HEADERS
from gateway.web.console.layout import when as at
from gateway.web.console.markup import Markup, html, join

LISTED = 500
"""Dossiers needing attention listed on the page; the full report has them all."""


def _chosen(visit: Visit) -> int | None:
    text = visit.param("run")
    return int(text) if text.isdigit() else None


def _read(store: Store, run_id: int | None) -> tuple[ReconcileRunRow | None, Report | None]:
    run = store.reconcile_run(run_id) if run_id is not None else store.latest_reconcile_run()
    return run, (build_report(store, run.id) if run is not None else None)


def _counts(document: dict[str, Any]) -> Markup:
    counts = document["counts"]
    cells = join(
        html(
            '<tr><td><span class="swatch" style="background:{c}"></span>{label}</td>'
            '<td class="n" data-class="{cls}">{n}</td><td class="muted">{meaning}</td></tr>',
            c=COLOURS[cls],
            label=LABELS[cls],
            cls=cls,
            n=counts.get(cls, 0),
            meaning=MEANINGS[cls],
        )
        for cls in CLASSES
    )
    return html(
        '<table id="counts"><thead><tr><th>class</th><th class="n">dossiers</th><th>meaning</th></tr></thead>'
        "<tbody>{cells}</tbody></table>",
        cells=cells,
    )


def _attention(visit: Visit, dossiers: list[dict[str, Any]]) -> Markup:
    if not dossiers:
        return Markup('<p class="notice ok" id="all-in-sync">Every dossier judged is in sync.</p>')
    rows = join(
        html(
            '<tr data-mahoso="{code}" data-class="{cls}"><td class="code"><a href="{href}">{code}</a></td>'
            '<td class="nowrap">{label}</td><td class="nowrap">{source}</td><td class="agency">{agency}</td>'
            '<td class="code">{rev}</td><td>{gw}</td>'
            '<td>{portal}</td><td class="when">{when}</td><td>{repaired}</td>'
            '<td class="reason">{detail}</td></tr>',
            code=d["MaHoSo"],
            href=visit.href("/dossier", code=d["MaHoSo"]),
            cls=d["class"],
            label=LABELS.get(d["class"], d["class"]),
            source=d["source"] or "—",
            agency=d["agency"] or "—",
            rev=d["revision"] or "—",
            gw=d["gateway_status"] or "—",
            portal=d["portal_status"] or "—",
            when=at(datetime.fromisoformat(d["last_activity"])) if d["last_activity"] else "—",
            repaired="yes" if d["repaired"] else "no",
            detail=d["detail"],
        )
        for d in dossiers[:LISTED]
    )
    more = (
        html(
            '<p class="meta">The first {n} of {total}; the full report lists them all.</p>',
            n=LISTED,
            total=len(dossiers),
        )
        if len(dossiers) > LISTED
        else Markup("")
    )
    return html(
        '<table id="attention" class="wide"><thead><tr><th>dossier</th><th>class</th><th>source</th>'
        "<th>agency</th><th>revision</th><th>gateway status</th><th>portal status</th>"
        "<th>last activity (+07:00)</th>"
        "<th>repaired</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        rows=rows,
        more=more,
    )


async def reconciliation(visit: Visit) -> Response:
    wanted = _chosen(visit)
    run, report = await visit.stores.run(lambda store: _read(store, wanted))
    if run is None or report is None:
        what = (
            f"There is no reconciliation run #{wanted}."
            if wanted is not None
            else "No reconciliation has run yet."
        )
        body = html(
            '<h1>Reconciliation</h1><p class="notice warn" id="no-run">{what}</p>'
            '<p>Run <span class="mono">dvcgw reconcile</span>, or let the daemon run it every '
            '<span class="mono">reconcile.interval_min</span> minutes.</p>',
            what=what,
        )
        return visit.respond("Reconciliation", body, here="reconciliation", status=404 if wanted else 200)
    document = report.to_json()
    rate = document["sync_rate"] * 100
    body = html(
        "<h1>Reconciliation run #{id}</h1>"
        '<p class="meta">window {since} → {until}; {source}; started {started} by {by} ({operator}); '
        "{state}</p>"
        '<div class="cards"><div class="card {tone}"><div class="value" id="sync-rate">{rate}</div>'
        '<div class="what">in sync: Decision 766 figure ({in_sync} of {received} dossiers received)'
        "</div></div>"
        '<div class="card"><div class="value" id="drift">{drift}</div><div class="what">drifted '
        "(missing, stale or differs)</div></div>"
        '<div class="card"><div class="value" id="repaired">{repaired}</div><div class="what">repaired '
        "through the pipeline</div></div></div>"
        '<div class="actions"><a class="button secondary" id="full-report" href="{full}">Full report</a>'
        '<a href="{json}">JSON</a></div>'
        "<h2>Counts per class</h2>{counts}"
        "<h2>Dossiers to look at ({n})</h2>{attention}",
        id=run.id,
        since=document["window"]["since"] or "the beginning",
        until=document["window"]["until"],
        source=f"source {run.source}" if run.source else "every source",
        started=at(run.started_at),
        by=run.started_by,
        operator=run.operator,
        state=html("finished {t}", t=at(run.finished_at))
        if report.finished
        else "interrupted: it will be resumed",
        tone="good" if report.drift == 0 else "bad",
        rate=f"{rate:.1f}%",
        in_sync=document["counts"]["in_sync"],
        received=document["received"],
        drift=report.drift,
        repaired=document["repaired"],
        full=visit.href("/reconciliation/report", run=run.id),
        json=visit.href("/reconciliation/report.json", run=run.id),
        counts=_counts(document),
        n=len(document["dossiers"]),
        attention=_attention(visit, document["dossiers"]),
    )
    return visit.respond(f"Reconciliation #{run.id}", body, here="reconciliation")


async def full_report(visit: Visit) -> Response:
    """The page ``dvcgw reconcile --report x.html`` writes, for the newest run (or ``?run=N``)."""
    wanted = _chosen(visit)
    _, report = await visit.stores.run(lambda store: _read(store, wanted))
    if report is None:
        return visit.redirect("/reconciliation")
    return HTMLResponse(render_html(report.to_json()), headers=HEADERS)


async def report_json(visit: Visit) -> Response:
    """The report document ``dvcgw reconcile --report x.json`` writes."""
    import orjson

    wanted = _chosen(visit)
    _, report = await visit.stores.run(lambda store: _read(store, wanted))
    if report is None:
        return visit.redirect("/reconciliation")
    return Response(
        orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers=HEADERS,
    )
