"""``dvcgw check``: can the gateway work right now? For scripts, monitoring and systemd.

The same question as the daemon's ``/readyz``, asked once from the command line: RabbitMQ, the
store and the national portal, each within ``web.timeout_s`` (``gateway.observe.readiness``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
import orjson

from gateway.exit_codes import ExitCode

if TYPE_CHECKING:
    from gateway.cli import Context


@click.command(
    "check",
    epilog="""\b
Examples:
  dvcgw check                 # one line per service; exit 0 when all three answer
  dvcgw check --json          # {"ready": true, "services": {"broker": {"ok": ..., "detail": ...}, ...}}
  ExecStartPre=/usr/bin/dvcgw check   (systemd: start the daemon only when its services answer)""",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of lines.")
@click.pass_obj
def check(obj: Context, as_json: bool) -> None:
    """Check that RabbitMQ, the store and the national portal are reachable.

    Each is asked at once, with a deadline (web.timeout_s): the broker by a connection and a
    passive declare of the sync queue, the store by a query, the portal by a logged-in look-up of
    a dossier code no agency issues. Exit code 0 when all three answered, 3 naming those that did
    not (passwords are never printed).
    """
    from gateway.observe.readiness import check_once  # the broker, store and portal clients

    checks = check_once(obj.config)
    ready = all(c.ok for c in checks)
    if as_json:
        document = {"ready": ready, "services": {c.service: c.to_json() for c in checks}}
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
    else:
        for c in checks:
            click.echo(f"{c.service:7} {'ok' if c.ok else 'UNREACHABLE':11} {c.detail}")
    if not ready:
        unreachable = ", ".join(c.service for c in checks if not c.ok)
        click.echo(f"error: unreachable: {unreachable}", err=True)
        sys.exit(ExitCode.UNAVAILABLE)
