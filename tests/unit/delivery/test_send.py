"""One attempt over real HTTP to a loopback receiver: what each answer means, no redirects, the timeout, the guard
at connection time (a name whose address changed since the channel was created), the pinned address."""

from __future__ import annotations

import time

from social_analytics.delivery import send

from tests.fakes.receiver import Answer, Receiver


def post(url: str, allow_loopback: bool = True, timeout: float = 2.0, resolver=send.resolve) -> send.Outcome:
    return send.post(
        url,
        b'{"x":1}',
        {"X-Test": "1"},
        timeout=timeout,
        max_response_bytes=64 * 1024,
        allow_loopback=allow_loopback,
        resolver=resolver,
    )


def test_2xx_is_delivered_5xx_and_429_are_retried_other_4xx_fail():
    answers = [
        Answer(200),
        Answer(503),
        Answer(429, {"Retry-After": "7"}),
        Answer(404),
        Answer(302, {"Location": "http://127.0.0.1:1/elsewhere"}),
    ]
    with Receiver(answers) as receiver:
        outcomes = [post(receiver.url) for _ in answers]
    assert [o.verdict for o in outcomes] == ["delivered", "retry", "retry", "failed", "failed"]
    assert [o.code for o in outcomes] == [200, 503, 429, 404, 302]
    assert outcomes[2].retry_after == 7
    assert outcomes[3].error == "HTTP 404" and "redirects are not followed" in outcomes[4].error
    assert receiver.attempts == 5  # the redirect was not followed
    assert receiver.received[0].headers["X-Test"] == "1" and receiver.received[0].body == b'{"x":1}'


def test_a_hanging_receiver_costs_the_timeout_not_its_hang():
    with Receiver([Answer(200, hang_seconds=30)]) as receiver:
        started = time.monotonic()
        outcome = post(receiver.url, timeout=0.5)
        took = time.monotonic() - started
    assert outcome.verdict == "retry" and outcome.error == "timed out"
    assert took < 15  # abandoned at the timeout, long before the receiver's 30 s


def test_a_large_answer_is_read_no_further_than_the_cap():
    with Receiver([Answer(200, body=b"x" * (5 * 1024 * 1024))]) as receiver:
        outcome = post(receiver.url)
    assert outcome.verdict == "delivered"


def test_loopback_is_refused_at_send_time_without_the_local_switch():
    with Receiver() as receiver:
        outcome = post(receiver.url, allow_loopback=False)
    assert outcome.verdict == "failed" and outcome.error.startswith("refused:")
    assert receiver.attempts == 0


def test_a_name_that_now_resolves_to_a_private_address_is_refused_at_connection():
    with Receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        outcome = post(f"http://hooks.test:{port}/hook", resolver=lambda host, p: ["10.0.0.1"])
    assert outcome.verdict == "failed" and "private" in outcome.error
    assert receiver.attempts == 0


def test_the_checked_address_is_connected_to_and_the_host_header_kept():
    with Receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        seen = []

        def dns(host, p):
            seen.append(host)
            return ["127.0.0.1"]

        outcome = post(f"http://hooks.test:{port}/hook", resolver=dns)
    assert outcome.verdict == "delivered"
    assert seen == ["hooks.test"]  # one lookup: the one that was checked
    assert receiver.received[0].headers["Host"] == f"hooks.test:{port}"


def test_connection_refused_is_retried():
    outcome = post("http://127.0.0.1:1/hook")
    assert outcome.verdict == "retry" and outcome.error == "could not connect"


def test_retry_after_as_an_http_date():
    assert send.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 30) == 30
    assert send.parse_retry_after("soon") is None and send.parse_retry_after(None) is None


def test_an_unusable_url_fails_without_repeating_it():
    for url in (
        "http://127.0.0.1:99999999/SECRET-PATH",
        "http://127.0.0.1:9/\x00SECRET-PATH",
        "http://[::1/SECRET-PATH",
    ):
        outcome = post(url)
        assert outcome.verdict in ("failed", "retry") and "SECRET-PATH" not in (outcome.error or ""), outcome
