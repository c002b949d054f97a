"""``dvcgw``: the command line. Parses, calls the library, maps outcomes to exit codes.

Exit codes are the same for every command (gateway.exit_codes): 0 success; 1 some records
rejected, packets invalid or fixtures failed; 2 usage, configuration or mapping error; 3 a
required service is unreachable; 70 an internal error (a defect of dvcgw: please report it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from gateway import packaged
from gateway.cli_check import check
from gateway.cli_globals import hoist
from gateway.cli_globals import log_level as resolve_level
from gateway.cli_ops import dead, reconcile, replay, trace
from gateway.cli_ops import hand_over as _hand_over
from gateway.config import Config, load_config
from gateway.errors import (
    BrokerUnavailable,
    ConfigError,
    MappingError,
    SchemaError,
    StoreUnavailable,
)
from gateway.exit_codes import ExitCode, defect_line
from gateway.logging import LEVELS
from gateway.mapping import SourceMapping, load_mapping
from gateway.packets import SchemaSet
from gateway.sim.command import portal_sim


@dataclass
class Context:
    config: Config

    def mapping(self, name: str) -> SourceMapping:
        # The configured folder's mapping, else the shipped one (gateway.packaged).
        file = packaged.mapping_file(self.config.paths.mappings, name)
        if file is None:
            known = ", ".join(self.mapping_names()) or "none"
            raise click.UsageError(
                f"no mapping named {name!r} in {self.config.paths.mappings} (known: {known})"
            )
        return load_mapping(file)

    def mapping_names(self) -> list[str]:
        return packaged.mapping_names(self.config.paths.mappings)


class Group(click.Group):
    """Turns the gateway's configuration and mapping errors into exit code 2 with one clear line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # --config, --log-level, -v and -q are accepted after the command too (gateway.cli_globals).
        return super().parse_args(ctx, hoist(args))

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (ConfigError, MappingError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.USAGE)
        except SchemaError as exc:
            # A packet that passed one rendering's schema but not the other's: never written.
            click.echo(f"error: {exc}", err=True)
            sys.exit(ExitCode.REJECTED)
        except BrokerUnavailable as exc:
            click.echo(f"error: {exc}", err=True)
            click.echo(
                "hint: is RabbitMQ running? Start it with 'rabbitmq-server -detached' (or your service "
                "manager), or point DVCGW_BROKER_URL at it.",
                err=True,
            )
            sys.exit(ExitCode.UNAVAILABLE)
        except StoreUnavailable as exc:
            click.echo(f"error: {exc}", err=True)
            click.echo(
                "hint: check DVCGW_STORE_URL (store.url in config.yaml) and that the database is up.",
                err=True,
            )
            sys.exit(ExitCode.UNAVAILABLE)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own ending: a usage error (2), --help, Ctrl-C
        except Exception as exc:
            # A defect, whatever the command: one line and its own code, never 1 (which scripts
            # read as "some records rejected") nor a traceback in place of an answer.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            message = " ".join(str(exc).split())
            message = message if len(message) <= 200 else message[:199] + "…"
            error = f"{type(exc).__name__}: {message} (at {Path(where.filename).name}:{where.lineno})"
            click.echo(defect_line(error), err=True)
            sys.exit(ExitCode.INTERNAL)


@click.group(cls=Group, epilog="Run 'dvcgw COMMAND --help' for the options and examples of each command.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DVCGW_CONFIG",
    help="Configuration file (before or after the command). Default: $DVCGW_CONFIG, ./config.yaml,"
    " /etc/dvc-gateway/config.yaml, the packaged defaults: the first that exists.",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    help="Log level (env DVCGW_LOG_LEVEL). Default: WARNING, INFO for 'run'.",
)
@click.option("-v", "--verbose", count=True, help="One log level more verbose (repeat: -vv).")
@click.option("-q", "--quiet", count=True, help="One log level quieter.")
@click.version_option(package_name="dvc-gateway")
@click.pass_context
def main(
    ctx: click.Context, config_file: Path | None, log_level: str | None, verbose: int, quiet: int
) -> None:
    """dvc-gateway: carries provincial dossiers to the National Public Service Portal."""
    from gateway.logging import configure

    # Commands print their own results on stdout; log lines go to stderr (JSON unless it is a
    # terminal), warnings and up unless -v or --log-level says otherwise; `dvcgw run` logs at INFO.
    try:
        configure(level=resolve_level(log_level, verbose, quiet, ctx.invoked_subcommand))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        ctx.obj = Context(load_config(config_file))
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.USAGE)


