"""Configuration: ``config.yaml`` → frozen dataclasses, one per component, with env overrides.

Every key of ``config.yaml`` can be overridden by ``DVCGW_<SECTION>_<KEY>`` (upper case). An
unknown key, in the file or in the environment, is an error naming the key's path and line, so a
typo never silently leaves a default in force.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gateway.errors import ConfigError

ENV_PREFIX = "DVCGW_"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"


@dataclass(frozen=True)
class IntakeConfig:
    future_skew_minutes: int = 10


@dataclass(frozen=True)
class PathsConfig:
    mappings: Path = Path("mappings")
    fixtures: Path = Path("fixtures")
    var: Path = Path("var")


@dataclass(frozen=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 8089
    db: Path = Path("var/portal-sim.sqlite3")
    username: str = "dvcgw"
    password: str = "dvcgw-sim"  # noqa: S105 - the simulator's own test login, documented
    batch_max: int = 100
    session_ttl_s: int = 1800
    max_body_mb: int = 16


@dataclass(frozen=True)
class Config:
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    sim: SimConfig = field(default_factory=SimConfig)


SECTIONS: dict[str, type] = {"intake": IntakeConfig, "paths": PathsConfig, "sim": SimConfig}


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (default: the project's ``config.yaml``), apply ``DVCGW_*`` overrides.

    Relative paths in the file are resolved against the file's directory.
    """
    path = path or Path(os.environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG))
    environ = os.environ if environ is None else environ
    try:
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from exc
    except YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, Mapping):
        raise ConfigError(f"{path}: the configuration must be a mapping of sections")
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        values = document.get(name) or {}
        sections[name] = _build(cls, values, str(path), name, environ, path.parent)
    for key in document:
        if key not in sections:
            raise ConfigError(f"{path}:{_line(document, key)}: unknown section {key!r}")
    for name in environ:
        if name.startswith(ENV_PREFIX) and name != f"{ENV_PREFIX}CONFIG":
            _check_env_name(name)
    return Config(**sections)


def _build(cls: type, values: Any, file: str, section: str, environ: Mapping[str, str], base: Path) -> Any:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{file}: section {section!r} must be a mapping")
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in values:
        if key not in known:
            raise ConfigError(f"{file}:{_line(values, key)}: unknown key {section}.{key}")
    kwargs: dict[str, Any] = {}
    for name, spec in known.items():
        env_name = f"{ENV_PREFIX}{section}_{name}".upper()
        raw = environ.get(env_name, values.get(name, spec.default))
        where = env_name if env_name in environ else f"{file}:{_line(values, name)} {section}.{name}"
        kwargs[name] = _coerce(raw, type(spec.default), where, base)
    return cls(**kwargs)


def _coerce(raw: Any, kind: type, where: str, base: Path) -> Any:
    try:
        if issubclass(kind, Path):
            value = Path(str(raw))
            return value if value.is_absolute() else base / value
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if kind is float:
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: expected {kind.__name__}, got {raw!r}") from exc


def _check_env_name(name: str) -> None:
    rest = name[len(ENV_PREFIX) :].lower()
    for section, cls in SECTIONS.items():
        prefix = section + "_"
        if rest.startswith(prefix) and rest[len(prefix) :] in {f.name for f in dataclasses.fields(cls)}:
            return
    raise ConfigError(f"environment variable {name} matches no configuration key")


def _line(mapping: Any, key: str) -> str:
    try:
        return str(mapping.lc.key(key)[0] + 1)
    except (AttributeError, KeyError, TypeError):
        return "?"
