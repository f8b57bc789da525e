# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""Route of bring-your-own posts: POST /api/imports (a queued import job and a presigned upload URL)."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from social_analytics.api.http import json_answer
from social_analytics.imports import uploads
from social_analytics.schemas import ERROR_RESPONSES, AcceptedImport, ImportRequest, json_response

router = APIGatewayRouter()


@router.post(
    "/api/imports",
    summary="Analyze your own posts: a queued import job and a presigned URL to PUT the CSV / JSON Lines file to",
    responses={201: json_response(AcceptedImport, "The job waits for the upload."), **ERROR_RESPONSES},
)
def create_import(request: ImportRequest) -> Response[dict]:
    return json_answer(HTTPStatus.CREATED, uploads.create_import(request.keyword, request.format))
