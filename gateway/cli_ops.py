"""``dvcgw dead``, ``dvcgw replay``, ``dvcgw trace`` and ``dvcgw reconcile``: the operators' commands
for what went wrong.

Registered on ``dvcgw`` by ``gateway.cli``. Like every command there, they only parse, call the
library (``gateway.ops``) and print; errors become the shared exit codes (gateway.exit_codes): 0
success, 1 something asked for was not found or could not be done, 2 usage, 3 the store is
unreachable. Results go to stdout (``--json`` for scripts), counts and warnings to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson

from gateway.exit_codes import ExitCode

if TYPE_CHECKING:
    from gateway.cli import Context
    from gateway.config import Config
    from gateway.ops.remap import Remap, Remapped
    from gateway.ops.replay import ReplayReport
    from gateway.store import DeadLetterRow, DeadQuery, Store
    from gateway.translate import Translator

F = TypeVar("F", bound=Callable[..., Any])


class Moment(click.ParamType):  # type: ignore[type-arg]  # generic since click 8.2 only
    """An ISO 8601 date or date-time (Asia/Ho_Chi_Minh when no offset); a bad one is a usage error
    naming the option. ``upper``: a date alone means up to the end of that day."""

    name = "TIME"

    def __init__(self, *, upper: bool = False) -> None:
        self.upper = upper

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        from gateway.ops.times import parse_time

        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value), upper=self.upper)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _selectors(command: F) -> F:
    """The options that select dead messages, shared by ``dead list`` and ``replay``."""
    options = [
        click.option("--dossier", help="Only this dossier code (MaHoSo)."),
        click.option("--source", help="Only this source (mapping name, e.g. igate-json)."),
        click.option("--error-class", help="Only this error class (e.g. PortalRefused), in any case."),
        click.option("--since", type=Moment(), help="Died at or after TIME (ISO 8601; +07:00 by default)."),
        click.option(
            "--until", type=Moment(upper=True), help="Died before TIME (a date alone: up to its end)."
        ),
        click.option("--limit", type=click.IntRange(min=1), help="Only the N newest."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _query(
    ids: tuple[int, ...],
    dossier: str | None,
    source: str | None,
    error_class: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
) -> DeadQuery:
    from gateway.store import DeadQuery

    return DeadQuery(ids, dossier, source, error_class, since, until, limit)


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _json(document: Any) -> str:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def _open_store(config: Config) -> Store:
    from gateway.store import Store

    return Store.open(config.store_url)


# -- dvcgw dead ---------------------------------------------------------------------------------


@click.group(
    epilog="""\b
Examples:
  dvcgw dead list
  dvcgw dead list --error-class PortalRefused --since 2026-12-01
  dvcgw dead show 1234
"""
)
def dead() -> None:
    """Find and inspect dead messages: the ones the gateway gave up on.

    A message is dead when the portal refused it for good, its attempts were spent, or workers kept
    dying on it. It is kept whole (reason, attempts, packet, original record) until replayed:
    'dvcgw replay' hands dead messages back to the pipeline.
    """


@dead.command(
    "list",
    epilog="""\b
Examples:
  dvcgw dead list
  dvcgw dead list --source legacy-csv --limit 20
  dvcgw dead list --dossier 000.00.22.H33-210604-0007
  dvcgw dead list --since 2026-12-01 --until 2026-12-07 --json > dead.json
""",
)
@_selectors
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects instead of lines.")
@click.pass_obj
def dead_list(
    obj: Context,
    dossier: str | None,
    source: str | None,
    error_class: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List dead messages, newest first: one line each.

    Each line: id, when it died, dossier code, revision, source, error class, attempts, and the
    portal's (or the gateway's) reason. --json prints objects with the keys id, MaHoSo, revision,
    source, error_class, reason, attempts, dead_at (ISO 8601), source_file, record_index. Times are
    ISO 8601 dates or date-times, Asia/Ho_Chi_Minh unless an offset is given; --since includes,
    --until excludes (a date alone for --until: the whole day). Exit code 3 when the store is
    unreachable.
    """
    from gateway.ops.dead import listing_json, listing_line

    store = _open_store(obj.config)
    try:
        rows = store.dead_letters(_query((), dossier, source, error_class, since, until, limit))
    finally:
        store.close()
    if as_json:
        click.echo(_json([listing_json(row) for row in rows]))
    else:
        for row in rows:
            click.echo(listing_line(row))
    click.echo(f"{len(rows)} dead message{'s' if len(rows) != 1 else ''}", err=True)


