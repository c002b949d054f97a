"""The dead letters in the console: the list with ``dvcgw dead list``'s filters, one message whole, and
replaying ticked ones (or all a filter selects) after a confirmation, as ``dvcgw replay`` does.

It is a view over ``gateway.ops``: the list is ``Store.dead_letters``, one message is
``ops.dead.dead_letter``, the confirmation shows ``ops.selection.plan_replay`` (what would be
replayed, what is skipped and why), and the replay itself is ``ops.replay.replay`` followed by
``ops.handover.hand_over``, exactly the calls of ``dvcgw replay --yes``, recorded with the operator
``console:<name>`` and the ids confirmed (``--id 12 --id 15``). The packet and the original record
are shown to the signed-in operator, escaped, and never logged.
"""

from __future__ import annotations

from datetime import datetime

import orjson
import structlog
from starlette.responses import Response

from gateway.ops.dead import DeadLetter, attempt_json, dead_letter, decoded, packet_document
from gateway.ops.handover import HandOver, hand_over
from gateway.ops.replay import ReplayReport, replay
from gateway.ops.selection import ReplayPlan, describe, plan_replay
from gateway.ops.times import parse_time, shown
from gateway.store import DeadLetterRow, DeadQuery, MessageRow, Store
from gateway.web.console.auth import recorded_as
from gateway.web.console.guard import Visit
from gateway.web.console.layout import when as at
from gateway.web.console.markup import Markup, html, join

log = structlog.get_logger(__name__)

DEFAULT_LIMIT = 200
FILTERS = ("dossier", "source", "error_class", "since", "until", "limit")


def _query(values: dict[str, str], ids: tuple[int, ...] = ()) -> tuple[DeadQuery, list[str]]:
    """The selection the filter fields name, and the problems with them (a bad time or limit)."""
    problems: list[str] = []

    def moment(name: str, upper: bool) -> datetime | None:
        if not values.get(name):
            return None
        try:
            return parse_time(values[name], upper=upper)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            return None

    limit: int | None = None
    if values.get("limit"):
        try:
            limit = int(values["limit"])
            if limit < 1:
                raise ValueError(limit)
        except ValueError:
            problems.append(f"limit: {values['limit']!r} is not a whole number of at least 1")
    query = DeadQuery(
        ids,
        values.get("dossier") or None,
        values.get("source") or None,
        values.get("error_class") or None,
        moment("since", False),
        moment("until", True),
        limit,
    )
    return query, problems


def _filters_form(visit: Visit, values: dict[str, str]) -> Markup:
    fields = (
        ("dossier", "dossier code", "000.00.22.H33-…"),
        ("source", "source", "igate-json"),
        ("error_class", "error class", "PortalRefused"),
        ("since", "died since", "2026-12-01"),
        ("until", "died until", "2026-12-07"),
        ("limit", "at most", ""),
    )
    inputs = join(
        html(
            '<label>{label}<input type="text" name="{name}" value="{value}" placeholder="{hint}"{cls}>'
            "</label>",
            cls=Markup(' class="short"') if name == "limit" else Markup(""),
            label=label,
            name=name,
            value=values.get(name, ""),
            hint=hint,
        )
        for name, label, hint in fields
    )
    return html(
        '<form class="filters" method="get" action="{action}">{inputs}'
        '<button type="submit" class="secondary">Filter</button>'
        '<a href="{action}" class="button secondary">Clear</a></form>',
        action=visit.href("/dead"),
        inputs=inputs,
    )


def _row(visit: Visit, row: DeadLetterRow) -> Markup:
    return html(
        '<tr data-id="{id}" data-mahoso="{code}">'
        '<td><input type="checkbox" name="id" value="{id}" aria-label="select #{id}"></td>'
        '<td class="n"><a href="{show}">#{id}</a></td><td class="when">{when}</td>'
        '<td class="code"><a href="{trace}">{code}</a></td><td class="code">{revision}</td>'
        '<td class="nowrap">{source}</td>'
        '<td>{error_class}</td><td class="n">{attempts}</td><td class="reason">{reason}</td></tr>',
        id=row.id,
        show=visit.href(f"/dead/{row.id}"),
        when=at(row.dead_at),
        trace=visit.href("/dossier", code=row.ma_ho_so),
        code=row.ma_ho_so,
        revision=row.revision,
        source=row.source,
        error_class=row.error_class or "-",
        attempts=row.attempts,
        reason=row.reason or "(no reason recorded)",
    )


