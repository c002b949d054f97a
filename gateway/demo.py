"""The demo run by ``make demo``: every mapping's sample inputs through translate and validate.

For each mapping, the input files of its fixture cases are translated; each packet is written to
``var/demo/<mapping>/`` in both renderings, and every written file is validated again from disk.
Rejections are expected (the fixtures hold bad records on purpose) and are counted, not hidden.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import click

from gateway.config import Config
from gateway.errors import InputError
from gateway.exit_codes import ExitCode
from gateway.mapping import SourceMapping
from gateway.mapping.fixtures import case_dirs
from gateway.packets import SchemaSet
from gateway.packets.files import check_file
from gateway.packets.output import PacketWriter
from gateway.translate import Translated, Translator


def run_demo(config: Config, names: list[str], load: Callable[[str], SourceMapping]) -> ExitCode:
    """Translate and validate the samples of ``names``; the exit code for the command."""
    schemas = SchemaSet()
    invalid = 0
    for name in names:
        translator = Translator(
            load(name), schemas, future_skew=timedelta(minutes=config.intake.future_skew_minutes)
        )
        target = config.paths.var / "demo" / name
        shutil.rmtree(target, ignore_errors=True)  # the demo's own output of an earlier run
        inputs = [f for case in case_dirs(config.paths.fixtures / name) for f in sorted(case.glob("input*"))]
        packets = rejected = 0
        with (
            PacketWriter(schemas, fmt="json", out=target) as as_json,
            PacketWriter(schemas, fmt="xml", out=target) as as_xml,
        ):
            for file in inputs:
                try:
                    for outcome in translator.translate_file(file):
                        if isinstance(outcome, Translated):
                            as_json.write(outcome.packet)
                            as_xml.write(outcome.packet)
                            packets += 1
                        else:
                            rejected += 1
                except InputError:
                    rejected += 1
        written = sorted(target.glob("*.json")) + sorted(target.glob("*.xml"))
        bad = [problem for file in written for problem in check_file(file, schemas)]
        invalid += len(bad)
        verdict = "all valid" if not bad else f"{len(bad)} INVALID"
        click.echo(
            f"{name:12} {len(inputs):3} input files  {packets:4} packets  {rejected:3} rejected records  "
            f"{len(written):4} files written to {_short(target)}  {verdict}"
        )
        for problem in bad:
            click.echo(f"    {problem}", err=True)
    return ExitCode.REJECTED if invalid else ExitCode.OK


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
