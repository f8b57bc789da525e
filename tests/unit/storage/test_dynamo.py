"""storage/dynamo.py without DynamoDB: the table's keys are spelled as they always were (stored items keep being
found), numbers convert both ways, the paginator follows LastEvaluatedKey, a refused condition is False."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from social_analytics.storage import dynamo


def test_keys_are_the_stored_ones():
    assert dynamo.job_key("abc") == {"pk": "JOB#abc", "sk": "JOB"}
    assert dynamo.lock_key("serverless") == {"pk": "KW#serverless", "sk": "INFLIGHT"}
    assert dynamo.keyword_result_key("serverless") == {"pk": "KW#serverless", "sk": "RESULT"}
    assert dynamo.history_sk("2026-12-01T00:00:00Z", "j1") == "HIST#2026-12-01T00:00:00Z#j1"
    assert dynamo.cursor_sk("mastodon") == "CURSOR#mastodon"
    assert dynamo.posts_part_sk(7) == "POSTS#007"
    assert dynamo.tracked_key("serverless") == {"pk": "TRACKED", "sk": "KW#serverless"}
    assert dynamo.alert_sk("2026-12-01T00:00:00Z", "serverless", "spike") == "2026-12-01T00:00:00Z#serverless#spike"
    assert dynamo.metric_key("COUNTERS") == {"pk": "METRICS", "sk": "COUNTERS"}
    assert dynamo.spend_key("2026-12-01", "x") == {"pk": "SPEND#2026-12-01", "sk": "x"}
    assert dynamo.stream_cursor_key() == {"pk": "STREAM", "sk": "CURSOR"}
    assert dynamo.stream_gap_sk(1, 2) == "GAP#00000000000000001#00000000000000002"
    assert dynamo.stream_bucket_pk("serverless") == "STREAM#KW#serverless"
    assert dynamo.minute_sk(1_764_547_200) == "MIN#1764547200"
    assert dynamo.stream_seen_key("h1") == {"pk": "STREAM#SEEN#h1", "sk": "POST"}


def test_keys_round_trip():
    assert dynamo.stream_bucket_key_of(dynamo.stream_bucket_pk("a b")) == "a b"
    assert dynamo.minute_of(dynamo.minute_sk(60)) == 60
    assert dynamo.stream_seen_hash_of(dynamo.stream_seen_key("h")["pk"]) == "h"


def test_numbers_convert_both_ways():
    assert dynamo.decimal(1.23456) == Decimal("1.235") and dynamo.decimal(2) == Decimal("2")
    assert dynamo.decimal(0.123456, 4) == Decimal("0.1235") and dynamo.decimal(0.5, None) == Decimal("0.5")
    stored = dynamo.to_dynamo({"epoch": 1.5, "n": 3, "nested": [0.25, {"x": 1.0001}], "s": "t"})
    assert stored == {"epoch": Decimal("1.5"), "n": 3, "nested": [Decimal("0.25"), {"x": Decimal("1.0")}], "s": "t"}
    assert dynamo.from_dynamo(stored) == {"epoch": 1.5, "n": 3, "nested": [0.25, {"x": 1}], "s": "t"}
    assert dynamo.from_dynamo({"ids": {"b", "a"}}) == {"ids": ["a", "b"]}
    assert isinstance(dynamo.from_dynamo(Decimal("4")), int) and isinstance(dynamo.from_dynamo(Decimal("4.5")), float)


class Pages:
    """A query that answers in pages, remembering each request."""

    def __init__(self, *pages: list[int]) -> None:
        self.pages = list(pages)
        self.requests: list[dict] = []

    def __call__(self, **request) -> dict:
        self.requests.append(dict(request))
        index = len(self.requests) - 1
        page: dict = {"Items": self.pages[index], "Count": len(self.pages[index])}
        if index + 1 < len(self.pages):
            page["LastEvaluatedKey"] = {"after": index}
        return page


def test_pages_follow_last_evaluated_key_lazily():
    query = Pages([1, 2], [3], [4, 5])

    items = [item for page in dynamo.pages(query, KeyConditionExpression="k") for item in page["Items"]]

    assert items == [1, 2, 3, 4, 5]
    assert [r.get("ExclusiveStartKey") for r in query.requests] == [None, {"after": 0}, {"after": 1}]
    assert all(r["KeyConditionExpression"] == "k" for r in query.requests)

    lazy = Pages([1], [2], [3])
    first = next(dynamo.pages(lazy))
    assert first["Items"] == [1] and len(lazy.requests) == 1  # nothing more is read until it is consumed


def refusing(code: str):
    def write(**request):
        raise ClientError({"Error": {"Code": code, "Message": "no"}, "Item": {"status": {"S": "done"}}}, "PutItem")

    return write


def test_conditional_is_false_when_the_condition_fails_and_raises_anything_else():
    written: list[dict] = []
    assert dynamo.conditional(lambda **request: written.append(request), Item={"pk": "a"}) is True
    assert written == [{"Item": {"pk": "a"}}]
    assert dynamo.conditional(refusing("ConditionalCheckFailedException"), Item={}) is False
    with pytest.raises(ClientError):
        dynamo.conditional(refusing("ProvisionedThroughputExceededException"), Item={})


def test_conditional_seen_says_what_the_condition_saw():
    requests: list[dict] = []
    assert dynamo.conditional_seen(lambda **request: requests.append(request), Key={}) == (True, None)
    assert requests[0]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert dynamo.conditional_seen(refusing("ConditionalCheckFailedException"), Key={}) == (
        False,
        {"status": {"S": "done"}},
    )
    with pytest.raises(ClientError):
        dynamo.conditional_seen(refusing("ValidationException"), Key={})
