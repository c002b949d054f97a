"""The console's dashboard: throughput over the last hours, the backlog per state, the dead letters,
and the sync rate of the newest reconciliation.

Everything comes from the store: ``state_counts`` (the ledger per state), ``gateway.ops.activity``
(acknowledged and dead per hour), ``latest_reconcile_run`` and the reconciliation's own report
(``build_report``) for the Decision 766 figure. The page's numbers carry ``id``/``data-state`` so
tests and tools can read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.responses import Response

from gateway.ops.activity import HourCount, hourly
from gateway.ops.times import shown
from gateway.reconcile.report import Report, build_report
from gateway.store import ReconcileRunRow, Store
from gateway.web.console.chart import throughput_chart
from gateway.web.console.guard import Visit
from gateway.web.console.layout import when as at
from gateway.web.console.markup import Markup, html, join

SPANS = (6, 24, 72)
"""The choices of hours the chart covers; 24 by default."""

STATES = (
    ("pending", "stored, waiting for RabbitMQ to confirm (the outbox)"),
    ("queued", "on the sync queue or with a worker"),
    ("retrying", "failed for now, waiting in a retry tier"),
    ("acked", "acknowledged by the portal"),
    ("superseded", "a newer revision exists: never sent"),
    ("dead", "given up: replay from the dead letters"),
)


@dataclass(frozen=True)
class Overview:
    counts: dict[str, int]
    hours: list[HourCount]
    dossiers: int
    run: ReconcileRunRow | None
    report: Report | None


def overview(store: Store, span: int) -> Overview:
    run = store.latest_reconcile_run()
    return Overview(
        counts=store.state_counts(),
        hours=hourly(store, hours=span),
        dossiers=store.dossier_count(),
        run=run,
        report=build_report(store, run.id) if run is not None else None,
    )


def _card(ident: str, value: object, what: str, tone: str = "") -> Markup:
    return html(
        '<div class="card {tone}"><div class="value" id="{ident}">{value}</div>'
        '<div class="what">{what}</div></div>',
        tone=tone,
        ident=ident,
        value=value,
        what=what,
    )


def _reconciliation(visit: Visit, seen: Overview) -> tuple[Markup, Markup]:
    """The sync-rate card and the last-reconciliation card."""
    run, report = seen.run, seen.report
    if run is None or report is None:
        none = "never run: dvcgw reconcile, or the daemon every reconcile.interval_min"
        return _card("sync-rate", "—", "sync rate (Decision 766)"), _card("last-reconciliation", "—", none)
    rate = f"{report.sync_rate * 100:.1f}%"
    tone = "good" if report.drift == 0 else "bad"
    state = "finished" if report.finished else "interrupted, to be resumed"
    moment = at(run.finished_at or run.updated_at)
    last = html(
        '<div class="card"><div class="value" id="last-reconciliation" style="font-size:18px">{when}</div>'
        '<div class="what">last reconciliation: <a href="{href}">run #{id}</a>, {state}; '
        "{received} dossiers judged, {drift} drifted, {repaired} repaired</div></div>",
        when=moment,
        href=visit.href("/reconciliation"),
        id=run.id,
        state=state,
        received=report.received,
        drift=report.drift,
        repaired=report.repaired,
    )
    return _card("sync-rate", rate, f"in sync at the last reconciliation (run #{run.id})", tone), last


async def dashboard(visit: Visit) -> Response:
    try:
        span = int(visit.param("hours") or 24)
    except ValueError:
        span = 24
    span = span if span in SPANS else 24
    seen = await visit.stores.run(lambda store: overview(store, span))
    counts = seen.counts
    backlog = counts["pending"] + counts["queued"] + counts["retrying"]
    delivered = sum(h.acked for h in seen.hours)
    rate, last = _reconciliation(visit, seen)
    cards = join(
        [
            _card("delivered", delivered, f"acknowledged by the portal in the last {span} hours"),
            _card("backlog", backlog, "still to deliver: pending, queued or retrying"),
            html(
                '<div class="card {tone}"><div class="value"><a id="dead-count" href="{href}" '
                'style="color:inherit;text-decoration:none">{n}</a></div>'
                '<div class="what">dead letters, waiting for an operator</div></div>',
                tone="bad" if counts["dead"] else "good",
                href=visit.href("/dead"),
                n=counts["dead"],
            ),
            rate,
            last,
        ]
    )
    spans = join(
        html('<a href="{href}"{cls}>{n} h</a>', href=visit.href("/", hours=n), n=n, cls=_current(n == span))
        for n in SPANS
    )
    rows = join(
        html(
            '<tr><td><span class="state {s}">{s}</span></td><td class="n" data-state="{s}">{n}</td>'
            "<td>{what}</td></tr>",
            s=state,
            n=counts.get(state, 0),
            what=what,
        )
        for state, what in STATES
    )
    body = html(
        "<h1>Dashboard</h1>"
        '<p class="meta">as of {now}; {dossiers} dossiers received in all</p>'
        '<div class="cards">{cards}</div>'
        "<h2>Throughput, last {span} hours</h2>"
        '<p class="meta">per hour (Asia/Ho_Chi_Minh): messages the portal acknowledged, and messages that '
        'died. Show <span class="spans">{spans}</span></p>{chart}'
        '<h2>Messages per state</h2><table id="states"><thead><tr><th>state</th><th class="n">messages</th>'
        "<th>meaning</th></tr></thead><tbody>{rows}</tbody></table>",
        now=shown(datetime.now(UTC)),
        dossiers=seen.dossiers,
        cards=cards,
        span=span,
        spans=spans,
        chart=throughput_chart(seen.hours),
        rows=rows,
    )
    return visit.respond("Dashboard", body, here="dashboard")


def _current(yes: bool) -> Markup:
    return Markup(' style="font-weight:700;text-decoration:none;color:inherit"') if yes else Markup("")
