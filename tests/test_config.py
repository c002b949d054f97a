"""config.yaml and DVCGW_* overrides become frozen dataclasses; mistakes are named, not ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError


def test_the_shipped_config_loads_with_its_defaults() -> None:
    config = load_config(environ={})
    assert config.sim.host == "127.0.0.1"
    assert config.intake.future_skew_minutes == 10


def test_relative_paths_are_resolved_against_the_config_file(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("paths:\n  var: state\n", encoding="utf-8")
    assert load_config(file, environ={}).paths.var == tmp_path / "state"


def test_an_environment_variable_overrides_a_key() -> None:
    assert load_config(environ={"DVCGW_SIM_PORT": "9100"}).sim.port == 9100


def test_an_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("sim:\n  host: 127.0.0.1\n  prot: 80\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml:3: unknown key sim\.prot"):
        load_config(file, environ={})


def test_an_unknown_section_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("simulator: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown section 'simulator'"):
        load_config(file, environ={})


def test_a_misspelt_environment_variable_is_refused() -> None:
    with pytest.raises(ConfigError, match="DVCGW_SIM_PROT matches no configuration key"):
        load_config(environ={"DVCGW_SIM_PROT": "80"})


def test_a_value_of_the_wrong_type_names_where_it_came_from() -> None:
    with pytest.raises(ConfigError, match="DVCGW_SIM_PORT: expected int"):
        load_config(environ={"DVCGW_SIM_PORT": "eighty"})
