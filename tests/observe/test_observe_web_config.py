"""The web server's configuration: loopback unless remote access is asked for explicitly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import WebConfig, load_config
from gateway.errors import ConfigError
from gateway.web.serve import check_web, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    assert is_loopback(host)
    check_web(WebConfig(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "gateway.example.vn"])
def test_a_host_that_serves_the_network_is_refused_naming_the_key_that_allows_it(host: str) -> None:
    with pytest.raises(ConfigError, match=r"web\.allow_remote"):
        check_web(WebConfig(host=host))
    check_web(WebConfig(host=host, allow_remote=True))


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"web\.port"):
        check_web(WebConfig(port=70000))


def test_the_web_section_has_defaults_and_environment_overrides() -> None:
    assert load_config(environ={}).web == WebConfig()
    config = load_config(environ={"DVCGW_WEB_PORT": "9100", "DVCGW_WEB_ENABLED": "false"})
    assert (config.web.port, config.web.enabled, config.web.host) == (9100, False, "127.0.0.1")


def test_dvcgw_run_refuses_a_remote_host_before_touching_any_service(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DVCGW_PATHS_VAR": str(tmp_path / "var"),
        "DVCGW_WEB_HOST": "0.0.0.0",
        # Nothing listens there: were it asked, the exit code would be 3, not 2.
        "DVCGW_BROKER_URL": "amqp://guest:guest@127.0.0.1:9/%2F",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "web.allow_remote" in done.stderr
