"""Helpers shared by the browser tests (a plain module: test files import it, conftest uses it)."""

from __future__ import annotations

import time
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class PageWatch:
    """What a page did that a test may assert on: console errors, CSP violations, dialogs, API requests."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[tuple[str, str]] = []

    def api_requests(self, method: str, fragment: str) -> list[str]:
        return [url for m, url in self.requests if m == method and fragment in url]


CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || ''));
});
"""


def new_page(browser, watch: PageWatch, width: int = 1280, height: int = 800, **context_args):
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True, **context_args)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(CSP_PROBE)
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.on("pageerror", lambda e: watch.page_errors.append(str(e)))

    def on_dialog(dialog):
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: "/api/" in r.url and watch.requests.append((r.method, r.url)))
    return context, page


REPO_ROOT = Path(__file__).resolve().parents[2]
# axe-core is a dev dependency (frontend/package.json): served to the page under test only, never deployed.
AXE_JS = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__test__/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def poll(page, expression: str, arg=None, timeout: float = 30.0, interval: float = 0.1):
    """Evaluate a JS function in the page until it returns something truthy (the CSP forbids the eval that
    ``wait_for_function`` with a string needs); returns that value, or fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = page.evaluate(expression, arg)
        except Exception as error:  # the page may be navigating
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {expression!r} (last: {last!r})")


def run_axe(page, base_url: str) -> list[dict]:
    """Runs axe-core's WCAG 2.x A/AA rules on the page as it is; returns the violations (empty when clean)."""
    if not AXE_JS.is_file():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci --prefix frontend`")
    page.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript"))
    page.add_script_tag(url=base_url + AXE_PATH)  # same origin: allowed by the CSP's script-src 'self'
    return page.evaluate(
        """async (tags) => {
            const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags } });
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }""",
        WCAG_TAGS,
    )
