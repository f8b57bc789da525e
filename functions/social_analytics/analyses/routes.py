# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""Routes of "analyze a keyword": POST /api/analyses, the job, the latest result, deletion, share of voice."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from social_analytics.analyses import compare, deletion, submit
from social_analytics.analyses.sources import spend
from social_analytics.api import admin, views
from social_analytics.api.http import ADMIN_SECURITY, KeywordInPath, error_response, json_answer
from social_analytics.observability import logger
from social_analytics.schemas import (
    ADMIN_RESPONSES,
    ERROR_RESPONSES,
    AcceptedJob,
    AnalysisRequest,
    CachedAnswer,
    CompareBody,
    Deletion,
    JobStatus,
    Result,
    json_response,
)

router = APIGatewayRouter()


@router.post(
    "/api/analyses",
    summary="Analyze a keyword: the cached result (200) or a queued job (202)",
    responses={
        200: json_response(CachedAnswer, "A fresh cached result."),
        202: json_response(AcceptedJob, "A job was queued (or an identical one is in flight)."),
        **ERROR_RESPONSES,
    },
)
def create_analysis(request: AnalysisRequest) -> Response[dict | str]:
    return answer_response(submit.submit(submission_of(request)))


def submission_of(request: AnalysisRequest) -> submit.Submission:
    """The request as the service's Submission; paid sources only for callers who may spend (API key, admin)."""
    event = router.current_event
    return submit.Submission(
        keyword=request.keyword,
        limit=request.limit,
        refresh=request.refresh,
        window_hours=request.window_hours,
        languages=tuple(sorted(set(request.languages))) if request.languages else None,
        providers=tuple(request.providers) if request.providers else None,
        paid_allowed=spend.caller_may_spend(event.raw_event, is_admin=admin.is_authorized(event.headers)),
    )


def answer_response(answer: submit.Answer) -> Response[dict | str]:
    """200 with the cached result, or 202 with the job; the job id becomes the logs' correlation id."""
    if not answer.cached:  # the job id follows the job: API -> SQS -> worker logs share it as correlation id
        logger.set_correlation_id(answer.body["job_id"])
    if answer.enqueued:
        logger.info("analysis queued", extra={"job_id": answer.body["job_id"], "keyword": answer.body["keyword"]})
    status = HTTPStatus.OK if answer.cached else HTTPStatus.ACCEPTED
    # A hot cache hit comes pre-serialized (str); everything else is a dict the resolver validates and encodes.
    return Response(status_code=status, content_type="application/json", body=answer.text or answer.body)


@router.get(
    "/api/jobs/<job_id>",
    summary="A job's status, with its result once done",
    responses={200: json_response(JobStatus, "The job."), 404: json_response(dict, "Unknown job id.")},
)
def get_job(job_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]) -> dict:
    return submit.job_status(job_id)


@router.get(
    "/api/analyses/<keyword>",
    summary="The latest result of a keyword",
    responses={
        200: json_response(Result, "The latest result."),
        404: json_response(dict, "Never analyzed."),
        422: ERROR_RESPONSES[422],
    },
)
def get_latest(keyword: KeywordInPath) -> dict:
    return submit.latest_result(views.path_keyword(keyword))


@router.delete(
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
def delete_analyses(
    keyword: KeywordInPath,
    untrack: Annotated[
        bool, Query(description="Also stop tracking the keyword (else it stays tracked and its scans store anew).")
    ] = False,
) -> Response[dict]:
    keyword = views.path_keyword(keyword)
    admin.require(router.current_event.headers)
    answer = deletion.delete_keyword(keyword, untrack=untrack)
    return json_answer(HTTPStatus.OK if answer.finished else HTTPStatus.ACCEPTED, answer.body)


@router.get(
    "/api/compare",
    summary="Share of voice of up to 10 keywords, from their latest results",
    responses={200: json_response(CompareBody, ""), 422: ERROR_RESPONSES[422]},
)
def get_compare(
    keywords: Annotated[str | None, Query(description="Comma-separated, 1..10 (queries without commas)")] = None,
    q: Annotated[
        list[str] | None, Query(description="A query, repeatable (?q=a&q=b): queries that contain commas")
    ] = None,
) -> dict:
    return compare.share_of_voice(views.compare_keywords(keywords, q))


@router.exception_handler(submit.UnknownJob)
def unknown_job(error: submit.UnknownJob) -> Response[dict]:
    return error_response(HTTPStatus.NOT_FOUND, "unknown_job", f"no job with id {error.args[0]!r}")


@router.exception_handler(submit.NoResult)
def no_result(error: submit.NoResult) -> Response[dict]:
    return error_response(HTTPStatus.NOT_FOUND, "no_result", "this keyword has not been analyzed yet")


@router.exception_handler(submit.QueueUnavailable)
def queue_unavailable(error: submit.QueueUnavailable) -> Response[dict]:
    logger.exception("enqueue failed")
    return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "queue_unavailable", "the job could not be queued; retry")
