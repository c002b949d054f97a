"""The console view of a reconciliation report: counts per class, the sync rate, the dossiers to see.

For ``dvcgw reconcile``: rich tables on the given console (a terminal gets colour, a pipe plain
text). The list of dossiers is cut at ``limit`` lines; the JSON or HTML report holds them all.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from gateway.reconcile.classify import DRIFT, Kind
from gateway.reconcile.report import KINDS, Report

_STYLE = {Kind.IN_SYNC: "green", Kind.UNKNOWN: "cyan", Kind.IN_FLIGHT: "yellow"}


def print_report(report: Report, console: Console, *, limit: int = 50) -> None:
    """Print ``report``: a summary table, then up to ``limit`` dossiers that are not in sync."""
    window = report.to_json()["window"]
    title = f"Reconciliation run #{report.run_id}: {window['since'] or 'the beginning'} → {window['until']}"
    if not report.finished:
        title += " (interrupted: run again to resume)"
    summary = Table(title=title, title_justify="left")
    summary.add_column("class")
    summary.add_column("dossiers", justify="right")
    for kind in KINDS:
        style = "red" if Kind(kind) in DRIFT else _STYLE.get(Kind(kind), "")
        summary.add_row(kind, str(report.counts[kind]), style=style if report.counts[kind] else "dim")
    summary.add_section()
    summary.add_row("received", str(report.received))
    summary.add_row("sync rate", f"{report.sync_rate:.2%}")
    summary.add_row("repaired", str(report.repaired))
    console.print(summary)
    if not report.dossiers:
        return
    listing = Table(title="Dossiers not in sync", title_justify="left")
    for column in ("MaHoSo", "class", "source", "revision", "gateway", "portal", "repaired", "detail"):
        listing.add_column(column, overflow="fold")
    for line in report.dossiers[:limit]:
        listing.add_row(
            line.ma_ho_so,
            line.kind,
            line.source or "-",
            line.revision or "-",
            line.gateway_status or "-",
            line.portal_status or "-",
            "yes" if line.repaired else "",
            line.detail,
        )
    console.print(listing)
    if len(report.dossiers) > limit:
        console.print(f"… and {len(report.dossiers) - limit} more (the --report file lists them all)")
