"""Build step of dvc-gateway: the wheel carries ``schemas/``, ``mappings/`` and ``config.yaml``.

Everything else is declared in ``pyproject.toml``. These three stay at the top of the repository
(where the docs and the design put them), outside the ``gateway`` package, and setuptools'
declarative ``package-data`` only takes files from inside a package's folder; so ``build_py``
copies them into ``gateway/_data/`` of the build, where ``gateway.packaged`` looks for them once
installed. An editable install needs no copy: it reads the checkout's own folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("schemas", "mappings", "config.yaml")


class BuildWithData(build_py):
    """``build_py`` that also copies the shipped files into ``gateway/_data/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "gateway" / "_data"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in SHIPPED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithData})
