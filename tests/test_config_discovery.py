"""Without --config the configuration is $DVCGW_CONFIG, ./config.yaml, /etc/dvc-gateway/config.yaml
or the packaged defaults, the first that exists; mappings fall back on the shipped ones."""

from __future__ import annotations

from pathlib import Path

from gateway import packaged
from gateway.config import DEFAULT_CONFIG, find_config


def test_the_environment_variable_wins_even_when_its_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").touch()
    named = tmp_path / "missing.yaml"
    assert find_config({"DVCGW_CONFIG": str(named)}, cwd=tmp_path) == named


def test_the_working_directorys_file_comes_before_the_system_one(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").touch()
    system = tmp_path / "etc.yaml"
    system.touch()
    assert find_config({}, cwd=tmp_path, system=system) == tmp_path / "config.yaml"


def test_the_system_file_comes_before_the_packaged_defaults(tmp_path: Path) -> None:
    system = tmp_path / "etc.yaml"
    system.touch()
    assert find_config({}, cwd=tmp_path / "empty", system=system) == system


def test_with_no_file_anywhere_the_packaged_defaults_are_used(tmp_path: Path) -> None:
    assert find_config({}, cwd=tmp_path, system=tmp_path / "none.yaml") == DEFAULT_CONFIG
    assert DEFAULT_CONFIG.is_file()


def test_a_mapping_of_the_configured_folder_overrides_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "igate-json.yaml").write_text("# a province's own\n", encoding="utf-8")
    (tmp_path / "my-dialect.yaml").write_text("# a new one\n", encoding="utf-8")
    assert packaged.mapping_file(tmp_path, "igate-json") == tmp_path / "igate-json.yaml"
    assert packaged.mapping_file(tmp_path, "legacy-csv") == packaged.MAPPINGS_DIR / "legacy-csv.yaml"
    assert packaged.mapping_file(tmp_path, "nothing") is None
    assert {"igate-json", "legacy-csv", "motcua-xml", "my-dialect"} <= set(packaged.mapping_names(tmp_path))
