"""A wheel built from pyproject.toml, installed (not editable) into a new virtualenv, works from any
directory: it carries the schemas, the shipped mappings and the default configuration.

The virtualenv is fresh and gets the wheel's dependencies from the package index pip is configured
with (the project's own: that is how an operator installs it), so a dependency missing from
pyproject.toml fails here. Nothing of the checkout is on its path, and the commands run from an
empty temporary directory with no ``DVCGW_*`` variable set.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gateway.sim.process import free_port
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "config.yaml")
FOLDERS = ("gateway", "schemas", "mappings")
FIXTURE = ROOT / "fixtures" / "igate-json" / "01-array-documented-example"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a new virtualenv holding the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    # Build from a copy: the in-tree build/ folder of setuptools stays out of the checkout.
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"), str(source)]
    )
    (wheel,) = (base / "dist").glob("dvc_gateway-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working directory, far from the checkout."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DVCGW_", "PYTHON", "VIRTUAL_ENV"))}


def test_the_installed_package_comes_from_the_wheel_not_the_checkout(
    installed: Path, elsewhere: Path
) -> None:
    done = _run(
        [
            str(installed / "python"),
            "-c",
            "import gateway, gateway.packaged as p; print(gateway.__file__, p.INSTALLED)",
        ],
        cwd=elsewhere,
        env=_environment(),
    )
    location, flag = done.stdout.split()
    assert not Path(location).is_relative_to(ROOT)
    assert flag == "True"


def test_translate_runs_from_any_directory_with_the_packaged_config_and_mappings(
    installed: Path, elsewhere: Path
) -> None:
    shutil.copy2(FIXTURE / "input.json", elsewhere / "input.json")
    done = _run(
        [str(installed / "dvcgw"), "translate", "--source", "igate-json", "input.json"],
        cwd=elsewhere,
        env=_environment(),
    )
    expected = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))["packets"]
    packets = json.loads(done.stdout)
    assert [p["HoSo"]["MaHoSo"] for p in packets] == [p["HoSo"]["MaHoSo"] for p in expected]


def test_the_portal_simulator_runs_from_any_directory_and_keeps_its_state_there(
    installed: Path, elsewhere: Path
) -> None:
    port = free_port()
    log = (elsewhere / "sim.log").open("wb")
    sim = subprocess.Popen(
        [str(installed / "dvcgw"), "portal-sim", "--port", str(port)],
        cwd=elsewhere,
        env=_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def answers() -> bool:
            assert sim.poll() is None, (elsewhere / "sim.log").read_text(encoding="utf-8", errors="replace")
            try:
                return httpx.get(f"http://127.0.0.1:{port}/_sim/stats", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(answers, "the installed portal simulator never answered", timeout=30)
    finally:
        sim.send_signal(signal.SIGTERM)
        code = sim.wait(30)
        log.close()
    assert code == 0
    assert (elsewhere / "var" / "portal-sim.sqlite3").is_file()
