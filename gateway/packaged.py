"""The files dvc-gateway ships with: the national schemas, the mappings and the default configuration.

In a checkout they are the repository's top-level ``schemas/``, ``mappings/`` and ``config.yaml``
(the layout the docs describe). A wheel carries copies of them in ``gateway/_data/`` (``setup.py``
copies them there at build time), so an installed ``dvcgw`` finds them from any directory.

Mappings are looked up by name in the configured folder (``paths.mappings``) first, then among the
shipped ones: a province adds or overrides a dialect by dropping ``<name>.yaml`` into its folder,
and the shipped dialects stay available beside it.
"""

from __future__ import annotations

from pathlib import Path

_INSTALLED = Path(__file__).resolve().parent / "_data"
_CHECKOUT = Path(__file__).resolve().parents[1]

DATA_ROOT = _INSTALLED if _INSTALLED.is_dir() else _CHECKOUT
"""Where the shipped files are: ``gateway/_data`` in an installed wheel, the repository otherwise."""
SCHEMA_DIR = DATA_ROOT / "schemas"
MAPPINGS_DIR = DATA_ROOT / "mappings"
DEFAULT_CONFIG = DATA_ROOT / "config.yaml"
INSTALLED = DATA_ROOT == _INSTALLED
"""True when running from an installed wheel rather than a checkout (or an editable install)."""


def mapping_file(folder: Path, name: str) -> Path | None:
    """The mapping ``name``: ``<folder>/<name>.yaml`` if there is one, else the shipped one; None
    when neither exists."""
    for candidate in (folder / f"{name}.yaml", MAPPINGS_DIR / f"{name}.yaml"):
        if candidate.is_file():
            return candidate
    return None


def mapping_names(folder: Path) -> list[str]:
    """The names of every mapping ``mapping_file`` finds: the folder's and the shipped ones."""
    return sorted({p.stem for d in (folder, MAPPINGS_DIR) if d.is_dir() for p in d.glob("*.yaml")})
