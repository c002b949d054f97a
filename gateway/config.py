"""Configuration: ``config.yaml`` → frozen dataclasses, one per component, with env overrides.

Every key of ``config.yaml`` can be overridden by ``DVCGW_<SECTION>_<KEY>`` (upper case). An
unknown key, in the file or in the environment, is an error naming the key's path and line, so a
typo never silently leaves a default in force. Values take the type their field declares: ``int``,
``float``, ``bool`` (``true``/``false``, ``1``/``0``, ``yes``/``no``), ``Path`` (relative to the
file's folder), a choice (``Literal``), a list of integers (a YAML list, or ``10,60,600`` in the
environment), or ``None`` for an optional value (YAML ``null``, or an empty environment variable).
Secrets (``portal.password``) are read from the environment only.

The file is the first of: the one given (``dvcgw --config``), ``$DVCGW_CONFIG``, ``./config.yaml``,
``/etc/dvc-gateway/config.yaml``, the packaged defaults (``gateway.packaged``). Relative paths in a
file are resolved against its folder; those of the packaged defaults, which live inside the
installed package, against the current directory (so state goes to ``./var``).
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gateway import packaged
from gateway.errors import ConfigError

ENV_PREFIX = "DVCGW_"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = packaged.DEFAULT_CONFIG
SYSTEM_CONFIG = Path("/etc/dvc-gateway/config.yaml")
SECRETS = frozenset({("portal", "password")})
NOT_KEYS = frozenset(
    {
        f"{ENV_PREFIX}CONFIG",
        f"{ENV_PREFIX}OPERATOR",
        f"{ENV_PREFIX}LOG_LEVEL",
        f"{ENV_PREFIX}CONSOLE_PASSWORD",
    }
)
"""Variables of the same prefix that are not configuration keys: the configuration file's path, the
operator's name that ``dvcgw replay`` records, the log level (``dvcgw --log-level``), and the
operator console's password (a secret: read from the environment by the console only)."""
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class IntakeConfig:
    future_skew_minutes: int = 10
    poll_interval_s: float = 1.0


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
class BrokerConfig:
    url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    prefix: str = "dvc"
    retry_delays_s: tuple[int, ...] = (10, 60, 600)
    delivery_limit: int = 20
    prefetch: int = 200
    confirm_window: int = 1000
    heartbeat_s: int = 30
    connect_timeout_s: float = 5.0


@dataclass(frozen=True)
class StoreConfig:
    url: str | None = None

    def resolved_url(self, var: Path) -> str:
        """The store's URL; without one, the SQLite file ``<var>/gateway.sqlite3``."""
        return self.url or f"sqlite:///{var / 'gateway.sqlite3'}"


@dataclass(frozen=True)
class PortalConfig:
    """The national portal and how to speak to it (``gateway.portal``).

    ``api`` picks the API generation: ``envelope`` (login, ``/api/v1/integration`` with
    ``service``; ``binding`` json or soap) or ``coordination`` (the newer "hệ thống điều phối":
    bare JSON arrays posted to the three ``coordination_*_path`` URLs, no credentials; each a path
    under ``url`` or a full URL). Look-ups and change listings, which the coordination generation
    does not offer, go to the envelope API at ``url`` when ``password`` is set.
    """

    url: str = "http://127.0.0.1:8089"
    api: Literal["envelope", "coordination"] = "envelope"
    binding: Literal["json", "soap"] = "json"
    username: str = "dvcgw"
    password: str | None = None
    madonvi: str | None = None
    timeout_s: float = 10.0
    batch_size: int = 50
    in_flight: int = 4
    call_attempts: int = 3
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 2.0
    max_retry_after_s: float = 5.0
    coordination_insert_path: str = "/api/dieuphoi/ThemMoiHoSo"
    coordination_update_path: str = "/api/dieuphoi/CapNhatHoSo"
    coordination_progress_path: str = "/api/dieuphoi/DongBoTienTrinh"
    coordination_progress_batch: int = 10


@dataclass(frozen=True)
class SyncConfig:
    workers: int = 2
    max_attempts: int = 10
    lease_s: int = 120
    batch_wait_ms: int = 50
    stuck_after_s: int = 1800


@dataclass(frozen=True)
class ReconcileConfig:
    interval_min: float = 15.0
    window_days: int = 7
    rate_per_s: float = 20.0
    page_size: int = 100
    repair: bool = True
    lease_s: int = 120


