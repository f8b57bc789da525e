# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""API function: a thin Powertools REST resolver over service.submissions."""

import base64
import json
from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from social_analytics import public_errors
from social_analytics.models import normalize_keyword
from social_analytics.observability import logger, metrics, tracer
from social_analytics.schemas import (
    ADMIN_RESPONSES,
    ERROR_RESPONSES,
    AcceptedImport,
    AcceptedJob,
    AlertList,
    AnalysisRequest,
    CachedAnswer,
    CompareBody,
    Deletion,
    ErrorBody,
    Health,
    History,
    ImportRequest,
    JobStatus,
    MetricsBody,
    Result,
    Tracked,
    TrackedList,
    TrackRequest,
    json_response,
)
from social_analytics.service import (
    admin,
    apidocs,
    compare,
    deletion,
    spend,
    stream_views,
    submissions,
    tracking,
    views,
)
from social_analytics.service import imports as import_service
from social_analytics.service.origin import FORBIDDEN_ORIGIN, from_cloudfront
from social_analytics.storage.metrics import read_metrics

MAX_BODY_BYTES = 64 * 1024
# API Gateway (REST) hands over the path still percent-encoded, so "#AWS", "AC/DC" or "a b" arrive as one
# encoded segment: the routes decode it.
KeywordInPath = Annotated[str, Path(min_length=1, max_length=3000, description="The keyword, URL-encoded")]

app = APIGatewayRestResolver(enable_validation=True)
app.configure_openapi(
    title="Async Social Analytics API",
    version="1.0.0",
    openapi_version="3.0.3",
    security_schemes={"adminBearer": HTTPBearer(description="The admin token: `Authorization: Bearer <token>`.")},
)
ADMIN_SECURITY = [{"adminBearer": []}]


def error_response(status: int, code: str, message: str, fields: list | None = None) -> Response[dict]:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return Response(status_code=status, content_type="application/json", body={"error": error})


@app.post(
    "/api/analyses",
    summary="Analyze a keyword: the cached result (200) or a queued job (202)",
    responses={
        200: json_response(CachedAnswer, "A fresh cached result."),
        202: json_response(AcceptedJob, "A job was queued (or an identical one is in flight)."),
        **ERROR_RESPONSES,
    },
)
def create_analysis(request: AnalysisRequest) -> Response[dict | str]:
    event = app.current_event
    paid_allowed = spend.caller_may_spend(event.raw_event, is_admin=admin.is_authorized(event.headers))
    answer = submissions.submit(
        submissions.Submission(
            keyword=request.keyword,
            limit=request.limit,
            refresh=request.refresh,
            window_hours=request.window_hours,
            languages=tuple(sorted(set(request.languages))) if request.languages else None,
            providers=tuple(request.providers) if request.providers else None,
            paid_allowed=paid_allowed,
        )
    )
    metrics.add_metric(name="CacheHit" if answer.cached else "CacheMiss", unit=MetricUnit.Count, value=1)
    if not answer.cached:  # the job id follows the job: API -> SQS -> worker logs share it as correlation id
        logger.set_correlation_id(answer.body["job_id"])
    if answer.enqueued:
        metrics.add_metric(name="TasksEnqueued", unit=MetricUnit.Count, value=1)
        logger.info("analysis queued", extra={"job_id": answer.body["job_id"], "keyword": answer.body["keyword"]})
    status = HTTPStatus.OK if answer.cached else HTTPStatus.ACCEPTED
    # A hot cache hit comes pre-serialized (str); everything else is a dict the resolver validates and encodes.
    return Response(status_code=status, content_type="application/json", body=answer.text or answer.body)


@app.get(
    "/api/jobs/<job_id>",
    summary="A job's status, with its result once done",
    responses={200: json_response(JobStatus, "The job."), 404: json_response(dict, "Unknown job id.")},
)
def get_job(job_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]) -> dict:
    return submissions.job_status(job_id)


@app.get(
    "/api/analyses/<keyword>",
    summary="The latest result of a keyword",
    responses={
        200: json_response(Result, "The latest result."),
        404: json_response(dict, "Never analyzed."),
        422: ERROR_RESPONSES[422],
    },
)
def get_latest(keyword: KeywordInPath) -> dict:
    keyword = views.path_keyword(keyword)  # REST API paths stay percent-encoded
    return submissions.latest_result(keyword)


@app.get("/api/metrics", summary="Cache, queue and latency counters", responses={200: json_response(MetricsBody, "")})
def get_metrics() -> dict:
    return {**read_metrics(), "spend": spend.report()}


@app.get("/api/health", summary="Liveness", responses={200: json_response(Health, "")})
def health() -> dict:
    return {"status": "ok"}