async def dead_list(visit: Visit) -> Response:
    values = {name: visit.param(name) for name in FILTERS}
    values["limit"] = values["limit"] or str(DEFAULT_LIMIT)
    query, problems = _query(values)
    rows = [] if problems else await visit.stores.run(lambda store: store.dead_letters(query))
    notices = join(html('<p class="notice error">{p}</p>', p=p) for p in problems)
    if rows:
        table = html(
            '<form method="post" action="{plan}">{token}'
            '<div class="actions"><button type="submit" id="replay-selected">Replay selected…</button>'
            '<span class="muted">tick the messages to hand back to the pipeline; you confirm on the next '
            "page</span></div>"
            '<table id="dead-letters" class="wide"><thead><tr><th></th><th class="n">id</th>'
            "<th>died (+07:00)</th>"
            '<th>dossier</th><th>revision</th><th>source</th><th>error class</th><th class="n">attempts</th>'
            "<th>reason</th></tr></thead><tbody>{rows}</tbody></table></form>",
            plan=visit.href("/dead/replay/plan"),
            token=visit.token(),
            rows=join(_row(visit, row) for row in rows),
        )
        everything = html(
            '<form method="post" action="{plan}">{token}'
            '<input type="hidden" name="mode" value="filter">{hidden}'
            '<div class="actions"><button type="submit" class="secondary" id="replay-filtered">'
            "Replay all {what}…</button></div></form>",
            plan=visit.href("/dead/replay/plan"),
            token=visit.token(),
            hidden=join(
                html('<input type="hidden" name="{n}" value="{v}">', n=n, v=v) for n, v in values.items() if v
            ),
            what="that the filter selects" if any(values[n] for n in FILTERS if n != "limit") else "listed",
        )
    else:
        table = Markup("") if problems else Markup('<p class="notice ok" id="no-dead">No dead message.</p>')
        everything = Markup("")
    shown_n = f"{len(rows)} dead message{'s' if len(rows) != 1 else ''}, newest death first"
    if query.limit is not None and len(rows) == query.limit:
        shown_n += f" (the newest {query.limit}: raise 'at most' to see more)"
    body = html(
        '<h1>Dead letters</h1>{form}{notices}<p class="meta" id="dead-total">{total}</p>{table}{everything}',
        form=_filters_form(visit, values),
        notices=notices,
        total=shown_n,
        table=table,
        everything=everything,
    )
    return visit.respond("Dead letters", body, here="dead")


def _facts(visit: Visit, m: MessageRow) -> Markup:
    where = f"record {m.record_index}" + (f", line {m.record_line}" if m.record_line is not None else "")
    rows = (
        (
            "dossier",
            html(
                '<a href="{h}" class="mono">{c}</a>', h=visit.href("/dossier", code=m.ma_ho_so), c=m.ma_ho_so
            ),
        ),
        ("revision", m.revision),
        ("source", f"{m.source} (mapping {m.mapping}, {m.mapping_hash[:12]})"),
        ("from", f"{m.source_file}, {where}"),
        ("received", shown(m.received_at)),
        ("dead since", f"{shown(m.dead_at)}, after {m.attempts} attempt{'s' if m.attempts != 1 else ''}"),
        ("error class", m.last_error_class or "-"),
        ("reason", html('<span id="reason">{r}</span>', r=m.last_error or "(no reason recorded)")),
    )
    return html(
        '<table class="facts">{rows}</table>',
        rows=join(html("<tr><th>{k}</th><td>{v}</td></tr>", k=k, v=v) for k, v in rows),
    )


def _attempts(letter: DeadLetter) -> Markup:
    if not letter.attempts:
        return Markup('<p class="muted">No attempt recorded.</p>')
    rows = join(
        html(
            '<tr><td class="n">{attempt}</td><td class="when">{at}</td><td>{operation}</td><td>{outcome}</td>'
            '<td>{error_class}</td><td class="reason">{error}</td><td>{worker}</td></tr>',
            **{k: ("-" if v is None else v) for k, v in attempt_json(a).items() if k != "at"},
            at=at(a.at),
        )
        for a in letter.attempts
    )
    return html(
        '<table id="attempts"><thead><tr><th class="n">#</th><th>when</th><th>operation</th><th>outcome</th>'
        "<th>error class</th><th>error</th><th>worker</th></tr></thead><tbody>{rows}</tbody></table>",
        rows=rows,
    )


