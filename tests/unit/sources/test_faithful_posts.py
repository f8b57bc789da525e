"""Posts say what the source sent, on payload shapes from the providers' documentation (docs/PROVIDERS.md):
retweets keep their own engagement (none), entities are unescaped exactly once, Mastodon's quote-post fallback line
is dropped, an invalid Bluesky handle falls back to the DID, and every sample post names its provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from social_analytics.analyses.sources.bluesky import BlueskyAdapter
from social_analytics.analyses.sources.mastodon import MastodonAdapter, html_to_text
from social_analytics.analyses.sources.socialdata import SocialDataAdapter
from social_analytics.analyses.sources.x_api import XApiAdapter
from social_analytics.models import Post, TimeWindow
from social_analytics.scoring.summary import analyze

NOW = datetime.now(UTC).replace(microsecond=0)
CLIENT = httpx.AsyncClient()


def sd_tweet(id_: int, text: str, **extra) -> dict:
    return {
        "tweet_created_at": (NOW - timedelta(minutes=id_ % 50)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "id": id_,
        "id_str": str(id_),
        "text": None,
        "full_text": text,
        "lang": "en",
        "user": {"id_str": "1", "name": "A", "screen_name": f"user{id_}"},
        "favorite_count": 5,
        "retweet_count": 7,
        "reply_count": 1,
        "entities": {"hashtags": []},
        **extra,
    }


def test_socialdata_retweet_keeps_its_own_engagement_and_the_original_text():
    original = sd_tweet(100, "The launch went great &amp; fast", favorite_count=40_000, retweet_count=12_000)
    # SocialData (like X v1.1) puts the original's counts on the retweet and truncates its text.
    retweet = sd_tweet(
        101, "RT @user100: The launch went great &amp; fa…", retweeted_status=original,
        favorite_count=0, retweet_count=12_000, reply_count=0,
    )  # fmt: skip
    adapter = SocialDataAdapter(CLIENT, "key")
    post, repost = adapter._to_post(original), adapter._to_post(retweet)
    assert post.kind == "post" and (post.likes, post.reposts) == (40_000, 12_000)
    assert repost.kind == "repost" and (repost.likes, repost.reposts, repost.replies) == (0, 0, 0)
    assert repost.text == post.text == "The launch went great & fast"  # the full original text, unescaped once
    assert repost.id == "socialdata:101" and repost.author == "user101"

    # 73 retweets of one viral tweet no longer add 73 times its repost count to the engagement weighting.
    window = TimeWindow(NOW - timedelta(hours=2), NOW + timedelta(minutes=1))
    posts = [post] + [adapter._to_post(dict(retweet, id=200 + i, id_str=str(200 + i))) for i in range(73)]
    assert sum(p.reposts for p in posts) == 12_000
    result = analyze(posts, "launch", window)
    assert result["posts_analyzed"] == 74 and result["duplicates_collapsed"] == 73


def test_socialdata_entities_are_unescaped_exactly_once():
    adapter = SocialDataAdapter(CLIENT, "key")
    post = adapter._to_post(sd_tweet(1, "5 &lt; 6 &amp;&amp; AT&amp;T &gt; none; literal &amp;lt; stays"))
    assert post.text == "5 < 6 && AT&T > none; literal &lt; stays"


def test_x_v2_retweet_takes_the_original_text_and_no_engagement():
    tweet = {
        "id": "2001", "text": "RT @orig: Rust &amp; Go are fine", "created_at": NOW.isoformat(), "author_id": "9",
        "lang": "en", "referenced_tweets": [{"type": "retweeted", "id": "2000"}],
        "public_metrics": {"retweet_count": 500, "reply_count": 0, "like_count": 0, "quote_count": 0},
    }  # fmt: skip
    original = {"id": "2000", "text": "Rust &amp; Go are fine, really", "author_id": "8"}
    post = XApiAdapter(CLIENT, "t")._to_post(tweet, {"9": "rt_user"}, {"2000": original})
    assert post.kind == "repost" and (post.likes, post.reposts, post.replies) == (0, 0, 0)
    assert post.text == "Rust & Go are fine, really" and post.author == "rt_user"
    plain = dict(tweet, referenced_tweets=[{"type": "quoted", "id": "2000"}], text="A quote &amp; comment")
    quote = XApiAdapter(CLIENT, "t")._to_post(plain, {}, {"2000": original})
    assert quote.kind == "post" and quote.reposts == 500 and quote.text == "A quote & comment"


def test_mastodon_quote_fallback_is_removed_and_entities_decoded_once():
    content = (
        '<p class="quote-inline">RE: <a href="https://mastodon.social/@a/1" rel="nofollow noopener" '
        'target="_blank"><span class="invisible">https://</span><span>mastodon.social/@a/1</span></a></p>'
        "<p>Agreed &amp; shipped &amp;lt;today&amp;gt;</p>"
    )
    assert html_to_text(content) == "Agreed & shipped &lt;today&gt;"
    status = {
        "id": "1", "uri": "https://m.example/users/b/statuses/1", "url": "https://m.example/@b/1",
        "created_at": NOW.isoformat(), "content": content, "account": {"acct": "b"}, "language": "en",
        "quote": {"state": "accepted", "quoted_status": None},
    }  # fmt: skip
    post = MastodonAdapter(CLIENT, ["https://m.example"])._to_post(status)
    assert post.text == "Agreed & shipped &lt;today&gt;"
    assert "RE:" not in post.text
    # a paragraph that merely mentions "RE:" is kept
    assert html_to_text("<p>RE: your question, yes</p>") == "RE: your question, yes"


def post_view(handle: str | None, did: str = "did:plc:abc123") -> dict:
    author = {"did": did, "displayName": "Someone"}
    if handle is not None:
        author["handle"] = handle
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3kxyz",
        "cid": "bafy",
        "author": author,
        "record": {"$type": "app.bsky.feed.post", "text": "hello", "createdAt": NOW.isoformat(), "langs": ["en"]},
        "likeCount": 1,
        "indexedAt": NOW.isoformat(),
    }


def test_bluesky_invalid_or_missing_handle_falls_back_to_the_did():
    adapter = BlueskyAdapter(CLIENT, sessions=None)  # type: ignore[arg-type]
    for handle in ("handle.invalid", None, ""):
        post = adapter._to_post(post_view(handle))
        assert post.author == "did:plc:abc123"
        assert post.url == "https://bsky.app/profile/did:plc:abc123/post/3kxyz"
    good = adapter._to_post(post_view("alice.bsky.social"))
    assert good.author == "alice.bsky.social" and good.url == "https://bsky.app/profile/alice.bsky.social/post/3kxyz"


def test_every_sample_post_carries_provider_and_kind():
    window = TimeWindow(NOW - timedelta(hours=1), NOW + timedelta(minutes=1))
    posts = [
        Post(id="mastodon:1", text="good news", created_at=NOW, provider="mastodon"),
        Post(id="gdelt:https://n.example/1", text="Markets rally", created_at=NOW, provider="gdelt",
             author="n.example", kind="headline", country="Germany"),
    ]  # fmt: skip
    result = analyze(posts, "news", window)
    for section in ("posts", "top_positive", "top_negative"):
        for view in result[section]:
            assert view["provider"] == view["id"].split(":")[0]
    by_id = {v["id"]: v for v in result["posts"]}
    assert by_id["gdelt:https://n.example/1"]["kind"] == "headline"
    assert by_id["gdelt:https://n.example/1"]["country"] == "Germany"
    assert by_id["mastodon:1"]["kind"] == "post" and "country" not in by_id["mastodon:1"]