# ------------------------------------------------------------------ tracked keywords, history, alerts, compare
# Admin routes are also refused in `handler` before validation, so a caller without the token learns
# nothing from 422s; the in-route check is the second lock.
@app.post(
    "/api/tracked",
    summary="Track a keyword: scan it on a schedule (admin)",
    security=ADMIN_SECURITY,
    responses={200: json_response(Tracked, "Updated."), 201: json_response(Tracked, "Now tracked."), **ADMIN_RESPONSES}
    | ERROR_RESPONSES,
)
def create_tracked(request: TrackRequest) -> Response[dict]:
    admin.require(app.current_event.headers)
    try:
        item, created = tracking.track(
            request.keyword,
            request.interval_minutes,
            providers=request.providers,
            sensitivity=request.sensitivity,
            min_volume=request.min_volume,
            limit=request.limit,
            window_hours=request.window_hours,
            languages=sorted(set(request.languages)) if request.languages else None,
        )
    except tracking.TooManyTracked as error:
        return error_response(HTTPStatus.CONFLICT, "too_many_tracked", f"at most {error.args[0]} tracked keywords")
    status = HTTPStatus.CREATED if created else HTTPStatus.OK
    return Response(status_code=status, content_type="application/json", body=tracking.public(item))


@app.get("/api/tracked", summary="The tracked keywords", responses={200: json_response(TrackedList, "")})
def get_tracked() -> dict:
    return {"tracked": tracking.list_tracked()}


@app.delete(
    "/api/tracked/<keyword>",
    summary="Stop tracking a keyword; its history stays (admin)",
    security=ADMIN_SECURITY,
    responses={
        200: json_response(dict, "Untracked."),
        404: json_response(ErrorBody, "Not tracked."),
        422: ERROR_RESPONSES[422],
        **ADMIN_RESPONSES,
    },
)
def delete_tracked(keyword: KeywordInPath) -> Response[dict]:
    keyword = views.path_keyword(keyword)  # REST API paths stay percent-encoded
    admin.require(app.current_event.headers)
    if not tracking.untrack(keyword):
        return error_response(HTTPStatus.NOT_FOUND, "not_tracked", "this keyword is not tracked")
    return Response(
        status_code=HTTPStatus.OK,
        content_type="application/json",
        body={"keyword": keyword, "key": normalize_keyword(keyword), "tracked": False},
    )


@app.get(
    "/api/tracked/<keyword>/live",
    summary="A tracked keyword's per-minute counts from the Bluesky stream, every minute of the span",
    responses={200: json_response(dict, ""), 422: ERROR_RESPONSES[422]},
)
def get_live(
    keyword: KeywordInPath,
    minutes: Annotated[int, Query(ge=1, le=1440, description="The span, whole minutes up to now")] = 60,
) -> dict:
    keyword = views.path_keyword(keyword)  # REST API paths stay percent-encoded
    return stream_views.live(keyword, minutes)


@app.get(
    "/api/tracked/<keyword>/backtest",
    summary="How often the stream alert rule would have fired over the stored minutes",
    responses={200: json_response(dict, ""), 422: ERROR_RESPONSES[422]},
)
def get_backtest(
    keyword: KeywordInPath,
    sensitivity: Annotated[Literal["low", "medium", "high"], Query()] = "medium",
) -> dict:
    keyword = views.path_keyword(keyword)  # REST API paths stay percent-encoded
    return stream_views.backtest(keyword, sensitivity)


@app.get(
    "/api/analyses/<keyword>/history",
    summary="A keyword's history points (scheduled scans), oldest first",
    responses={200: json_response(History, ""), 422: ERROR_RESPONSES[422]},
)
def get_history(
    keyword: KeywordInPath,
    since: Annotated[str | None, Query(description="ISO 8601; default 7 days before `until`")] = None,
    until: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
) -> dict:
    keyword = views.path_keyword(keyword)  # REST API paths stay percent-encoded
    return views.history(keyword, since, until)


@app.delete(
    "/api/analyses/<keyword>",
    summary="Delete every stored result, history point, cursor and post of a keyword (admin)",
    security=ADMIN_SECURITY,
    responses={
        200: json_response(Deletion, "What was deleted, per kind."),
        202: json_response(AcceptedJob, "A large deletion runs as a job; its result is the counts."),
        422: ERROR_RESPONSES[422],
        **ADMIN_RESPONSES,
    },
)
def delete_analyses(keyword: KeywordInPath) -> Response[dict]:
    keyword = views.path_keyword(keyword)  # REST API paths stay percent-encoded
    admin.require(app.current_event.headers)
    status, body = deletion.delete_keyword(keyword)
    return Response(status_code=status, content_type="application/json", body=body)


