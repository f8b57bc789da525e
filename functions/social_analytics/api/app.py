# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""The API's resolver: each feature's Router joined with include_router, the shared error handlers, and the checks
that run before routing (body size and encoding, the admin gate)."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from social_analytics import public_errors
from social_analytics.analyses import routes as analyses_routes
from social_analytics.analyses.sources import spend
from social_analytics.api import admin, apidocs, http, origin, views
from social_analytics.imports import routes as imports_routes
from social_analytics.observability import logger
from social_analytics.query import QuerySyntaxError
from social_analytics.schemas import Health, MetricsBody, json_response
from social_analytics.tracking import routes as tracking_routes

app = APIGatewayRestResolver(enable_validation=True)
app.configure_openapi(
    title="Async Social Analytics API",
    version="1.0.0",
    openapi_version="3.0.3",
    security_schemes={"adminBearer": HTTPBearer(description="The admin token: `Authorization: Bearer <token>`.")},
)
app.include_router(analyses_routes.router)


@app.get("/api/metrics", summary="Cache, queue and latency counters", responses={200: json_response(MetricsBody, "")})
def get_metrics() -> dict:
    return {**views.metrics(), "spend": spend.report()}


@app.get("/api/health", summary="Liveness", responses={200: json_response(Health, "")})
def health() -> dict:
    return {"status": "ok"}


app.include_router(tracking_routes.router)
app.include_router(imports_routes.router)


@app.get("/api/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=app.get_openapi_json_schema())


# Swagger UI from same-origin files only, so it renders under the dashboard's CSP (api.apidocs).
@app.get("/api/docs", include_in_schema=False)
def docs_page() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=apidocs.PAGE)


@app.get("/api/docs/<name>", include_in_schema=False)
def docs_asset(name: str) -> Response[dict | str]:
    found = apidocs.asset(name)
    if found is None:
        return http.error_response(HTTPStatus.NOT_FOUND, "not_found", f"no route for {app.current_event.path}")
    body, content_type = found
    return Response(status_code=200, content_type=content_type, body=body, headers={"Cache-Control": "max-age=3600"})


@app.exception_handler(admin.Unauthorized)
def unauthorized(_error: admin.Unauthorized) -> Response[dict]:
    return http.error_response(HTTPStatus.UNAUTHORIZED, "unauthorized", "a valid admin token is required")


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[dict]:
    fields = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ()) if part not in ("body",)]
        message = str(problem.get("msg", "invalid"))
        if problem.get("type") == "json_invalid":
            return http.error_response(HTTPStatus.BAD_REQUEST, "invalid_json", "the request body is not valid JSON")
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        field = {"field": ".".join(location) or "body", "message": message.removeprefix("Value error, ")}
        cause = (problem.get("ctx") or {}).get("error")
        if isinstance(cause, QuerySyntaxError):  # a query that does not parse: where, for the dashboard's caret
            field["position"] = cause.position
        fields.append(field)
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
    return http.error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", summary, fields)


@app.exception_handler(Exception)
def internal_error(error: Exception) -> Response[dict]:
    # Anything unexpected (a storage error, a bug): a fixed phrase with the request id; the detail goes to the logs.
    request_id = app.current_event.request_context.request_id or ""
    logger.exception("unhandled error", extra={"request_id": request_id, "error": type(error).__name__})
    return http.error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", public_errors.internal_error(request_id)
    )


@app.not_found
def not_found(_error: Exception) -> Response[dict]:
    return http.error_response(HTTPStatus.NOT_FOUND, "not_found", f"no route for {app.current_event.path}")


def handle(event: dict, context) -> dict:
    """Refuse what must not reach a route (not through CloudFront, too large, admin without a token, unreadable
    body), then route."""
    if not origin.from_cloudfront(event):  # first: a request that bypassed CloudFront gets no work at all
        return origin.FORBIDDEN_ORIGIN
    if http.body_too_large(event):
        return {**http.BODY_TOO_LARGE}
    if views.is_admin_call(event) and not admin.is_authorized(event.get("headers")):
        return views.UNAUTHORIZED
    problem = http.unreadable_body(event)
    if problem:
        return http.invalid_json(problem)
    return app.resolve(http.as_json_request(event), context)
