"""``/api/docs`` in Chromium under the Content-Security-Policy CloudFront adds in AWS.

The local front sends no CSP header, so the test adds the template's own policy (DashboardSecurityHeaders, which
overrides whatever the origin sends) to every /api/docs response, as CloudFront would. The ``page`` fixture fails the
test on any CSP violation or page error.
"""

from __future__ import annotations

from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def cloudfront_csp() -> str:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=Loader)  # a SafeLoader subclass
    config = template["Resources"]["DashboardSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    return config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]


def test_the_api_docs_render_under_the_cloudfront_csp(page, dashboard_url):
    csp = cloudfront_csp()
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": csp})

    page.route("**/api/docs**", with_csp)
    page.goto(f"{dashboard_url}/api/docs")

    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Async Social Analytics API" in page.inner_text(".swagger-ui .info .title")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    paths = set(operations.all_inner_texts())
    assert {"/api/analyses", "/api/metrics", "/api/tracked"} <= {p.replace("\u200b", "") for p in paths}
    # the admin scheme is offered (the Authorize button) for the admin routes
    assert page.locator(".swagger-ui .auth-wrapper .authorize").count() == 1