@main.command(
    epilog="""\b
Examples:
  dvcgw translate --source igate-json export.json
  dvcgw translate --source igate-json -o packets.json export.json
  dvcgw translate --source motcua-xml --format xml --out out/ a.xml b.xml
  dvcgw translate --source legacy-csv hoso.csv > packets.json 2> rejected.txt
  cat export.ndjson | dvcgw translate --source igate-json -
"""
)
@click.option("--source", "source", required=True, help="Mapping name: a file mappings/NAME.yaml.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xml"]),
    default="json",
    show_default=True,
    help="Rendering of the packets.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write one file per packet into this folder instead of one document to stdout.",
)
@click.option(
    "-o",
    "--output",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document to this file (replaced only when the run completes) instead of stdout.",
)
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
)
@click.pass_obj
def translate(
    obj: Context, source: str, fmt: str, out: Path | None, target: Path | None, files: tuple[Path, ...]
) -> None:
    """Translate provincial export FILES ('-' for standard input) into national dossier packets.

    Packets go to stdout (a JSON array, or a <DanhSachGoiHoSo> XML document), to the file given
    with -o, or, with --out, one file per packet. Files are read and packets written as they
    come, so memory does not grow with the input; on a terminal, progress is shown on stderr.
    Every rejected record is reported on stderr, one line per problem: file, record index, line,
    dossier code when known, field and reason. Exit code 1 when any record or file was rejected
    (a file in which no record is found included); the other records are still translated. Exit
    code 70 when dvcgw itself failed on a record (an internal error: a defect to report), after
    translating the others.

    Stopped by Ctrl-C (SIGINT, exit code 130) or SIGTERM (exit code 143), it leaves no output
    that looks complete: the -o file is not written (a previous one stays as it was), no packet
    file appears in --out, and the document on stdout is left unclosed. A packet that cannot be
    written (read-only or full disk, a folder under a file) ends the run with exit code 2,
    naming the path.
    """
    from gateway.packets.output import OutputError, PacketWriter
    from gateway.translate import Translator

    if out is not None and target is not None:
        raise click.UsageError("give either --out (a folder) or -o/--output (a file), not both")
    if sum(str(file) == "-" for file in files) > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    schemas = SchemaSet()
    translator = Translator(obj.mapping(source), schemas, future_skew=_skew(obj.config))
    tally = _Tally()
    try:
        with (
            _signals_interrupt(),
            _Progress() as progress,
            PacketWriter(schemas, fmt=fmt, out=out, target=target) as writer,
        ):
            for file in files:
                _translate_one(translator, file, writer, tally, progress)
    except _Interrupted as stop:
        _report_interruption(stop, tally, out, target)
        sys.exit(stop.exit_code)
    except OutputError as exc:
        if target is None and out is None:
            _silence_stdout()
        click.echo(f"error: {exc}", err=True)
        click.echo(f"stopped after {tally.packets} packets, {tally.rejected} rejected", err=True)
        sys.exit(ExitCode.USAGE)
    click.echo(f"{tally.packets} packets, {tally.rejected} rejected", err=True)
    if tally.internal:
        # Every other record was translated; the exit code still says the gateway failed.
        click.echo(defect_line(f"{tally.internal} of the rejections above are internal errors"), err=True)
        sys.exit(ExitCode.INTERNAL)
    sys.exit(ExitCode.REJECTED if tally.rejected else ExitCode.OK)


@dataclass
class _Tally:
    """What ``translate`` has done so far, for its summary and for a message on interruption."""

    packets: int = 0
    rejected: int = 0
    internal: int = 0


def _translate_one(translator: Any, file: Path, writer: Any, tally: _Tally, progress: _Progress) -> None:
    from gateway.logging import redact_text
    from gateway.translate import Rejection, Translated

    if str(file) == "-":
        name = "<stdin>"
        outcomes = translator.stream_outcomes(sys.stdin.buffer, name)
    else:
        name = str(file)
        outcomes = translator.outcomes(file)
    progress.start(name)
    for outcome in outcomes:
        progress.advance()
        if isinstance(outcome, Translated):
            writer.write(outcome.packet)
            tally.packets += 1
            for note in outcome.notes:
                click.echo(f"note: {name}: {note}", err=True)
        elif isinstance(outcome, Rejection):
            tally.rejected += 1
            tally.internal += outcome.internal
            # Redacted as the logs are: these lines end in files and terminals (citizen IDs,
            # phone numbers and e-mails in a reason or a value quoted by the schema).
            for line in outcome.lines():
                click.echo(f"rejected: {redact_text(line)}", err=True)
        else:  # the file could not be read (on): what was read before stands
            tally.rejected += 1
            tally.internal += outcome.internal
            click.echo(f"rejected: {redact_text(str(outcome.error))}", err=True)


