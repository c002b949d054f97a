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


def test_the_pipeline_names_operators_use_are_read_from_the_environment() -> None:
    config = load_config(
        environ={
            "DVCGW_BROKER_URL": "amqp://u:p@mq:5672/%2F",
            "DVCGW_BROKER_PREFIX": "hg",
            "DVCGW_STORE_URL": "postgresql://gw@db/gateway",
            "DVCGW_PORTAL_URL": "https://portal.example",
            "DVCGW_PORTAL_BINDING": "soap",
            "DVCGW_PORTAL_USERNAME": "hagiang",
            "DVCGW_PORTAL_PASSWORD": "s3cret",
            "DVCGW_PATHS_VAR": "/srv/dvcgw",
        }
    )
    assert (config.broker.url, config.broker.prefix) == ("amqp://u:p@mq:5672/%2F", "hg")
    assert config.store_url == "postgresql://gw@db/gateway"
    assert (config.portal.url, config.portal.binding, config.portal.username) == (
        "https://portal.example",
        "soap",
        "hagiang",
    )
    assert config.portal.password == "s3cret"
    assert config.paths.var == Path("/srv/dvcgw")


def test_without_a_store_url_the_store_is_a_sqlite_file_under_var() -> None:
    config = load_config(environ={"DVCGW_PATHS_VAR": "/srv/dvcgw"})
    assert config.store.url is None
    assert config.store_url == "sqlite:////srv/dvcgw/gateway.sqlite3"


def test_an_optional_value_is_none_not_the_string_none(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("portal:\n  madonvi: null\n", encoding="utf-8")
    assert load_config(file, environ={}).portal.madonvi is None
    assert load_config(file, environ={"DVCGW_PORTAL_MADONVI": ""}).portal.madonvi is None


def test_a_list_of_delays_comes_from_yaml_or_from_a_comma_separated_variable(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("broker:\n  retry_delays_s: [5, 30]\n", encoding="utf-8")
    assert load_config(file, environ={}).broker.retry_delays_s == (5, 30)
    assert load_config(environ={"DVCGW_BROKER_RETRY_DELAYS_S": "1, 2,4"}).broker.retry_delays_s == (1, 2, 4)


def test_a_binding_outside_its_choices_is_refused() -> None:
    with pytest.raises(ConfigError, match="DVCGW_PORTAL_BINDING: expected one of json, soap, got 'rest'"):
        load_config(environ={"DVCGW_PORTAL_BINDING": "rest"})


def test_a_password_in_the_file_is_refused_with_the_variable_to_use(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("portal:\n  password: hunter2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.yaml:2: portal\.password is a secret.*DVCGW_PORTAL_PASSWORD"):
        load_config(file, environ={})


@pytest.mark.parametrize(("text", "value"), [("true", True), ("0", False), ("yes", True), ("off", False)])
def test_booleans_are_real_booleans(text: str, value: bool) -> None:
    from gateway.config import _coerce

    assert _coerce(text, bool, "X", Path()) is value


def test_a_boolean_that_is_not_one_is_refused() -> None:
    from gateway.config import _coerce

    with pytest.raises(ConfigError, match="X: expected bool, got 'maybe'"):
        _coerce("maybe", bool, "X", Path())
