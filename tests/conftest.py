"""The suite's fixtures are plugins under tests/fixtures/, whose modules also hold the constants
tests import. Every test under tests/e2e is marked e2e and every one under tests/browser is
marked browser, so `bin/test -m "not e2e and not browser"` is the everyday fast loop."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.twilio",
    "tests.fixtures.app",
    "tests.fixtures.people",
    "tests.fixtures.line",
    "tests.fixtures.browser",
    "tests.fixtures.simulator",
]

TESTS = Path(__file__).parent
MARKED_FOLDERS = ("e2e", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        folder = item.path.relative_to(TESTS).parts[0]
        if folder in MARKED_FOLDERS:
            item.add_marker(folder)