async def dead_show(visit: Visit) -> Response:
    message_id = int(visit.request.path_params["message_id"])

    def read(store: Store) -> tuple[DeadLetter | None, MessageRow | None]:
        letter = dead_letter(store, message_id)
        return letter, (store.message(message_id) if letter is None else None)

    letter, other = await visit.stores.run(read)
    if letter is None:
        why = (
            html("There is no message #{id} in the store.", id=message_id)
            if other is None
            else html(
                'Message #{id} is not dead: it is <span class="state {s}">{s}</span>. '
                '<a href="{trace}">The life of its dossier</a> tells its story.',
                id=message_id,
                s=other.state.value,
                trace=visit.href("/dossier", code=other.ma_ho_so),
            )
        )
        body = html(
            '<h1>Message #{id}</h1><p class="notice warn" id="not-dead">{why}</p>', id=message_id, why=why
        )
        return visit.respond(f"Message #{message_id}", body, here="dead", status=404)
    m = letter.message
    text, replaced = decoded(m.raw)
    note = (
        " Not valid UTF-8: shown with U+FFFD replacement characters"
        " (dvcgw dead show --json has the exact bytes)."
        if replaced
        else ""
    )
    packet = orjson.dumps(packet_document(m.packet), option=orjson.OPT_INDENT_2).decode()
    body = html(
        "<h1>Dead message #{id}</h1>{facts}"
        '<form method="post" action="{plan}">{token}<input type="hidden" name="id" value="{id}">'
        '<div class="actions"><button type="submit" id="replay-one">Replay this message…</button>'
        '<a href="{back}">back to the dead letters</a></div></form>'
        "<h2>Attempts ({n})</h2>{attempts}"
        '<h2>Packet</h2><p class="meta">holds personal data: shown to you, never logged</p>'
        '<pre id="packet">{packet}</pre>'
        '<h2>Original record</h2><p class="meta">{size} bytes.{note}</p><pre id="original">{text}</pre>',
        id=m.id,
        facts=_facts(visit, m),
        plan=visit.href("/dead/replay/plan"),
        token=visit.token(),
        back=visit.href("/dead"),
        n=len(letter.attempts),
        attempts=_attempts(letter),
        packet=packet,
        size=len(m.raw),
        note=note,
        text=text,
    )
    return visit.respond(f"Dead message #{m.id}", body, here="dead")


def _ids(values: list[str]) -> tuple[tuple[int, ...], list[str]]:
    ids, bad = [], []
    for value in values:
        if value.strip().isdigit() and int(value) > 0:
            ids.append(int(value))
        else:
            bad.append(value)
    return tuple(dict.fromkeys(ids)), bad


def _plan_lines(visit: Visit, plan: ReplayPlan) -> Markup:
    chosen = join(
        html(
            '<tr data-id="{id}" class="chosen"><td>replay</td><td class="n"><a href="{show}">#{id}</a></td>'
            '<td class="code">{code}</td><td class="code">{rev}</td><td>{source}</td><td>{why}</td></tr>',
            id=r.id,
            show=visit.href(f"/dead/{r.id}"),
            code=r.ma_ho_so,
            rev=r.revision,
            source=r.source,
            why=r.error_class or "-",
        )
        for r in plan.chosen
    )
    skipped = join(
        html(
            '<tr data-id="{id}" class="skipped"><td>skip</td><td class="n"><a href="{show}">#{id}</a></td>'
            '<td class="code">{code}</td><td class="code">{rev}</td><td>{source}</td><td>{why}</td></tr>',
            id=s.row.id,
            show=visit.href(f"/dead/{s.row.id}"),
            code=s.row.ma_ho_so,
            rev=s.row.revision,
            source=s.row.source,
            why=s.reason,
        )
        for s in plan.skipped
    )
    unmatched = join(
        html(
            '<tr data-id="{id}" class="unmatched"><td>no</td><td class="n">#{id}</td>'
            "<td></td><td></td><td></td>"
            "<td>{why}</td></tr>",
            id=u.message_id,
            why=u.reason,
        )
        for u in plan.unmatched
    )
    return html(
        '<table id="plan" class="wide"><thead><tr><th></th><th class="n">id</th><th>dossier</th>'
        "<th>revision</th>"
        "<th>source</th><th>error class, or why not</th></tr></thead><tbody>{a}{b}{c}</tbody></table>",
        a=chosen,
        b=skipped,
        c=unmatched,
    )


