"""The simulator's settings: where it listens, its store, its login, its limits.

Read by the simulator itself, so that it needs nothing of the gateway: the ``sim:`` section of the
project's ``config.yaml`` (or the file named by ``DVCGW_CONFIG``), then the ``DVCGW_SIM_<KEY>``
environment overrides, exactly the keys and defaults that ``docs/portal-sim.md`` lists. Other
sections of the file belong to the gateway and are not looked at. Relative paths are resolved
against the file's directory. Under ``dvcgw portal-sim`` the gateway's command group has read the
file already (honouring ``--config``); ``from_values`` takes its ``sim`` section as it is.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_PACKAGED = Path(__file__).resolve().parents[1] / "_data" / "config.yaml"  # an installed wheel's copy
DEFAULT_CONFIG = _PACKAGED if _PACKAGED.is_file() else PROJECT_ROOT / "config.yaml"
ENV_PREFIX = "DVCGW_SIM_"
SECTION = "sim"


class SettingsError(ValueError):
    """The ``sim:`` section or a ``DVCGW_SIM_*`` variable is wrong; the message says where."""


@dataclass(frozen=True)
class SimSettings:
    """What one simulator runs with (defaults as in config.yaml)."""

    host: str = "127.0.0.1"
    port: int = 8089
    db: Path = Path("var/portal-sim.sqlite3")
    username: str = "dvcgw"
    password: str = "dvcgw-sim"  # noqa: S105 - the simulator's own test login, documented
    batch_max: int = 100
    session_ttl_s: int = 1800
    max_body_mb: int = 16

    @classmethod
    def from_values(cls, values: object) -> SimSettings:
        """Settings from an object with the same attribute names (the gateway's loaded ``sim``)."""
        found = {f.name: getattr(values, f.name) for f in dataclasses.fields(cls) if hasattr(values, f.name)}
        return cls(**{k: _coerce(k, v, f"the configuration's sim.{k}", Path.cwd()) for k, v in found.items()})


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> SimSettings:
    """Read the ``sim:`` section of ``path`` (default: ``DVCGW_CONFIG`` or config.yaml) and apply
    the ``DVCGW_SIM_*`` overrides; raise ``SettingsError`` naming the file, key or variable."""
    environ = os.environ if environ is None else environ
    path = path or Path(environ.get("DVCGW_CONFIG", DEFAULT_CONFIG))
    try:
        document = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the configuration: {exc.strerror}") from exc
    except YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from exc
    section = document.get(SECTION) if isinstance(document, Mapping) else None
    section = section or {}
    if not isinstance(section, Mapping):
        raise SettingsError(f"{path}: section {SECTION!r} must be a mapping")
    known = {f.name for f in dataclasses.fields(SimSettings)}
    unknown = sorted(str(k) for k in section if k not in known)
    if unknown:
        raise SettingsError(f"{path}: unknown key {SECTION}.{unknown[0]} (known: {', '.join(sorted(known))})")
    for name in environ:
        if name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower() not in known:
            raise SettingsError(f"environment variable {name} matches no key of the {SECTION} section")
    values: dict[str, Any] = {}
    for name in known:
        variable = ENV_PREFIX + name.upper()
        if variable in environ:
            values[name] = _coerce(name, environ[variable], variable, Path.cwd())
        elif name in section:
            values[name] = _coerce(name, section[name], f"{path}: {SECTION}.{name}", path.parent)
    return SimSettings(**values)


def _coerce(name: str, raw: Any, where: str, base: Path) -> Any:
    default = getattr(SimSettings(), name)
    if isinstance(default, Path):
        value = Path(str(raw))
        return value if value.is_absolute() else base / value
    if isinstance(default, int):
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise SettingsError(f"{where}: expected an integer, got {raw!r}")
        try:
            number = int(raw)
        except ValueError:
            raise SettingsError(f"{where}: expected an integer, got {raw!r}") from None
        if number < 0:
            raise SettingsError(f"{where}: expected an integer ≥ 0, got {raw!r}")
        return number
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise SettingsError(f"{where}: expected text, got {raw!r}")
    return str(raw)
