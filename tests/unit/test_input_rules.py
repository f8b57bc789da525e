"""Keyword key rules, the provider query of a key, and the result size limits (pure, no AWS)."""

from __future__ import annotations

import pytest
from social_analytics.keywords import MAX_KEY_BYTES, key_problem, provider_query
from social_analytics.models import normalize_keyword
from social_analytics.schemas import validate_keyword
from social_analytics.service import limits


@pytest.mark.parametrize(
    ("keyword", "problem"),
    [
        ("serverless", None),
        ("C++", None),
        ("$AAPL", None),
        ("\U0001f680", None),  # a symbol (So)
        ("\U0001f469\u200d\U0001f4bb", None),  # a ZWJ emoji sequence
        ("東京", None),
        ("\ufdfa" * 15, None),  # 495 bytes once normalized
        ("\ufdfa" * 16, "bytes"),  # 528
        ("\ufdfa" * 99, "bytes"),
        ("!!!", "letter, digit or symbol"),
        ("#", "letter, digit or symbol"),
        ("\u0301\u0302", "letter, digit or symbol"),
        ("\u200d", "letter, digit or symbol"),
        ("...  ,,,", "letter, digit or symbol"),
    ],
)
def test_the_key_rules_apply_after_normalization(keyword, problem):
    found = key_problem(normalize_keyword(keyword))
    if problem is None:
        assert found is None
        assert validate_keyword(keyword) == keyword
    else:
        assert found is not None and problem in found
        with pytest.raises(ValueError, match=problem):
            validate_keyword(keyword)


def test_the_byte_limit_is_on_utf8_bytes_not_characters():
    four_byte = "\U0001f600" * (MAX_KEY_BYTES // 4)  # 128 characters typed would already fail the 99-char rule
    assert key_problem(four_byte) is None
    assert "bytes" in (key_problem(four_byte + "a") or "")


@pytest.mark.parametrize(
    "spelling", ["ＳＥＲＶＥＲＬＥＳＳ", "Serverless", "  serverLESS  ", "𝐬𝐞𝐫𝐯𝐞𝐫𝐥𝐞𝐬𝐬", "ｓｅｒｖｅｒｌｅｓｓ"]
)
def test_every_spelling_of_a_key_queries_the_same_string(spelling):
    assert provider_query(normalize_keyword(spelling)) == "serverless"


def test_cap_text_cuts_and_says_so():
    assert limits.cap_text("short") == ("short", False)
    text, truncated = limits.cap_text("x" * 5000)
    assert truncated and len(text) == limits.POST_TEXT_MAX_CHARS


def result_with_posts(count: int, text: str) -> dict:
    post = {"id": "p", "text": text, "compound": 0.0, "label": "neutral", "truncated": False}
    return {
        "keyword": "k",
        "posts_analyzed": count,
        "top_terms": [{"term": "w" * 5000, "count": 1}],
        "posts": [dict(post, id=f"p{n}") for n in range(count)],
        "top_positive": [dict(post)] * 5,
        "top_negative": [],
    }


def test_a_result_under_the_budget_only_has_its_strings_capped():
    fitted = limits.fit_result(result_with_posts(10, "hello"))
    assert len(fitted["top_terms"][0]["term"]) == limits.STRING_MAX_CHARS
    assert len(fitted["posts"]) == 10 and "trimmed" not in fitted


def test_a_result_over_the_budget_loses_sample_posts_and_says_how_many():
    heavy = "\u0001" * 1000  # 6,000 bytes of JSON each
    original = result_with_posts(60, heavy)
    fitted = limits.fit_result(original)
    assert limits.encoded_size(fitted) <= limits.MAX_RESULT_BYTES
    assert fitted["trimmed"]["posts_dropped"] == 60 - len(fitted["posts"]) > 0
    assert fitted["trimmed"]["posts_kept"] == len(fitted["posts"])
    assert len(original["posts"]) == 60  # the input is not changed


def test_a_result_that_cannot_fit_raises(monkeypatch):
    monkeypatch.setattr(limits, "MAX_RESULT_BYTES", 200)
    with pytest.raises(limits.ResultTooLarge, match="at most 200"):
        limits.fit_result(result_with_posts(3, "text"))


def test_the_template_table_has_the_index_deletion_queries():
    from social_analytics.storage.purge import KEY_INDEX

    from local_stack.template import Template

    table = Template.load().of_type("AWS::DynamoDB::Table")["ResultsTable"]["Properties"]
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == KEY_INDEX]
    assert index["KeySchema"] == [{"AttributeName": "key", "KeyType": "HASH"}]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}  # not rewritten when a job's status changes
    assert {"AttributeName": "key", "AttributeType": "S"} in table["AttributeDefinitions"]
