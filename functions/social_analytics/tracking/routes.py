# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""Routes of tracked keywords: track / untrack (admin), the list, a keyword's history, alerts."""

from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from social_analytics.api import admin, views
from social_analytics.api.http import ADMIN_SECURITY, KeywordInPath, error_response, json_answer
from social_analytics.query import parse_query
from social_analytics.schemas import (
    ADMIN_RESPONSES,
    ERROR_RESPONSES,
    AlertList,
    ErrorBody,
    History,
    Tracked,
    TrackedList,
    TrackRequest,
    json_response,
)
from social_analytics.tracking import scans, stream_views

router = APIGatewayRouter()


# Admin routes are also refused before routing (api.app.handle), so a caller without the token learns nothing from
# 422s; the in-route check is the second lock.
@router.post(
    "/api/tracked",
    summary="Track a keyword: scan it on a schedule (admin)",
    security=ADMIN_SECURITY,
    responses={200: json_response(Tracked, "Updated."), 201: json_response(Tracked, "Now tracked."), **ADMIN_RESPONSES}
    | ERROR_RESPONSES,
)
def create_tracked(request: TrackRequest) -> Response[dict]:
    admin.require(router.current_event.headers)
    item, created = scans.track(**track_arguments(request))
    return json_answer(HTTPStatus.CREATED if created else HTTPStatus.OK, scans.public(item))


def track_arguments(request: TrackRequest) -> dict:
    """The request as ``scans.track``'s arguments (languages sorted and deduplicated, as the job message keeps them)."""
    languages = sorted(set(request.languages)) if request.languages else None
    return request.model_dump() | {"languages": languages}


@router.get("/api/tracked", summary="The tracked keywords", responses={200: json_response(TrackedList, "")})
def get_tracked() -> dict:
    return {"tracked": scans.list_tracked()}


@router.delete(
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
    keyword = views.path_keyword(keyword)
    admin.require(router.current_event.headers)
    if not scans.untrack(keyword):
        return error_response(HTTPStatus.NOT_FOUND, "not_tracked", "this keyword is not tracked")
    return json_answer(HTTPStatus.OK, {"keyword": keyword, "key": parse_query(keyword).key, "tracked": False})


@router.get(
    "/api/tracked/<keyword>/live",
    summary="A tracked keyword's per-minute counts from the Bluesky stream, every minute of the span",
    responses={200: json_response(dict, ""), 422: ERROR_RESPONSES[422]},
)
def get_live(
    keyword: KeywordInPath,
    minutes: Annotated[int, Query(ge=1, le=1440, description="The span, whole minutes up to now")] = 60,
) -> dict:
    return stream_views.live(views.path_keyword(keyword), minutes)


@router.get(
    "/api/tracked/<keyword>/backtest",
    summary="How often the stream alert rule would have fired over the stored minutes",
    responses={200: json_response(dict, ""), 422: ERROR_RESPONSES[422]},
)
def get_backtest(
    keyword: KeywordInPath,
    sensitivity: Annotated[Literal["low", "medium", "high"], Query()] = "medium",
) -> dict:
    return stream_views.backtest(views.path_keyword(keyword), sensitivity)


@router.get(
    "/api/analyses/<keyword>/history",
    summary="A keyword's history points (scheduled scans), oldest first",
    responses={200: json_response(History, ""), 422: ERROR_RESPONSES[422]},
)
def get_history(
    keyword: KeywordInPath,
    since: Annotated[str | None, Query(description="ISO 8601; default 7 days before `until`")] = None,
    until: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
) -> dict:
    return views.history(views.path_keyword(keyword), since, until)


@router.get(
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


@router.post(
    "/api/admin/stream/reset",
    summary="Forget the stream's cursor and recorded gaps; the next run starts from the present (admin)",
    security=ADMIN_SECURITY,
    responses={200: json_response(dict, "Reset."), **ADMIN_RESPONSES},
)
def reset_stream() -> Response[dict]:
    admin.require(router.current_event.headers)
    return json_answer(HTTPStatus.OK, stream_views.reset_stream())


@router.exception_handler(scans.TooManyTracked)
def too_many_tracked(error: scans.TooManyTracked) -> Response[dict]:
    return error_response(HTTPStatus.CONFLICT, "too_many_tracked", f"at most {error.args[0]} tracked keywords")
