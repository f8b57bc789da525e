"""Bad input over HTTP: oversize bodies, Unicode edge cases (keys NFKC expands or empties), control characters, a
10,000-character keyword.
Each is a clear 4xx or a normal answer, never a 5xx, and a rejected request queues nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.reliability.helpers import metrics

CASES = [
    ("oversize body", b'{"keyword": "' + b"a" * (70 * 1024) + b'"}', {413}),
    ("10,000-character keyword", ('{"keyword": "' + "k" * 10_000 + '"}').encode(), {422}),
    ("control characters", b'{"keyword": "a\\u0000b\\u0007c"}', {202, 200, 422}),
    ("lone surrogate", b'{"keyword": "\\ud800"}', {400, 422}),
    pytest.param(
        "invalid UTF-8",
        b'{"keyword": "\xff\xfe"}',
        {400, 422},
    ),
    ("RTL, ZWJ and combining marks", '{"keyword": "\u202eabc\u200d\u0301"}'.encode(), {200, 202, 422}),
    ("emoji keyword", '{"keyword": "\U0001f680\U0001f469\u200d\U0001f4bb"}'.encode(), {200, 202}),
    ("whitespace-only keyword", b'{"keyword": "  \\t "}', {422}),
    # NFKC turns U+FDFA into 18 characters (33 bytes): 16 of them are past the 512-byte key limit
    ("keyword that NFKC expands past the key limit", ('{"keyword": "' + "\ufdfa" * 16 + '"}').encode(), {422}),
    ("only combining marks", b'{"keyword": "\\u0301\\u0302"}', {422}),
    ("only punctuation", b'{"keyword": "!!! ???"}', {422}),
    ("ligature keyword", '{"keyword": "\ufb03ce"}'.encode(), {200, 202}),
    ("not JSON", b"keyword=serverless", {400}),
    ("JSON array", b"[1, 2]", {422}),
    pytest.param(
        "nested too deep",
        b"[" * 5000 + b"]" * 5000,
        {400, 422},
    ),
    ("limit as string", b'{"keyword": "x", "limit": "many"}', {422}),
    ("unknown field", b'{"keyword": "x", "drop": "tables"}', {422}),
]


@pytest.mark.parametrize(("name", "body", "allowed"), CASES)
def test_bad_input_is_never_a_server_error(local_stack, report, name, body, allowed):
    with httpx.Client(base_url=local_stack.base_url, timeout=30) as client:
        before = metrics(client)["tasks_enqueued"]
        answer = client.post("/api/analyses", content=body, headers={"Content-Type": "application/json"})
        report("bad inputs tried", "requests", 1)
        assert answer.status_code < 500, (name, answer.status_code, answer.text[:200])
        assert answer.status_code in allowed, (name, answer.status_code, answer.text[:200])
        if answer.status_code >= 400:
            assert set(answer.json()["error"]) >= {"code", "message"}
            assert metrics(client)["tasks_enqueued"] == before
