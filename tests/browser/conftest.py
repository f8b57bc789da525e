"""Browser tests: Playwright for Python driving Debian's Chromium against the local stack.

The stack comes from the session fixture ``local_stack`` (tests/conftest.py) when it exists; otherwise this
conftest starts its own ``LocalStack(port=0)``. Screenshots and the stack log go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # dashboard_helpers, shared with the test modules

from dashboard_helpers import CHROMIUM_ARGS, PageWatch, new_page

REPO_ROOT = Path(__file__).resolve().parents[2]
FRONTEND = REPO_ROOT / "frontend"
ARTIFACTS = REPO_ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _ensure_vendor() -> None:
    """The dashboard needs frontend/vendor/chart.umd.min.js (copied from node_modules by the build)."""
    if (FRONTEND / "vendor" / "chart.umd.min.js").is_file():
        return
    node = shutil.which("node")
    if node and (FRONTEND / "node_modules" / "chart.js").is_dir():
        subprocess.run([node, str(FRONTEND / "scripts" / "build.mjs")], check=True)
        return
    pytest.fail(
        "frontend/vendor/chart.umd.min.js is missing: run `npm ci --prefix frontend && node frontend/scripts/build.mjs`"
    )


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def dashboard_url(request, artifacts_dir):
    """Base URL serving the dashboard at / and the API at /api."""
    _ensure_vendor()
    try:
        stack = request.getfixturevalue("local_stack")
    except pytest.FixtureLookupError:
        stack = None
    if stack is not None:
        yield stack.base_url.rstrip("/")
        return
    from local_stack.stack import LocalStack

    with (artifacts_dir / "browser-stack.log").open("w") as log, LocalStack(port=0, log=log) as own:
        yield own.base_url.rstrip("/")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("Debian's Chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser, watch):
    """A fresh context (empty localStorage) per test; fails the test on CSP violations or script errors."""
    context, pg = new_page(browser, watch)
    yield pg
    violations = []
    try:
        violations = pg.evaluate("window.__cspViolations || []")
    except Exception:  # the page may be closed or navigating
        violations = []
    context.close()
    csp_console = [m for m in watch.console_errors if "Content Security Policy" in m]
    assert not violations and not csp_console, f"CSP violations: {violations} {csp_console}"
    assert not watch.page_errors, f"uncaught errors in the page: {watch.page_errors}"
    assert not watch.dialogs, f"unexpected dialogs: {watch.dialogs}"
