"""dvc-gateway: carries a province's administrative dossiers to the National Public Service Portal."""

from __future__ import annotations

__version__ = "0.1.0"
