"""``/api/docs``: Swagger UI that renders under the dashboard's Content-Security-Policy.

CloudFront adds ``script-src 'self'; style-src 'self'`` to every response (template.yaml, DashboardSecurityHeaders),
which blocks the page Powertools' ``enable_swagger`` builds (the whole bundle, the spec and the start-up code inline).
Here the page only links files from the same origin: the Swagger UI bundle and stylesheet that ship inside
Powertools (no CDN), and a small start-up script that loads ``/api/openapi.json``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Async Social Analytics API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
"""

# The document lives next to this page: /api/docs -> /api/openapi.json (also under a stage prefix such as /dev).
INIT_JS = """"use strict";
window.ui = SwaggerUIBundle({
  url: window.location.pathname.replace(/\\/docs\\/?$/, "/openapi.json"),
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""

ASSETS = {
    "swagger-ui.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}


@cache
def asset(name: str) -> tuple[str, str] | None:
    """``(body, content type)`` of a docs file, or None for an unknown name."""
    if name == "init.js":
        return INIT_JS, "text/javascript; charset=utf-8"
    if name not in ASSETS:
        return None
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    file_name, content_type = ASSETS[name]
    return (Path(swagger_ui.__file__).parent / file_name).read_text(encoding="utf-8"), content_type
