"""The portal probe fits the API generation, against the real simulator: the coordination generation,
which has no look-up, is asked with an empty batch at its insert URL (and stores nothing); the
envelope API with a look-up; an outage, a wrong URL or a closed port are named with why."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.config import PortalConfig
from gateway.errors import ConfigError, PortalError, PortalUnavailable
from gateway.observe.probe import PortalProbe, probe_portal
from gateway.observe.readiness import PortalWatch
from gateway.sim.process import SimProcess, free_port
from tests.pipeline.harness import SIM_PASSWORD, SIM_USER, set_faults, sim_stats, start_sim


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    process = start_sim(tmp_path_factory.mktemp("probe-sim"))
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def no_faults(sim: SimProcess) -> Iterator[None]:
    set_faults(sim, {})
    yield
    set_faults(sim, {})


def coordination(sim: SimProcess, **changes: Any) -> PortalConfig:
    config = PortalConfig(url=sim.base_url, api="coordination", password=None, timeout_s=3, call_attempts=1)
    return dataclasses.replace(config, **changes)


def test_the_coordination_generation_without_a_password_answers_an_empty_batch_and_stores_nothing(
    sim: SimProcess,
) -> None:
    before = sim_stats(sim)

    detail = probe_portal(coordination(sim))

    assert "/api/dieuphoi/ThemMoiHoSo answered an empty batch (HTTP 400)" in detail
    assert "TraCuuHoSo" not in detail
    after = sim_stats(sim)
    assert (after["inserts"], after["updates"]) == (before["inserts"], before["updates"])


def test_the_coordination_generation_with_a_password_is_also_asked_the_look_up(sim: SimProcess) -> None:
    detail = probe_portal(coordination(sim, username=SIM_USER, password=SIM_PASSWORD))

    assert "answered an empty batch" in detail
    assert detail.endswith(f"{sim.base_url} answered TraCuuHoSo")


def test_the_envelope_api_is_asked_a_look_up(sim: SimProcess) -> None:
    config = PortalConfig(url=sim.base_url, username=SIM_USER, password=SIM_PASSWORD, call_attempts=1)

    assert probe_portal(config) == f"{sim.base_url} answered TraCuuHoSo"


def test_the_envelope_api_without_a_password_says_which_variable_to_set(sim: SimProcess) -> None:
    with pytest.raises(ConfigError, match="DVCGW_PORTAL_PASSWORD"):
        probe_portal(PortalConfig(url=sim.base_url, password=None))


def test_a_coordination_outage_is_not_an_answer_and_the_probe_answers_again_after_it(sim: SimProcess) -> None:
    with PortalProbe(coordination(sim)) as probe:
        set_faults(sim, {"outage": True})
        with pytest.raises(PortalUnavailable, match="503"):
            probe.ask()
        set_faults(sim, {})
        assert "HTTP 400" in probe.ask()


def test_a_coordination_insert_url_that_does_not_exist_is_named(sim: SimProcess) -> None:
    config = coordination(sim, coordination_insert_path="/api/khongco/ThemMoiHoSo")

    with pytest.raises(PortalError, match="HTTP 404"):
        probe_portal(config)


def test_a_closed_port_is_named_as_unreachable() -> None:
    config = PortalConfig(url=f"http://127.0.0.1:{free_port()}", api="coordination", timeout_s=2)

    with pytest.raises(PortalUnavailable, match="cannot reach the portal"):
        probe_portal(config)


def test_the_readiness_watch_reports_a_coordination_portal_ready(sim: SimProcess) -> None:
    watch = PortalWatch(coordination(sim), timeout_s=5)
    try:
        detail = watch.start_ping().result(timeout=10)
    finally:
        watch.close()
    assert "answered an empty batch" in detail


def test_a_two_hundred_answer_counts_as_an_answer_too() -> None:
    """A coordination system that takes an empty batch as nothing to do (no such system is known to
    us; the simulator refuses it): HTTP 200 counts."""
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json={"error_code": 0, "message": "Đồng bộ hồ sơ thành công (0)"})

    config = PortalConfig(url="http://portal.invalid", api="coordination")
    with PortalProbe(config, transport=httpx.MockTransport(answer)) as probe:
        assert "HTTP 200" in probe.ask()
    assert seen == [b"[]"]
