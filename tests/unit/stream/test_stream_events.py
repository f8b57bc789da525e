"""The defensive parser: whatever a message holds, it returns an event or a reason, never raises."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from social_analytics.tracking.stream_events import (
    MAX_TEXT_BYTES,
    Malformed,
    StreamEvent,
    cut_utf8,
    needs_normalizing,
    parse,
)


def post(**record) -> dict:
    return {
        "did": "did:plc:abc123",
        "time_us": 1_765_000_000_000_000,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3kabcdefghijk",
            "record": {"text": "hello", "createdAt": "2026-12-01T10:00:00.000Z", **record},
        },
    }


def test_a_post_keeps_only_what_is_well_formed():
    event = parse(
        json.dumps(
            post(
                text="é" * 2000,  # 4,000 bytes
                langs=["en", "pt-BR", "not a tag", 7, "de", "fr"],
                reply={"root": {}, "parent": {}},
                embed={"$type": "app.bsky.embed.record", "record": {}},
                facets=[
                    {"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "lambda"}]},
                    {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}]},
                    {"features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:friend"}]},
                    "junk",
                ],
            )
        )
    )
    assert isinstance(event, StreamEvent) and event.post is not None
    p = event.post
    assert len(p.text.encode()) <= MAX_TEXT_BYTES and p.text == "é" * 1500
    assert p.langs == ("en", "pt-BR", "de")
    assert p.reply and p.quote and not p.repost
    assert p.tags == ("lambda",) and p.links == ("https://example.com",) and p.mentions == ("did:plc:friend",)
    assert p.created_us == 1_796_119_200_000_000  # 2026-12-01T10:00:00Z
    assert p.uri == "at://did:plc:abc123/app.bsky.feed.post/3kabcdefghijk"


def test_a_created_at_that_does_not_parse_is_dropped_not_the_post():
    event = parse(json.dumps(post(createdAt="yesterday-ish")))
    assert event.post is not None and event.post.created_at is None and event.post.created_us is None


def test_hostile_shapes_are_malformed_with_a_reason():
    assert parse(json.dumps({**post(), "kind": ["commit"]})) == Malformed("bad_kind")
    assert parse('{"time_us": 5, "kind": "commit", "commit": ' + "[" * 5000 + "]" * 5000 + "}") == Malformed("too_deep")
    assert parse('{"time_us": ' + "9" * 4000 + ', "kind": "commit"}') == Malformed("bad_time_us")
    assert parse(json.dumps(post(createdAt="2026" + "0" * 450_000))) == Malformed("oversized_field")
    assert parse(json.dumps({**post(), "did": "x" * 10_000})) == Malformed("bad_did_or_rkey")
    assert parse(json.dumps({**post(), "time_us": True})) == Malformed("bad_time_us")
    assert parse(b"\xff\xfe") == Malformed("not_json")
    assert parse("[1, 2]") == Malformed("not_an_object")


def test_deletes_and_other_collections():
    delete = {**post(), "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3k"}}
    assert parse(json.dumps(delete)).deleted == ("did:plc:abc123", "3k")
    like = {**post(), "commit": {"operation": "create", "collection": "app.bsky.feed.like", "rkey": "3k"}}
    event = parse(json.dumps(like))
    assert event.post is None and event.deleted is None


def test_cut_utf8_never_splits_a_character():
    assert cut_utf8("a" * 2999 + "€", 3000) == "a" * 2999
    assert cut_utf8("short") == "short"


def test_needs_normalizing_flags_what_a_lowercase_prefilter_would_miss():
    assert not needs_normalizing("Plain ASCII Lambda")
    assert not needs_normalizing("café au lait")
    assert needs_normalizing("ＬＡＭＢＤＡ")  # fullwidth: NFKC makes it "lambda"
    assert needs_normalizing("Straße")  # casefold makes it "strasse"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "did": json_values,
            "time_us": json_values | st.integers(min_value=1, max_value=2**70),
            "kind": json_values | st.sampled_from(["commit", "identity", "account"]),
            "commit": json_values
            | st.fixed_dictionaries(
                {},
                optional={
                    "operation": json_values | st.sampled_from(["create", "delete"]),
                    "collection": json_values | st.just("app.bsky.feed.post"),
                    "rkey": json_values,
                    "record": json_values,
                },
            ),
        },
    )
)
def test_nothing_makes_the_parser_raise(message):
    result = parse(json.dumps(message))
    assert isinstance(result, StreamEvent | Malformed)
