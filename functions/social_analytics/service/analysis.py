"""Turn a list of posts into the analytics result: sentiment, terms, hashtags, timeline, sample posts.

Pure Python, no AWS: the worker, the scoring command and the benchmarks all call ``analyze``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache

from social_analytics.models import Post, TimeWindow, isoformat_z, normalize_keyword

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
SAMPLE_SIZE = 50
TOP_TERMS = 25

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
    for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves just also get got im its
    via rt amp will one like really""".split()
)


@cache
def _analyzer():
    # Built once per container: the constructor reads the lexicon files from disk.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def label_for(compound: float) -> str:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def score_text(text: str) -> dict:
    """VADER scores of the raw text (never lowercased: VADER reads capitals and punctuation)."""
    scores = _analyzer().polarity_scores(text)
    return {**scores, "label": label_for(scores["compound"])}


def terms_of(text: str) -> list[str]:
    text = _MENTION.sub(" ", _URL.sub(" ", text))
    text = _HASHTAG.sub(" ", text)
    return [w for w in (m.group(0).casefold() for m in _WORD.finditer(text)) if w not in STOPWORDS and len(w) > 1]


def hashtags_of(post: Post) -> list[str]:
    tags = post.hashtags or _HASHTAG.findall(post.text)
    return [t.casefold() for t in tags]


def _bucket_start(moment: datetime, by_day: bool) -> datetime:
    moment = moment.astimezone(UTC)
    if by_day:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def analyze(posts: list[Post], keyword: str, window: TimeWindow) -> dict:
    """The result fields computed from posts (the job runner adds keyword, source and analyzed_at)."""
    keyword_terms = set(normalize_keyword(keyword).split())
    labels: Counter[str] = Counter()
    term_counts: Counter[str] = Counter()
    tag_counts: Counter[str] = Counter()
    compound_sum = 0.0
    by_day = window.hours > 72
    buckets: dict[datetime, dict] = {}
    scored: list[tuple[Post, float, str]] = []

    for post in posts:
        scores = score_text(post.text)
        compound, label = scores["compound"], scores["label"]
        labels[label] += 1
        compound_sum += compound
        term_counts.update(t for t in terms_of(post.text) if t not in keyword_terms)
        tag_counts.update(hashtags_of(post))
        start = _bucket_start(post.created_at, by_day)
        bucket = buckets.setdefault(
            start, {"posts": 0, "positive": 0, "neutral": 0, "negative": 0, "compound_sum": 0.0}
        )
        bucket["posts"] += 1
        bucket[label] += 1
        bucket["compound_sum"] += compound
        scored.append((post, compound, label))

    count = len(posts)
    timeline = []
    step = timedelta(days=1) if by_day else timedelta(hours=1)
    if buckets:
        cursor, last = min(buckets), max(buckets)
        while cursor <= last:  # empty buckets are kept so charts show gaps as zero volume
            bucket = buckets.get(cursor, {"posts": 0, "positive": 0, "neutral": 0, "negative": 0, "compound_sum": 0.0})
            timeline.append(
                {
                    "start": isoformat_z(cursor),
                    "posts": bucket["posts"],
                    "positive": bucket["positive"],
                    "neutral": bucket["neutral"],
                    "negative": bucket["negative"],
                    "mean_compound": round(bucket["compound_sum"] / bucket["posts"], 4) if bucket["posts"] else 0.0,
                }
            )
            cursor += step

    newest_first = sorted(scored, key=lambda item: item[0].created_at, reverse=True)
    return {
        "posts_analyzed": count,
        "sentiment": {
            "positive": labels["positive"],
            "neutral": labels["neutral"],
            "negative": labels["negative"],
            "mean_compound": round(compound_sum / count, 4) if count else 0.0,
        },
        "top_terms": [{"term": t, "count": c} for t, c in term_counts.most_common(TOP_TERMS)],
        "hashtags": [{"term": t, "count": c} for t, c in tag_counts.most_common(TOP_TERMS)],
        "timeline": timeline,
        "posts": [post_view(post, compound, label) for post, compound, label in newest_first[:SAMPLE_SIZE]],
    }


def post_view(post: Post, compound: float, label: str) -> dict:
    return {
        "id": post.id,
        "text": post.text,
        "author": post.author,
        "created_at": isoformat_z(post.created_at),
        "url": post.url,
        "compound": round(compound, 4),
        "label": label,
        "likes": post.likes,
        "reposts": post.reposts,
    }
