"""The options every ``dvcgw`` command takes: ``--config``, ``--log-level``, ``-v``/``-q``.

They belong to the top-level group, yet an operator types them where it is natural, before or after
the command (``dvcgw --config /etc/x.yaml run`` and ``dvcgw run --config /etc/x.yaml`` alike):
``hoist`` moves those found after the command to the front before click parses the line.

The log level: ``--log-level`` (or ``$DVCGW_LOG_LEVEL``), else the command's own default (``INFO``
for the daemon, ``WARNING`` for the one-shot commands, whose results go to stdout); each ``-v``
makes it one step more verbose, each ``-q`` one step quieter. A level chosen on the command line is
exported as ``DVCGW_LOG_LEVEL`` so that the processes a command starts (the daemon's children, the
demo's daemon) log at the same level.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping

from gateway.logging import LEVEL_VARIABLE, LEVELS

_WITH_VALUE = ("--config", "--log-level")
_FLAGS = re.compile(r"-[qv]+|--quiet|--verbose")
DAEMON_COMMANDS = frozenset({"run", "portal-sim"})


def hoist(args: list[str]) -> list[str]:
    """``args`` with the global options that follow the command moved in front of it (not those
    after a ``--``, which are operands)."""
    start = _command_index(args)
    if start is None:
        return args
    front, rest, moved = args[:start], [], []
    index = start
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in _WITH_VALUE and index + 1 < len(args):
            moved.extend(args[index : index + 2])
            index += 2
            continue
        if arg.startswith(tuple(f"{name}=" for name in _WITH_VALUE)) or _FLAGS.fullmatch(arg):
            moved.append(arg)
        else:
            rest.append(arg)
        index += 1
    return [*front, *moved, *rest]


def _command_index(args: list[str]) -> int | None:
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _WITH_VALUE:
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return index
    return None


def log_level(
    chosen: str | None,
    verbose: int,
    quiet: int,
    command: str | None,
    environ: MutableMapping[str, str] | None = None,
) -> str:
    """The level for ``command``; exported to ``environ`` (the process's) when the line chose one.

    Raises ``ValueError`` naming ``$DVCGW_LOG_LEVEL`` when it holds no level."""
    environ = os.environ if environ is None else environ
    inherited = environ.get(LEVEL_VARIABLE)
    if chosen is None and inherited:
        chosen = _checked(inherited)
    base = chosen.upper() if chosen else ("INFO" if command in DAEMON_COMMANDS else "WARNING")
    step = LEVELS.index(base) + quiet - verbose
    level = LEVELS[min(max(step, 0), len(LEVELS) - 1)]
    if chosen or verbose or quiet:
        environ[LEVEL_VARIABLE] = level
    return level


def _checked(value: str) -> str:
    if value.upper() not in LEVELS:
        raise ValueError(f"{LEVEL_VARIABLE}={value!r} is not a log level (one of {', '.join(LEVELS)})")
    return value.upper()
