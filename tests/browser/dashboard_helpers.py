"""Helpers shared by the browser tests (a plain module: test files import it, conftest uses it)."""

from __future__ import annotations

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
