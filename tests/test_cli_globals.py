"""--config, --log-level, -v and -q work before or after the command; the level follows the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.cli_globals import hoist, log_level
from gateway.logging import LEVEL_VARIABLE


def test_global_options_after_the_command_move_in_front_of_it() -> None:
    args = ["translate", "--source", "x", "--config", "c.yaml", "-v", "--log-level=DEBUG", "a.json"]
    assert hoist(args) == [
        "--config",
        "c.yaml",
        "-v",
        "--log-level=DEBUG",
        "translate",
        "--source",
        "x",
        "a.json",
    ]


def test_options_before_the_command_and_operands_after_a_double_dash_stay_where_they_are() -> None:
    args = ["--config", "c.yaml", "mapping", "test", "--", "-v"]
    assert hoist(args) == args


@pytest.mark.parametrize(
    ("chosen", "verbose", "quiet", "command", "level"),
    [
        (None, 0, 0, "translate", "WARNING"),
        (None, 0, 0, "run", "INFO"),
        (None, 1, 0, "translate", "INFO"),
        (None, 2, 0, "translate", "DEBUG"),
        (None, 0, 1, "run", "WARNING"),
        (None, 0, 5, "translate", "ERROR"),
        ("debug", 0, 0, "translate", "DEBUG"),
    ],
)
def test_the_level_is_the_commands_default_moved_by_v_and_q(
    chosen: str | None, verbose: int, quiet: int, command: str, level: str
) -> None:
    assert log_level(chosen, verbose, quiet, command, environ={}) == level


def test_a_level_chosen_on_the_line_is_exported_for_the_processes_a_command_starts() -> None:
    environ: dict[str, str] = {}
    log_level(None, 0, 0, "run", environ=environ)
    assert environ == {}
    log_level(None, 1, 0, "run", environ=environ)
    assert environ == {LEVEL_VARIABLE: "DEBUG"}


def test_a_level_in_the_environment_is_checked() -> None:
    with pytest.raises(ValueError, match=LEVEL_VARIABLE):
        log_level(None, 0, 0, "run", environ={LEVEL_VARIABLE: "loud"})


def test_config_is_accepted_after_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEVEL_VARIABLE, raising=False)
    config = tmp_path / "c.yaml"
    config.write_text("paths:\n  mappings: nowhere\nunknown: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["topology", "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}:3: unknown section 'unknown'" in result.output