@dead.command(
    "show",
    epilog="""\b
Examples:
  dvcgw dead show 1234
  dvcgw dead show 1234 --json | jq .packet.HoSo
""",
)
@click.argument("message_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@click.pass_obj
def dead_show(obj: Context, message_id: int, as_json: bool) -> None:
    """Show one dead message: why, every attempt, the packet, the original record.

    The reason, every delivery attempt (when, operation, outcome, error), the packet as JSON, the
    original source record's bytes as text (UTF-8; bytes that are not UTF-8 are shown as U+FFFD
    and said so; --json also has them exactly, in base64), the source file and record index. The
    packet holds personal data: it is printed for you, never logged. Exit code 1 when ID is not a
    dead message, 3 when the store is unreachable.
    """
    from gateway.ops.dead import dead_letter

    store = _open_store(obj.config)
    try:
        letter = dead_letter(store, message_id)
        state = None if letter is not None else store.message(message_id)
    finally:
        store.close()
    if letter is None:
        if state is None:
            click.echo(f"error: no message #{message_id} in the store", err=True)
        else:
            click.echo(
                f"error: message #{message_id} is not dead: it is {state.state.value} "
                f"('dvcgw trace {state.ma_ho_so}' shows its life)",
                err=True,
            )
        sys.exit(ExitCode.REJECTED)
    if as_json:
        click.echo(_json(letter.to_json()))
    else:
        click.echo("\n".join(letter.lines()))


# -- dvcgw replay -------------------------------------------------------------------------------


@click.command(
    epilog="""\b
Examples:
  dvcgw replay --dry-run                        # what every dead message's replay would send
  dvcgw replay --error-class PortalRefused --since 2026-12-01 --yes
  dvcgw replay --id 1234 --id 1240
  dvcgw replay --source legacy-csv --remap --dry-run   # the field diff today's mapping makes
  DVCGW_OPERATOR=an.nguyen dvcgw replay --dossier 000.00.22.H33-210604-0007 --yes
"""
)
@click.option(
    "--id", "ids", type=click.IntRange(min=1), multiple=True, help="This dead message (repeatable)."
)
@_selectors
@click.option("--remap", is_flag=True, help="Translate the original records again with today's mapping.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def replay(
    obj: Context,
    ids: tuple[int, ...],
    dossier: str | None,
    source: str | None,
    error_class: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    remap: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """Hand dead messages back to the pipeline for delivery (every dead message when none is selected).

    Only the latest revision of each selected dossier is replayed; an older dead revision is
    reported as skipped, with the reason (a newer one is replayed or was acknowledged already).
    The messages go back to the store's outbox with a fresh retry budget; the daemon's relay
    publishes them, and this command publishes them once itself when RabbitMQ is reachable. Each
    replay is recorded (who: $DVCGW_OPERATOR or your user name; when; the selection). A message
    that fails again is dead again, with its new reason.

    --remap translates each original record again with today's mapping and shows the field diff
    (path: old → new); a real run then sends the new packet as a new ledger entry of the same
    revision, and the dead one is kept as superseded. A record that no longer translates is not
    replayed, and the reason is shown.

    Asks for confirmation unless --yes (no answer is no). Exit code 0 when everything selected was
    handed over (or would be, with --dry-run), 1 when some could not be, 3 when the store is
    unreachable.
    """
    from gateway.ops.selection import describe, plan_replay

    query = _query(ids, dossier, source, error_class, since, until, limit)
    store = _open_store(obj.config)
    try:
        plan = plan_replay(store, query)
        _echo_lines(plan.lines())
        remapped = _remap(obj, store, [row.id for row in plan.chosen]) if remap else None
        ready = [row for row in plan.chosen if remapped is None or row.id in remapped]
        # Ids that select nothing, and records that no longer translate: asked for, not doable.
        failed = len(plan.unmatched) + len(plan.chosen) - len(ready)
        summary = f"{len(ready)} to replay, {len(plan.skipped)} skipped, {failed} cannot be"
        if dry_run or not ready:
            click.echo(f"dry run: {summary}; nothing was sent or changed" if dry_run else summary, err=True)
        elif yes or _confirmed(f"{summary}. Replay {len(ready)} message(s)?"):
            report = _replay(store, ready, describe(query), remapped)
            _echo_lines(report.lines())
            failed += len(report.refused)
            click.echo(f"{len(report.handed)} replayed, {len(plan.skipped)} skipped, {failed} not", err=True)
            hand_over(obj.config, store)
        else:
            click.echo("not confirmed: nothing was replayed", err=True)
            failed = failed or len(ready)
    finally:
        store.close()
    sys.exit(ExitCode.REJECTED if failed else ExitCode.OK)


def _remap(obj: Context, store: Store, ids: list[int]) -> dict[int, Remapped]:
    """Re-translate the chosen messages with today's mappings (a progress bar on a terminal); print
    each diff, or why it could not be done. The re-translated ones, by id."""
    from gateway.ops.remap import Remapped, Remapper
    from gateway.packets import SchemaSet
    from gateway.translate import Translator

    schemas = SchemaSet()
    names = set(obj.mapping_names())
    skew = timedelta(minutes=obj.config.intake.future_skew_minutes)

    @cache
    def translator_for(source: str) -> Translator | None:
        return Translator(obj.mapping(source), schemas, future_skew=skew) if source in names else None

    messages = [m for m in (store.message(i) for i in ids) if m is not None]
    outcomes: dict[int, Remap] = {}
    with _progress("re-translating", len(messages)) as advance:
        for outcome in Remapper(translator_for).remap(messages):
            outcomes[outcome.message_id] = outcome
            advance(1)
    for message_id in ids:
        if message_id in outcomes:
            _echo_lines(outcomes[message_id].lines())
    return {i: o for i, o in outcomes.items() if isinstance(o, Remapped)}


def _replay(
    store: Store, ready: list[DeadLetterRow], selection: str, remapped: dict[int, Remapped] | None
) -> ReplayReport:
    from gateway.ops.replay import operator_name
    from gateway.ops.replay import replay as hand_back

    with _progress("replaying", len(ready)) as advance:
        return hand_back(
            store, ready, operator=operator_name(), selection=selection, remapped=remapped, progress=advance
        )


def _confirmed(question: str) -> bool:
    """The operator's yes; no answer (no terminal, end of input) is no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return False


@contextmanager
def _progress(what: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr when it is a terminal (nothing otherwise); yields ``advance(n)``."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    with Progress(console=console, disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)


def hand_over(config: Config, store: Store) -> None:
    """Publish what the store holds as pending, once; without RabbitMQ, leave it for the daemon."""
    from gateway.ops.handover import hand_over as publish_pending

    done = publish_pending(config, store)
    if not done.reached:
        click.echo(
            f"warning: {done.problem}; the messages stay in the store for the daemon's relay", err=True
        )
    elif done.problem is not None:
        click.echo(
            f"warning: {done.problem}; what was not handed over stays in the store for the daemon", err=True
        )
    elif done.published:
        click.echo(f"{done.published} messages handed to RabbitMQ for delivery", err=True)
    else:
        click.echo("0 messages handed to RabbitMQ for delivery (none was pending any more)", err=True)


# -- dvcgw trace --------------------------------------------------------------------------------


@click.command(
    epilog="""\b
Examples:
  dvcgw trace 000.00.22.H33-210604-0007
  dvcgw trace 000.00.22.H33-210604-0007 --json | jq '.revisions[].attempts'
"""
)
@click.argument("code", metavar="CODE")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@click.pass_obj
def trace(obj: Context, code: str, as_json: bool) -> None:
    """Show the life of one dossier (CODE is its MaHoSo).

    Every revision received (source file, record index, when, mapping and its hash, content hash,
    state), every delivery attempt with its outcome and error, dead letters and replays,
    reconciliation findings and repairs, in a timeline; then the portal's current view
    (TraCuuHoSo), compared with what the gateway sent. When the portal cannot be asked (no
    DVCGW_PORTAL_PASSWORD, unreachable) that is said and the rest is shown. Exit code 1 when the
    store never received CODE, 3 when it is unreachable.
    """
    from gateway.ops.trace import trace as trace_dossier

    store = _open_store(obj.config)
    try:
        life = trace_dossier(store, code, obj.config.portal)
    finally:
        store.close()
    if life is None:
        click.echo(f"error: the store never received a dossier {code!r}", err=True)
        sys.exit(ExitCode.REJECTED)
    click.echo(_json(life.to_json()) if as_json else "\n".join(life.lines()))


# -- dvcgw reconcile ----------------------------------------------------------------------------


def _report_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in (".json", ".html"):
        raise click.BadParameter(f"{value} must end in .json or .html (the report's format)", ctx, param)
    return value


@click.command(
    epilog="""\b
Examples:
  dvcgw reconcile                                # the last 7 days (reconcile.window_days), repairing
  dvcgw reconcile --no-repair --report drift.json
  dvcgw reconcile --since 2026-12-01 --until 2026-12-07 --report week.html
  dvcgw reconcile --all --source legacy-csv
  dvcgw reconcile --resume 12                    # carry on run 12, interrupted
"""
)
@click.option("--since", type=Moment(), help="Activity at or after TIME (ISO 8601; +07:00 by default).")
@click.option("--until", type=Moment(upper=True), help="Activity before TIME (a date alone: up to its end).")
@click.option("--all", "everything", is_flag=True, help="Every dossier, whenever it was active.")
@click.option("--source", help="Only the dossiers of this source (mapping name, e.g. igate-json).")
@click.option(
    "--repair/--no-repair",
    default=None,
    help="Re-send the latest revision of each missing, stale or differing dossier "
    "(default: reconcile.repair, true).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_report_path,
    help="Write the report to this file: .json or .html.",
)
@click.option("--resume", "resume_id", type=click.IntRange(min=1), help="Carry on this interrupted run.")
@click.pass_obj
def reconcile(
    obj: Context,
    since: datetime | None,
    until: datetime | None,
    everything: bool,
    source: str | None,
    repair: bool | None,
    report_path: Path | None,
    resume_id: int | None,
) -> None:
    """Prove the national portal holds the latest revision of every dossier; repair what it does not.

    For every dossier whose activity (the latest revision received, or the portal's last change)
    falls in the window, the portal's view (DanhSachHoSoThayDoi, then TraCuuHoSo for the dossiers
    it did not list) is compared with the store's latest revision: in_sync, missing (the portal
    does not hold it), stale (an older revision or another status), differs (the same status,
    another record), unknown (the portal holds it, the gateway never received it), in_flight (the
    latest revision is still on its way). With --repair (the default) the latest revision of each
    missing, stale or differing dossier goes back through the pipeline, recorded in the store.
    A dead latest revision is reported, not repaired: replay it with 'dvcgw replay'.

    Portal calls are paced (reconcile.rate_per_s). An interrupted run is resumed by the next
    'dvcgw reconcile' with the same options (or --resume ID); what it judged is not judged again.
    A console table always; --report writes JSON or a self-contained HTML page.

    Exit code 0 when every dossier is in sync (unknown and in_flight are not drift), 1 when drift
    was found, 2 for a usage error, 3 when the store or the portal is unreachable or another
    reconciliation is running.
    """
    from rich.console import Console

    from gateway.errors import PortalError
    from gateway.ops.replay import operator_name
    from gateway.portal import make_client
    from gateway.reconcile.report import build_report
    from gateway.reconcile.run import Reconciler, RunRequest, RunTakenOver
    from gateway.reconcile.table import print_report
    from gateway.reconcile.window import Window

    settings = obj.config.reconcile
    try:
        window = Window.chosen(since=since, until=until, everything=everything, days=settings.window_days)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    request = RunRequest(
        window,
        source=source,
        repair=settings.repair if repair is None else repair,
        started_by="cli",
        operator=operator_name(),
        resume_id=resume_id,
    )
    store = _open_store(obj.config)
    try:
        client = make_client(obj.config.portal)
        reconciler = None
        try:
            with _progress("reconciling", 0) as advance:
                reconciler = Reconciler(
                    store, client, settings, agency=obj.config.portal.madonvi, progress=advance
                )
                outcome = reconciler.run(request)
        except (PortalError, RunTakenOver) as exc:
            run_id = reconciler.run_id if reconciler is not None else None
            click.echo(f"error: {exc}", err=True)
            if run_id is not None:
                click.echo(
                    f"run #{run_id} was interrupted: run the same command again (or --resume {run_id}) "
                    "to carry it on",
                    err=True,
                )
            sys.exit(ExitCode.UNAVAILABLE)
        finally:
            client.close()
        if outcome.run is None:
            click.echo(f"error: no reconciliation was run: {outcome.refused}", err=True)
            sys.exit(ExitCode.UNAVAILABLE)
        if outcome.resumed:
            click.echo(f"resumed run #{outcome.run.id}", err=True)
        if outcome.repaired:
            hand_over(obj.config, store)
        report = build_report(store, outcome.run.id)
    finally:
        store.close()
    print_report(report, Console())
    if report_path is not None:
        _write_report(report.to_json(), report_path)
    sys.exit(ExitCode.REJECTED if report.drift else ExitCode.OK)


def _write_report(document: dict[str, Any], path: Path) -> None:
    """The report as JSON or as the self-contained HTML page, by the file's suffix."""
    if path.suffix.lower() == ".html":
        from gateway.reconcile.html import render_html

        path.write_text(render_html(document), encoding="utf-8")
    else:
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    click.echo(f"report written to {path}", err=True)