async def replay_plan(visit: Visit) -> Response:
    """The confirmation: what a replay of the selection would hand back, and what it would skip."""
    form = visit.form
    problems: list[str] = []
    if form.first("mode") == "filter":
        query, problems = _query({name: form.first(name) for name in FILTERS})
    else:
        ids, bad = _ids(form.all("id"))
        problems += [f"{value!r} is not a message id" for value in bad]
        if not ids and not bad:
            problems.append("Tick at least one dead message to replay.")
        query = DeadQuery(ids)
    if problems:
        body = html(
            '<h1>Replay</h1>{p}<p><a href="{back}">back to the dead letters</a></p>',
            p=join(html('<p class="notice error" id="plan-problem">{p}</p>', p=p) for p in problems),
            back=visit.href("/dead"),
        )
        return visit.respond("Replay", body, here="dead", status=400)
    plan = await visit.stores.run(lambda store: plan_replay(store, query))
    n = len(plan.chosen)
    if n:
        confirm = html(
            '<form method="post" action="{action}">{token}{ids}<div class="actions">'
            '<button type="submit" class="danger" id="confirm-replay">Replay {n} message{s}</button>'
            '<a class="button secondary" href="{back}">Cancel</a></div></form>',
            action=visit.href("/dead/replay"),
            token=visit.token(),
            ids=join(html('<input type="hidden" name="id" value="{id}">', id=r.id) for r in plan.chosen),
            n=n,
            s="" if n == 1 else "s",
            back=visit.href("/dead"),
        )
    else:
        confirm = html(
            '<p class="notice warn" id="nothing-to-replay">Nothing to replay.</p>'
            '<p><a href="{back}">back</a></p>',
            back=visit.href("/dead"),
        )
    body = html(
        "<h1>Replay: confirm</h1>"
        '<p id="plan-summary">{n} to replay, {skipped} skipped, {unmatched} cannot be. Selection: '
        '<span class="mono">{selection}</span></p>'
        '<p class="meta">Each message goes back to the outbox with a fresh retry budget, recorded as '
        "replayed by <strong>{who}</strong>; the relay publishes it and a worker delivers it (latest "
        "revision wins). A message that fails again is dead again, with its new reason.</p>"
        "{table}{confirm}",
        n=n,
        skipped=len(plan.skipped),
        unmatched=len(plan.unmatched),
        selection=describe(query),
        who=recorded_as(visit.user),
        table=_plan_lines(visit, plan),
        confirm=confirm,
    )
    return visit.respond("Replay", body, here="dead")


async def replay_now(visit: Visit) -> Response:
    """The replay the operator confirmed: the ids confirmed, planned again (the pipeline moved on
    meanwhile, perhaps), handed back, and published once when RabbitMQ is there."""
    ids, bad = _ids(visit.form.all("id"))
    if not ids or bad:
        body = html(
            '<h1>Replay</h1><p class="notice error" id="plan-problem">Nothing confirmed to replay.</p>'
            '<p><a href="{back}">back to the dead letters</a></p>',
            back=visit.href("/dead"),
        )
        return visit.respond("Replay", body, here="dead", status=400)
    query = DeadQuery(ids)
    operator = recorded_as(visit.user)

    def run(store: Store) -> tuple[ReplayPlan, ReplayReport, HandOver]:
        plan = plan_replay(store, query)
        report = replay(store, plan.chosen, operator=operator, selection=describe(query))
        return plan, report, hand_over(visit.config, store)

    plan, report, handed = await visit.stores.run(run)
    log.info("console replay", operator=operator, handed=len(report.handed), refused=len(report.refused))
    codes = {r.id: r.ma_ho_so for r in plan.chosen}
    done = join(
        html(
            '<li data-id="{dead}">replayed #{dead}{as_} — <a href="{trace}">follow dossier {code}</a></li>',
            dead=dead,
            as_=f" as #{sent}" if sent != dead else "",
            trace=visit.href("/dossier", code=codes.get(dead, "")),
            code=codes.get(dead, ""),
        )
        for dead, sent in report.handed.items()
    )
    refused = join(
        html("<li>not replayed #{id}: {why}</li>", id=i, why=why) for i, why in report.refused.items()
    )
    skipped = join(html("<li>skipped #{id}: {why}</li>", id=s.row.id, why=s.reason) for s in plan.skipped)
    if not handed.reached:
        publish = html(
            '<p class="notice warn">RabbitMQ could not be reached ({why}): the messages wait in the store '
            "for the daemon's relay.</p>",
            why=handed.problem or "",
        )
    elif handed.problem is not None:
        publish = html(
            '<p class="notice warn">{why}; the rest waits in the store for the daemon.</p>',
            why=handed.problem,
        )
    else:
        publish = html(
            '<p class="meta">{n} pending messages handed to RabbitMQ for delivery.</p>', n=handed.published
        )
    body = html(
        "<h1>Replayed</h1>"
        '<p class="notice {tone}" id="replay-result">{n} replayed, {s} skipped, {r} not.</p>{publish}'
        '<ul id="replayed">{done}{refused}{skipped}</ul>'
        '<p><a href="{back}">back to the dead letters</a></p>',
        tone="ok" if report.handed and not report.refused else "warn",
        n=len(report.handed),
        s=len(plan.skipped),
        r=len(report.refused) + len(plan.unmatched),
        publish=publish,
        done=done,
        refused=refused,
        skipped=skipped,
        back=visit.href("/dead"),
    )
    return visit.respond("Replayed", body, here="dead")