@dataclass(frozen=True)
class WebConfig:
    """The daemon's web server: metrics, health, the operator console (``gateway.web``)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8470
    allow_remote: bool = False
    timeout_s: float = 3.0


@dataclass(frozen=True)
class Config:
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    reconcile: ReconcileConfig = field(default_factory=ReconcileConfig)
    web: WebConfig = field(default_factory=WebConfig)

    @property
    def store_url(self) -> str:
        return self.store.resolved_url(self.paths.var)


SECTIONS: dict[str, type] = {
    "intake": IntakeConfig,
    "paths": PathsConfig,
    "sim": SimConfig,
    "broker": BrokerConfig,
    "store": StoreConfig,
    "portal": PortalConfig,
    "sync": SyncConfig,
    "reconcile": ReconcileConfig,
    "web": WebConfig,
}


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (default: the first file ``find_config`` names), apply ``DVCGW_*`` overrides.

    Relative paths in the file are resolved against the file's directory, or against the current
    directory for the packaged defaults.
    """
    environ = os.environ if environ is None else environ
    path = path or find_config(environ)
    base = Path.cwd() if path == DEFAULT_CONFIG and packaged.INSTALLED else path.parent
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
        sections[name] = _build(cls, values, str(path), name, environ, base)
    for key in document:
        if key not in sections:
            raise ConfigError(f"{path}:{_line(document, key)}: unknown section {key!r}")
    for name in environ:
        if name.startswith(ENV_PREFIX) and name not in NOT_KEYS:
            _check_env_name(name)
    return Config(**sections)


def find_config(environ: Mapping[str, str], cwd: Path | None = None, system: Path = SYSTEM_CONFIG) -> Path:
    """The configuration file without ``--config``: ``$DVCGW_CONFIG`` (even if missing: the error
    names it), else the first of ``./config.yaml`` and ``/etc/dvc-gateway/config.yaml`` that exists,
    else the packaged defaults."""
    named = environ.get(f"{ENV_PREFIX}CONFIG")
    if named:
        return Path(named)
    for candidate in ((cwd or Path.cwd()) / "config.yaml", system):
        if candidate.is_file():
            return candidate
    return DEFAULT_CONFIG


def _build(cls: type, values: Any, file: str, section: str, environ: Mapping[str, str], base: Path) -> Any:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{file}: section {section!r} must be a mapping")
    known = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in values:
        if key not in known:
            raise ConfigError(f"{file}:{_line(values, key)}: unknown key {section}.{key}")
        if (section, key) in SECRETS:
            env_name = f"{ENV_PREFIX}{section}_{key}".upper()
            raise ConfigError(
                f"{file}:{_line(values, key)}: {section}.{key} is a secret: set it in the environment "
                f"({env_name}), never in the file"
            )
    kwargs: dict[str, Any] = {}
    for name, spec in known.items():
        env_name = f"{ENV_PREFIX}{section}_{name}".upper()
        if env_name in environ:
            raw: Any = environ[env_name]
            where = env_name
            if raw == "" and _optional(hints[name]):
                raw = None
        else:
            raw = values.get(name, spec.default)
            where = f"{file}:{_line(values, name)} {section}.{name}"
        kwargs[name] = _coerce(raw, hints[name], where, base)
    return cls(**kwargs)


def _optional(kind: Any) -> bool:
    return isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)


def _coerce(raw: Any, kind: Any, where: str, base: Path) -> Any:
    if _optional(kind):
        if raw is None:
            return None
        (kind,) = (k for k in typing.get_args(kind) if k is not type(None))
    try:
        if typing.get_origin(kind) is Literal:
            choices = typing.get_args(kind)
            if raw not in choices:
                raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {raw!r}")
            return raw
        if typing.get_origin(kind) is tuple:
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not items:
                raise ValueError(raw)
            (item_kind, _) = typing.get_args(kind)
            return tuple(
                _coerce(item.strip() if isinstance(item, str) else item, item_kind, where, base)
                for item in items
            )
        if kind is Path:
            value = Path(str(raw))
            return value if value.is_absolute() else base / value
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, bool) or raw is None:
                raise ValueError(raw)
            return int(raw)
        if kind is float:
            if isinstance(raw, bool) or raw is None:
                raise ValueError(raw)
            return float(raw)
        if raw is None:
            raise ValueError(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        name = getattr(kind, "__name__", str(kind))
        raise ConfigError(f"{where}: expected {name}, got {raw!r}") from exc


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
