"""One delivery message's attempt, in the delivery function: claim it, respect the hourly cap, send, record.

Never twice: only the attempt that moves the message's row to ``sending`` (a conditional write, like the job lease)
sends; a retried batch finds it ``delivered`` and sends nothing. Never lost: a failure worth retrying (429, 5xx,
timeouts, connection errors) leaves the message on the queue, hidden for the backoff (at least ``Retry-After``),
until the queue's last receive, after which it goes to the dead-letter queue, logged ``failed``. Other 4xx answers
and refused destinations fail at once.
"""

from __future__ import annotations

import time

from social_analytics import composition
from social_analytics.delivery import formats, send, signing
from social_analytics.delivery.messages import DeliveryMessage
from social_analytics.observability import logger
from social_analytics.records import Channel, ChannelSecret
from social_analytics.settings import get_delivery_settings

DONE = ("delivered", "failed", "folded")


class RetryLater(Exception):
    """The message stays on the queue and comes back after ``delay`` seconds."""

    def __init__(self, reason: str, delay: int) -> None:
        super().__init__(reason)
        self.delay = delay


def backoff_seconds(attempt: int, retry_after: float | None) -> int:
    settings = get_delivery_settings()
    delay = settings.backoff_seconds * (2 ** max(0, attempt - 1))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return int(min(max(delay, 0), settings.backoff_max_seconds))


def deliver(body: str, receive_count: int, receipt_handle: str | None = None, now: float | None = None) -> str:
    """Handle one message; returns its row's status. Raises :class:`RetryLater` (after hiding the message for the
    backoff) when it must come back, or a validation error for a malformed body (retried, then dead-lettered)."""
    message = DeliveryMessage.model_validate_json(body)
    try:
        status = _deliver(message, receive_count, time.time() if now is None else now)
    except RetryLater as retry:
        if receipt_handle:
            try:
                composition.delivery.queue.delay_retry(receipt_handle, retry.delay)
            except Exception:  # the queue's visibility timeout still brings it back
                logger.warning("could not set the retry delay", extra={"channel_id": message.channel_id})
        raise
    return status


def _deliver(message: DeliveryMessage, receive_count: int, now: float) -> str:
    settings, stores = get_delivery_settings(), composition.delivery
    row = message.row()
    channel = stores.channels.get_channel(message.channel_id)
    if channel is None:
        logger.info("channel deleted; delivery dropped", extra={"channel_id": message.channel_id})
        return "dropped"
    claimed, current = stores.channels.claim_delivery(row, now, settings.lease_seconds)
    if not claimed:
        if current is not None and current.status in DONE:
            return current.status  # done before (a retried batch, a duplicate message): never sent twice
        raise RetryLater("another attempt holds this delivery", int(settings.lease_seconds))
    attempt = current.attempts if current is not None else receive_count
    if message.kind == "alert" and stores.channels.count_sent_since(channel.id, now - 3600) > settings.hourly_cap:
        hour = int(now // 3600 * 3600)
        stores.channels.add_fold(channel.id, hour, message.what)
        stores.channels.finish_delivery(row, "folded", None, None, "hourly limit reached; announced with the others")
        _line(channel, message, "folded (hourly limit)", attempt)
        return "folded"
    secret = stores.channels.get_secret(channel.id)
    if secret is None:
        stores.channels.finish_delivery(row, "failed", None, None, "the channel's secret is gone")
        return "failed"
    outcome = transmit(channel, secret, message)
    if outcome.verdict == "delivered":
        stores.channels.finish_delivery(row, "delivered", outcome.code, outcome.latency_ms, None)
        _line(channel, message, f"delivered ({_code(outcome)}, {outcome.latency_ms} ms)", attempt)
        return "delivered"
    if outcome.verdict == "failed" or receive_count >= settings.max_attempts:
        last = outcome.verdict == "retry"
        error = f"gave up after {attempt} attempts: {outcome.error}" if last else outcome.error
        stores.channels.finish_delivery(row, "failed", outcome.code, outcome.latency_ms, error)
        _line(channel, message, f"failed ({error})", attempt)
        if last:  # the queue's last receive: let it go to the dead-letter queue
            raise RetryLater(error or "failed", 0)
        return "failed"
    stores.channels.finish_delivery(row, "retrying", outcome.code, outcome.latency_ms, outcome.error)
    delay = backoff_seconds(attempt, outcome.retry_after)
    _line(channel, message, f"will retry in {delay} s ({outcome.error})", attempt)
    raise RetryLater(outcome.error or "retry", delay)


def transmit(channel: Channel, secret: ChannelSecret, message: DeliveryMessage) -> send.Outcome:
    settings = get_delivery_settings()
    payload = message.model_dump()
    if channel.type == "email":
        return _email(settings.email_sender, secret.address or "", payload)
    if channel.type == "slack":
        body, headers = formats.slack_body(payload), {}
    else:
        body = formats.webhook_body(payload)
        headers = signing.headers(secret.secret or "", int(time.time()), body)
    return send.post(
        secret.url or "",
        body,
        headers,
        timeout=settings.timeout_seconds,
        max_response_bytes=settings.max_response_bytes,
        allow_loopback=settings.allow_loopback,
    )


def _email(sender: str, address: str, payload: dict) -> send.Outcome:
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    if not sender:
        return send.Outcome("failed", None, "email is not configured (DELIVERY_EMAIL_SENDER)", took())
    subject, text, html = formats.email_parts(payload)
    status, detail = composition.delivery.mailer.send_email(sender, address, subject, text, html)
    if status == "sent":
        return send.Outcome("delivered", None, None, took())
    verdict = "failed" if status == "refused" else "retry"
    return send.Outcome(verdict, None, f"the email service did not take it ({detail})", took())


def _code(outcome: send.Outcome) -> str:
    return f"HTTP {outcome.code}" if outcome.code is not None else "accepted"


def _line(channel: Channel, message: DeliveryMessage, result: str, attempt: int) -> None:
    """One human line per attempt (``make run`` prints them); never the URL, the address or the secret."""
    text = f"delivery: {message.kind} {message.what} -> {channel.type} {channel.name!r}: {result}, attempt {attempt}"
    logger.info(text, extra={"channel_id": channel.id, "kind": message.kind})
    if get_delivery_settings().log_lines:
        print(text, flush=True)
