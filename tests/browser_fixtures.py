"""The ``browser`` fixture (a pytest plugin loaded by tests/conftest.py): headless Chromium for the
tests of pages people look at (the reconciliation report, the operator console).

Debian's ``chromium`` driven by Playwright for Python, which never downloads a browser of its own
here. Without either the tests are skipped on a workstation, and fail under CI (``$CI`` set), which
must run them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the module's tests."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = [
        what
        for what, absent in (
            ("Playwright for Python", importlib.util.find_spec("playwright") is None),
            ("Debian's chromium", executable is None),
        )
        if absent
    ]
    if missing:
        reason = f"{' and '.join(missing)} not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
