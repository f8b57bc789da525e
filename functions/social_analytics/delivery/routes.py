# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""Routes of delivery channels (admin): create, list, delete, send a test, the delivery log."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from social_analytics.api import admin
from social_analytics.api.http import ADMIN_SECURITY, error_response, json_answer
from social_analytics.delivery import channels
from social_analytics.schemas import (
    ADMIN_RESPONSES,
    ERROR_RESPONSES,
    ChannelList,
    ChannelRequest,
    ChannelView,
    DeliveryLog,
    ErrorBody,
    json_response,
)

router = APIGatewayRouter()
ChannelId = Annotated[str, Path(min_length=1, max_length=64, description="The channel's id")]
NOT_FOUND = {404: json_response(ErrorBody, "No such channel.")}


@router.post(
    "/api/channels",
    summary="Add a delivery channel: a signed webhook, a Slack incoming webhook or an email address (admin)",
    security=ADMIN_SECURITY,
    responses={
        201: json_response(ChannelView, "Created; `secret` (webhooks) is shown this once."),
        400: json_response(ErrorBody, "The destination is refused (not https, or a private address)."),
        **ADMIN_RESPONSES,
    }
    | {413: ERROR_RESPONSES[413], 422: ERROR_RESPONSES[422]},
)
def create_channel(request: ChannelRequest) -> Response[dict]:
    admin.require(router.current_event.headers)
    try:
        body = channels.create(request.type, request.url, request.address, request.name)
    except channels.DestinationRefused as refused:
        return error_response(HTTPStatus.BAD_REQUEST, "destination_refused", str(refused))
    return json_answer(HTTPStatus.CREATED, body)


@router.get(
    "/api/channels",
    summary="The delivery channels, targets masked (admin)",
    security=ADMIN_SECURITY,
    responses={200: json_response(ChannelList, ""), **ADMIN_RESPONSES},
)
def list_channels() -> Response[dict]:
    admin.require(router.current_event.headers)
    return json_answer(HTTPStatus.OK, {"channels": channels.list_all()})


@router.delete(
    "/api/channels/<channel_id>",
    summary="Remove a channel and its stored secret (admin)",
    security=ADMIN_SECURITY,
    responses={200: json_response(dict, "Deleted."), **NOT_FOUND, **ADMIN_RESPONSES},
)
def delete_channel(channel_id: ChannelId) -> Response[dict]:
    admin.require(router.current_event.headers)
    if not channels.delete(channel_id):
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such channel")
    return json_answer(HTTPStatus.OK, {"id": channel_id, "deleted": True})


@router.post(
    "/api/channels/<channel_id>/test",
    summary="Queue a test message to the channel (admin); its outcome appears in the delivery log",
    security=ADMIN_SECURITY,
    responses={202: json_response(dict, "Queued."), **NOT_FOUND, **ADMIN_RESPONSES},
)
def test_channel(channel_id: ChannelId) -> Response[dict]:
    admin.require(router.current_event.headers)
    queued = channels.send_test(channel_id)
    if queued is None:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such channel")
    return json_answer(HTTPStatus.ACCEPTED, queued)


@router.get(
    "/api/channels/<channel_id>/deliveries",
    summary="The channel's delivery log, newest first (admin)",
    security=ADMIN_SECURITY,
    responses={200: json_response(DeliveryLog, ""), **NOT_FOUND, **ADMIN_RESPONSES, 422: ERROR_RESPONSES[422]},
)
def channel_deliveries(
    channel_id: ChannelId, limit: Annotated[int, Query(ge=1, le=200, description="Rows, newest first")] = 50
) -> Response[dict]:
    admin.require(router.current_event.headers)
    rows = channels.deliveries(channel_id, limit)
    if rows is None:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such channel")
    return json_answer(HTTPStatus.OK, {"deliveries": rows})
