"""The life of one dossier in the console: the same data as ``dvcgw trace``, from ``gateway.ops.trace``.

Every revision received with its state, the timeline of receipts, attempts, replays and
reconciliation findings and repairs, and the portal's current view (asked once, as the command
does; when it cannot be asked, the page says so and shows the rest). Rows carry ``data-id`` and
``data-state`` so a test can watch a replayed message become ``acked``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gateway.ops.times import shown
from gateway.ops.trace import DossierTrace, trace
from gateway.store import Store
from gateway.web.console.guard import Visit
from gateway.web.console.layout import when as at
from gateway.web.console.markup import Markup, html, join


def _search(visit: Visit, code: str) -> Markup:
    return html(
        '<form class="filters" method="get" action="{action}"><label>dossier code (MaHoSo)'
        '<input type="text" name="code" id="code" value="{code}" class="long"'
        ' placeholder="000.00.22.H33-210604-0001">'
        '</label><button type="submit" id="find">Show its life</button></form>',
        action=visit.href("/dossier"),
        code=code,
    )


def _revisions(visit: Visit, life: DossierTrace) -> Markup:
    rows = []
    for revision in life.revisions:
        m = revision.message
        state = m.state.value
        link = (
            html('<a href="{h}">#{id}</a>', h=visit.href(f"/dead/{m.id}"), id=m.id)
            if state == "dead"
            else html("#{id}", id=m.id)
        )
        rows.append(
            html(
                '<tr data-id="{id}" data-state="{state}"><td class="n">{link}</td><td class="code">{rev}</td>'
                '<td><span class="state {state}">{state}</span></td><td class="when">{received}</td>'
                '<td>{file}, record {index}</td><td class="mono">{mapping} {mhash}</td>'
                '<td class="mono">{chash}</td><td class="error">{reason}</td></tr>',
                id=m.id,
                link=link,
                rev=m.revision,
                state=state,
                received=at(m.received_at),
                file=m.source_file,
                index=m.record_index,
                mapping=m.mapping,
                mhash=m.mapping_hash[:12],
                chash=m.content_hash[:12],
                # An acknowledged message keeps the error of its last failure: shown only while it matters.
                reason=(m.last_error or "") if state in ("dead", "retrying") else "",
            )
        )
    return html(
        '<table id="revisions" class="wide"><thead><tr><th class="n">id</th><th>revision</th><th>state</th>'
        "<th>received (+07:00)</th><th>from</th><th>mapping</th><th>content</th><th>error</th></tr></thead>"
        "<tbody>{rows}</tbody></table>",
        rows=join(rows),
    )


def _timeline(life: DossierTrace) -> Markup:
    # The command's own timeline (receipts, attempts, replays, findings, repairs), in its order.
    rows = join(
        html('<tr><td class="when">{at}</td><td class="mono what">{what}</td></tr>', at=at(moment), what=text)
        for moment, text in life.timeline()
    )
    return html('<table id="timeline" class="wide"><tbody>{rows}</tbody></table>', rows=rows)


def _portal(portal: dict[str, Any]) -> Markup:
    if not portal["asked"]:
        return html('<p class="notice warn" id="portal">Not asked: {why}</p>', why=portal["unavailable"])
    if not portal["holds"]:
        return Markup('<p class="notice warn" id="portal">The portal does not hold this dossier.</p>')
    match = portal["matches_message"]
    same = (
        html("its record is exactly the one sent as #{m}", m=match)
        if match is not None
        else Markup("its record is none of the revisions the gateway holds")
    )
    return html(
        '<p class="notice {tone}" id="portal">The portal holds the dossier, status {status}; {same}.</p>',
        tone="ok" if match is not None else "warn",
        status=portal["status"],
        same=same,
    )


async def dossier(visit: Visit) -> Response:
    code = visit.param("code")
    if not code:
        body = html("<h1>Dossier</h1>{search}", search=_search(visit, ""))
        return visit.respond("Dossier", body, here="dossier")
    portal = visit.config.portal

    def read(store: Store) -> DossierTrace | None:
        return trace(store, code, portal)

    life = await visit.stores.run(read)
    if life is None:
        body = html(
            '<h1>Dossier</h1>{search}<p class="notice warn" id="not-found">'
            "The store never received a dossier "
            '<span class="mono">{code}</span>.</p>',
            search=_search(visit, code),
            code=code,
        )
        return visit.respond("Dossier", body, here="dossier", status=404)
    d = life.dossier
    acked = (
        html(
            "#{id} (revision {rev}) at {at}",
            id=d.acked_message_id,
            rev=d.acked_revision,
            at=shown(d.acked_at),
        )
        if d.acked_message_id is not None
        else Markup("never")
    )
    body = html(
        '<h1>Dossier <span class="mono">{code}</span></h1>{search}'
        '<table class="facts"><tr><th>source</th><td>{source}</td></tr>'
        '<tr><th>latest received</th><td id="latest">#{latest} (revision {latest_rev})</td></tr>'
        '<tr><th>acknowledged</th><td id="acknowledged">{acked}</td></tr></table>'
        "<h2>Portal (TraCuuHoSo)</h2>{portal}"
        "<h2>Revisions ({n})</h2>{revisions}"
        "<h2>Timeline</h2>{timeline}",
        code=d.ma_ho_so,
        search=_search(visit, code),
        source=d.source,
        latest=d.latest_message_id,
        latest_rev=d.latest_revision,
        acked=acked,
        portal=_portal(life.to_json()["portal"]),
        n=len(life.revisions),
        revisions=_revisions(visit, life),
        timeline=_timeline(life),
    )
    return visit.respond(f"Dossier {d.ma_ho_so}", body, here="dossier")