@app.get(
    "/api/alerts",
    summary="Alerts, newest first",
    responses={200: json_response(AlertList, ""), 422: ERROR_RESPONSES[422]},
)
def get_alerts(
    keyword: Annotated[str | None, Query(max_length=1000)] = None,
    since: Annotated[str | None, Query(description="ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    return views.alerts(keyword, since, limit)


@app.get(
    "/api/compare",
    summary="Share of voice of up to 10 keywords, from their latest results",
    responses={200: json_response(CompareBody, ""), 422: ERROR_RESPONSES[422]},
)
def get_compare(keywords: Annotated[str, Query(description="Comma-separated, 1..10")]) -> dict:
    return compare.share_of_voice(views.compare_keywords(keywords))


# ------------------------------------------------------------------ imports
@app.post(
    "/api/imports",
    summary="Analyze your own posts: a queued import job and a presigned URL to PUT the CSV / JSON Lines file to",
    responses={201: json_response(AcceptedImport, "The job waits for the upload."), **ERROR_RESPONSES},
)
def create_import(request: ImportRequest) -> Response[dict]:
    body = import_service.create_import(request.keyword, request.format)
    return Response(status_code=HTTPStatus.CREATED, content_type="application/json", body=body)


@app.exception_handler(admin.Unauthorized)
def unauthorized(_error: admin.Unauthorized) -> Response[dict]:
    return error_response(HTTPStatus.UNAUTHORIZED, "unauthorized", "a valid admin token is required")


@app.get("/api/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=app.get_openapi_json_schema())


# Swagger UI from same-origin files only, so it renders under the dashboard's CSP (service.apidocs).
@app.get("/api/docs", include_in_schema=False)
def docs_page() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=apidocs.PAGE)


@app.get("/api/docs/<name>", include_in_schema=False)
def docs_asset(name: str) -> Response[dict | str]:
    found = apidocs.asset(name)
    if found is None:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", f"no route for {app.current_event.path}")
    body, content_type = found
    return Response(status_code=200, content_type=content_type, body=body, headers={"Cache-Control": "max-age=3600"})


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[dict]:
    fields = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ()) if part not in ("body",)]
        message = str(problem.get("msg", "invalid"))
        if problem.get("type") == "json_invalid":
            return error_response(HTTPStatus.BAD_REQUEST, "invalid_json", "the request body is not valid JSON")
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        fields.append({"field": ".".join(location) or "body", "message": message.removeprefix("Value error, ")})
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", summary, fields)


@app.exception_handler(submissions.UnknownJob)
def unknown_job(error: submissions.UnknownJob) -> Response[dict]:
    return error_response(HTTPStatus.NOT_FOUND, "unknown_job", f"no job with id {error.args[0]!r}")


@app.exception_handler(submissions.NoResult)
def no_result(error: submissions.NoResult) -> Response[dict]:
    return error_response(HTTPStatus.NOT_FOUND, "no_result", "this keyword has not been analyzed yet")


@app.exception_handler(submissions.QueueUnavailable)
def queue_unavailable(error: submissions.QueueUnavailable) -> Response[dict]:
    logger.exception("enqueue failed")
    return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "queue_unavailable", "the job could not be queued; retry")


@app.exception_handler(Exception)
def internal_error(error: Exception) -> Response[dict]:
    # Anything unexpected (a storage error, a bug): a fixed phrase with the request id; the detail goes to the logs.
    request_id = app.current_event.request_context.request_id or ""
    logger.exception("unhandled error", extra={"request_id": request_id, "error": type(error).__name__})
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", public_errors.internal_error(request_id))


@app.not_found
def not_found(_error: Exception) -> Response[dict]:
    return error_response(HTTPStatus.NOT_FOUND, "not_found", f"no route for {app.current_event.path}")


def _body_too_large(event: dict) -> bool:
    body = event.get("body") or ""
    return len(body) > MAX_BODY_BYTES


def _unreadable_body(event: dict) -> str | None:
    """Why the body cannot be read as JSON at all (binary, not UTF-8, nested past the parser's depth)."""
    body = event.get("body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return "the request body is not UTF-8 text"
        event["body"], event["isBase64Encoded"] = body, False
    try:
        json.loads(body)
    except RecursionError:
        return "the request body is nested too deeply"
    except ValueError:
        return None  # ordinary malformed JSON: the resolver reports it with the same code
    return None


def _as_json_request(event: dict) -> dict:
    """Every body this API accepts is JSON: read it as JSON whatever Content-Type the client sent
    (``curl -d`` says form-urlencoded), so a bad body is reported as bad JSON, not as missing fields."""
    if not event.get("body"):
        return event
    headers = {key: value for key, value in (event.get("headers") or {}).items() if key.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {
        **event,
        "headers": {**headers, "Content-Type": "application/json"},
        "multiValueHeaders": {**multi, "Content-Type": ["application/json"]},
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context) -> dict:
    if not from_cloudfront(event):  # first: a request that bypassed CloudFront gets no work at all
        return FORBIDDEN_ORIGIN
    if _body_too_large(event):
        return {
            "statusCode": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "headers": {"Content-Type": "application/json"},
            "body": '{"error":{"code":"body_too_large","message":"the request body exceeds 65536 bytes"}}',
        }
    if views.is_admin_call(event) and not admin.is_authorized(event.get("headers")):
        return views.UNAUTHORIZED
    problem = _unreadable_body(event)
    if problem:
        return {
            "statusCode": HTTPStatus.BAD_REQUEST,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": {"code": "invalid_json", "message": problem}}),
        }
    return app.resolve(_as_json_request(event), context)