class _Interrupted(BaseException):
    """SIGINT or SIGTERM during ``translate``: a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way (a record's defect handler) takes it for a failed record."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        # 128 + the signal's number, as shells report a process killed by it: 130 for SIGINT,
        # 143 for SIGTERM.
        self.exit_code = 128 + signum


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into ``_Interrupted`` for the duration of the block."""

    def stop(signum: int, frame: object) -> None:
        raise _Interrupted(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _report_interruption(stop: _Interrupted, tally: _Tally, out: Path | None, target: Path | None) -> None:
    name = signal.Signals(stop.signum).name
    if target is not None:
        left = f"{target} was not written"
    elif out is not None:
        left = f"no packet file was added to {out}"
    else:
        left = "the packets on stdout are incomplete (the document is left unclosed)"
    click.echo(
        f"interrupted by {name}: stopped after {tally.packets} packets and {tally.rejected} rejected; "
        f"{left}. Run the command again to translate every record.",
        err=True,
    )


def _silence_stdout() -> None:
    """After stdout failed (a full disk, a closed pipe), point it at /dev/null, so that the
    interpreter's own flush at exit adds no second error (and no exit code of its own)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class _Progress:
    """Records read so far, per file, on stderr while it is a terminal; nothing otherwise."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,} records"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
        return self

    def start(self, name: str) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task(name, total=None)

    def advance(self) -> None:
        if self._task is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@main.command(
    epilog="""\b
Examples:
  dvcgw validate packets.json
  dvcgw validate out/*.xml
"""
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def validate(files: tuple[Path, ...]) -> None:
    """Validate the packets of FILES (JSON or XML, one packet or a list) against the national
    schemas.

    Each packet must be valid in its own rendering and in the other one, and its ContentHash must
    match its content. Files are read a packet at a time. Problems are printed one per line, then
    how many packets are valid and invalid; a file that holds no packets (a provincial export:
    translate it first; not JSON or XML; unreadable) is reported as such. Exit code 1 when any
    packet or file is invalid.
    """
    from gateway.packets.files import check_packets

    schemas = SchemaSet()
    valid = invalid = bad_files = 0
    for file in files:
        for verdict in check_packets(file, schemas):
            for problem in verdict.problems:
                click.echo(problem, err=True)
            if verdict.packet is None:
                bad_files += 1
            elif verdict.problems:
                invalid += 1
            else:
                valid += 1
    files_note = f"; {bad_files} files hold no packets to check" if bad_files else ""
    click.echo(f"{valid} valid packets, {invalid} invalid{files_note}", err=True)
    sys.exit(ExitCode.REJECTED if invalid or bad_files else ExitCode.OK)


@main.group()
def mapping() -> None:
    """Work on mappings: prove them against their fixtures."""


@mapping.command(
    "test",
    epilog="""\b
Examples:
  dvcgw mapping test
  dvcgw mapping test igate-json
  dvcgw mapping test legacy-csv --update   # accept the current output as expected
""",
)
@click.argument("names", nargs=-1)
@click.option("--update", is_flag=True, help="Rewrite every expected.json with the current output.")
@click.pass_obj
def mapping_test(obj: Context, names: tuple[str, ...], update: bool) -> None:
    """Run the fixtures of each mapping (all when no NAMES are given).

    For every case under fixtures/NAME/, translate its input files and compare with expected.json;
    a mismatch is printed field by field. Then a coverage report per mapping: source fields seen
    in fixtures that no rule reads, rules never exercised, code-table entries never hit.
    Exit code 1 when any case fails.
    """
    from gateway.mapping.fixtures import run_fixtures

    schemas = SchemaSet()
    failed = 0
    for name in names or tuple(obj.mapping_names()):
        result = run_fixtures(obj.mapping(name), obj.config.paths.fixtures / name, schemas, update=update)
        if not result.cases:
            click.echo(f"{name}: no fixtures in {obj.config.paths.fixtures / name}", err=True)
            failed += 1
        for case in result.cases:
            status = "updated" if case.updated else ("ok" if case.passed else "FAILED")
            click.echo(f"{name}/{case.name}: {status}")
            for line in case.differences:
                click.echo(f"    {line}")
            failed += not case.passed
        if result.coverage is not None:
            click.echo("\n".join(result.coverage.lines()))
    click.echo(f"{'all fixtures pass' if not failed else f'{failed} failing'}", err=True)
    sys.exit(ExitCode.REJECTED if failed else ExitCode.OK)


@main.command(
    epilog="""\b
Examples:
  dvcgw demo
  dvcgw demo --keep        # then open the operator console and /metrics; Ctrl-C stops it
  make demo
"""
)
@click.option(
    "--keep",
    is_flag=True,
    help="After the summary, leave the simulator and the daemon running (metrics, health checks, "
    "operator console) until Ctrl-C.",
)
@click.pass_obj
def demo(obj: Context, keep: bool) -> None:
    """Run the whole path once: portal simulator + daemon + the sample exports of every mapping.

    Starts a portal simulator and the daemon (SQLite store under var/demo/, local RabbitMQ,
    queues under the prefix '<broker.prefix>-demo'), drops the samples into the inbox, shows
    progress until every record is delivered, superseded, dead or rejected, prints a summary and
    stops what it started. The samples hold bad records on purpose: their rejections are counted
    with their reasons. Exit code 3 when RabbitMQ is unreachable (with how to start it).
    """
    from gateway.demo import run_demo

    sys.exit(run_demo(obj.config, obj.mapping_names(), keep=keep))


@main.command(
    epilog="""\b
Examples:
  dvcgw ingest --source igate-json export.json
  dvcgw ingest --source legacy-csv hoso-2024-01.csv hoso-2024-02.csv
"""
)
@click.option("--source", "source", required=True, help="Mapping name: a file mappings/NAME.yaml.")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.pass_obj
def ingest(obj: Context, source: str, files: tuple[Path, ...]) -> None:
    """Store the records of export FILES for delivery, then hand them to RabbitMQ.

    Each file is copied into <var>/archive/SOURCE/ (the files given stay where they are), every good
    record is stored as a message and every bad one as a rejected input with its reasons (printed
    on stderr). A record already stored is a duplicate and changes nothing. Then the stored
    messages are published; if RabbitMQ is unreachable they stay in the store and the daemon
    (dvcgw run) publishes them later. Exit code 1 when any record or file was rejected, 3 when the
    store is unreachable.
    """
    import shutil

    from gateway.intake import Inbox, InboxFile, Ingester
    from gateway.store import Store
    from gateway.translate import Translator

    config = obj.config
    translator = Translator(obj.mapping(source), SchemaSet(), future_skew=_skew(config))
    inbox = Inbox(config.paths.var)
    inbox.ensure([source])
    store = Store.open(config.store_url)
    rejected = 0
    try:
        ingester = Ingester(store, inbox, {source: translator})
        for path in files:
            taken = inbox.folder("processing", source) / f"{os.getpid()}~{path.name}"
            shutil.copyfile(path, taken)
            report = ingester.ingest(InboxFile(source, path.name, taken))
            for line in report.problems + report.errors:
                click.echo(f"rejected: {line}", err=True)
            rejected += report.rejected + len(report.errors)
            click.echo(
                f"{path}: {report.records} records, {report.stored} stored, {report.duplicates} duplicates, "
                f"{report.rejected} rejected -> {report.path}"
            )
        _hand_over(config, store)
    finally:
        store.close()
    sys.exit(ExitCode.REJECTED if rejected else ExitCode.OK)


@main.command(
    epilog="""\b
Examples:
  dvcgw run
  dvcgw run --workers 4
  DVCGW_PORTAL_PASSWORD=... DVCGW_STORE_URL=postgresql://gw@db/gateway dvcgw run
"""
)
@click.option("--workers", type=click.IntRange(1, 64), help="Sync worker processes (default: sync.workers).")
@click.pass_obj
def run(obj: Context, workers: int | None) -> None:
    """Run the gateway daemon until SIGTERM or Ctrl-C.

    Watches <var>/inbox/<source>/ for export files (drop them by rename: write '.name' or
    'name.part', then rename), stores every record, publishes it to RabbitMQ through the outbox,
    and delivers it to the portal with sync worker processes (retry tiers, dead queue). Logs are
    JSON lines on stderr. Stops gracefully: calls in flight finish, nothing is lost. Exit code 3
    when RabbitMQ or the store is unreachable at start.
    """
    from gateway.daemon.supervisor import run_daemon
    from gateway.logging import configure

    configure(json_output=True)  # at the level the group chose (DVCGW_LOG_LEVEL), INFO by default
    run_daemon(obj.config, workers or obj.config.sync.workers)


@main.command(
    epilog="""\b
Examples:
  dvcgw topology
  dvcgw topology --declare
  DVCGW_BROKER_PREFIX=dvc-test dvcgw topology --declare
"""
)
@click.option("--declare", is_flag=True, help="Declare it on the broker (idempotent), not just print it.")
@click.pass_obj
def topology(obj: Context, declare: bool) -> None:
    """Print the RabbitMQ exchanges, queues and bindings of the gateway; --declare creates them."""
    from gateway.broker.connection import connect
    from gateway.broker.topology import Topology

    plan = Topology.from_config(obj.config.broker)
    for line in plan.describe():
        click.echo(line)
    if declare:
        connection = connect(obj.config.broker)
        try:
            plan.declare(connection.channel())
        finally:
            connection.close()
        click.echo("declared", err=True)


def _skew(config: Config) -> timedelta:
    return timedelta(minutes=config.intake.future_skew_minutes)


main.add_command(portal_sim)
main.add_command(dead)
main.add_command(replay)
main.add_command(trace)
main.add_command(reconcile)
main.add_command(check)

if __name__ == "__main__":
    main()
