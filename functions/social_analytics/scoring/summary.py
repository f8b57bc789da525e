"""Turn a list of posts into the analytics result: sentiment, terms, hashtags, timeline, sample posts.

Pure Python, no AWS: the worker, the scoring command and the benchmarks all call ``analyze``.

Decisions (see docs/ANALYTICS.md for the measurements behind them):

* Sentiment is the calibrated score of ``calibration.py`` (a fitted combination of VADER's lexicon features, on
  the compound's -1..1 scale; ``vader_compound`` keeps VADER's own) with labels at +-0.02 on it (VADER's dead
  zone translated to that scale).
* Language per post (``languages.py``): posts in languages the scorer does not read are counted in
  ``languages`` and ``sentiment.unscored``, kept in volume, terms, timeline post counts and samples, and left out
  of label counts, means, intervals and term sentiment. ``languages`` (a list of codes) keeps only those posts.
* ``sentiment.intervals``: 95 % Wilson intervals of the label shares over the scored posts (``intervals.py``).
* ``top_terms[i].trend_score`` / ``trend_direction`` / ``significant`` and ``emerging_terms``: G-squared against
  the previous result or the earlier half of the window (``trending.py``).
* Identical texts (exact string equality: copies, reposts without an added comment) are scored and tokenized
  once; every post still counts (``posts_analyzed``, label counts, term counts and the timeline count each copy).
  ``duplicates_collapsed`` is the number of posts that reused another post's score.
* ``weighted_mean_compound`` weighs each post by ``1 + log1p(likes + reposts)``: a post nobody engaged with
  counts 1, a post with 1,000 interactions about 7.9, so viral posts matter more without drowning the rest.
* ``top_terms[i]``: ``count`` = occurrences in all posts; ``share`` = count / posts_analyzed (occurrences per
  post); ``sentiment`` = mean compound of the posts containing the term; ``trend`` = share now minus the
  term's share in ``previous_result`` (its count / its posts_analyzed), ``None`` when there is no previous
  result or the term is not among its ``top_terms`` (absent from a top-25 list is not the same as zero).
* ``timeline`` covers the whole window (plus any post outside it), hourly, daily for windows over 72 hours;
  empty buckets are kept with zero posts so charts show gaps.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import Counter
from datetime import UTC, datetime
from operator import attrgetter, neg

from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.scoring import trending
from social_analytics.scoring.calibration import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD, label_for
from social_analytics.scoring.calibration import score_text as _score_text
from social_analytics.scoring.intervals import share_intervals
from social_analytics.scoring.languages import SCORED_LANGUAGES, detect, languages_of, provider_tags
from social_analytics.scoring.limits import cap_text
from social_analytics.scoring.terms import STOPWORDS, keyword_exclusions, tokenize

__all__ = [
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "SAMPLE_SIZE",
    "STOPWORDS",
    "TOP_EXAMPLES",
    "TOP_TERMS",
    "analyze",
    "label_for",
    "post_view",
    "score_text",
    "terms_of",
]

SAMPLE_SIZE = 50
_TEXT = attrgetter("text")
_CREATED_AT = attrgetter("created_at")
TOP_TERMS = 25
TOP_BIGRAMS = 15
TOP_EXAMPLES = 5


def score_text(text: str) -> dict:
    """Scores of the raw text (never lowercased): ``{"compound", "vader_compound", "pos", "neu", "neg", "label"}``."""
    return _score_text(text)


def terms_of(text: str) -> list[str]:
    """Content words of a text (URLs, mentions, hashtags, cashtags, emoji and stopwords left out)."""
    return tokenize(text).words


def _counted(counter: Counter[str], limit: int = TOP_TERMS) -> list[dict]:
    return [{"term": t, "count": c} for t, c in counter.most_common(limit)]


def _previous_shares(previous_result: dict | None) -> dict[str, float] | None:
    if not previous_result:
        return None
    total = previous_result.get("posts_analyzed") or 0
    shares: dict[str, float] = {}
    for item in previous_result.get("top_terms") or []:
        term, count = item.get("term"), item.get("count")
        if not isinstance(term, str):
            continue
        if isinstance(item.get("share"), int | float):
            shares[term] = float(item["share"])
        elif isinstance(count, int | float) and total:
            shares[term] = count / total
    return shares


def analyze(
    posts: list[Post],
    keyword: str,
    window: TimeWindow,
    previous_result: dict | None = None,
    covered_from: datetime | None = None,
    languages: list[str] | tuple[str, ...] | None = None,
) -> dict:
    """The result fields computed from posts (the job runner adds keyword, source, window and analyzed_at).

    ``previous_result`` is the keyword's previous result, used for ``top_terms[i].trend`` and the trend baseline.
    ``languages`` (codes such as ``"en"``) keeps only posts in those languages; ``None`` keeps every post.

    The cyclic garbage collector is paused meanwhile (and left as it was found): the pass keeps a few containers per
    distinct text alive until the end and creates no reference cycles, so the collector's repeated scans of them
    were pure cost (4-6 % of analyze's CPU time in bench/analytics_bench.py). Reference counting frees as usual.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _analyze(posts, keyword, window, previous_result, covered_from, languages)
    finally:
        if paused:
            gc.enable()


def _analyze(
    posts: list[Post],
    keyword: str,
    window: TimeWindow,
    previous_result: dict | None,
    covered_from: datetime | None,
    languages: list[str] | tuple[str, ...] | None,
) -> dict:
    exclude = keyword_exclusions(keyword)
    text_lang: dict[str, str] = {}
    filtered_out = 0
    if languages:
        text_lang = languages_of(posts)
        wanted = set(languages)
        kept = [post for post in posts if text_lang[post.text] in wanted]
        filtered_out, posts = len(posts) - len(kept), kept
    tags = provider_tags(posts)
    newest_first = sorted(posts, key=_CREATED_AT, reverse=True)
    # The window baseline for trending: the older half of the posts (the words of its copies are gathered below).
    older_copies = Counter(map(_TEXT, newest_first[(len(posts) + 1) // 2 :])) if len(posts) > 1 else Counter()

    # Token lists are concatenated and counted once at the end (one C-level count instead of a call per text).
    # Each distinct text is tokenized, given its language and scored once, in one pass (nothing per text is kept
    # beyond this loop but what the result needs).
    words: list[str] = []
    older_words: list[str] = []
    bigrams: list[str] = []
    mentions: list[str] = []
    cashtags: list[str] = []
    emoji: list[str] = []
    copies: Counter[str] = Counter(map(_TEXT, posts))
    scores: dict[str, dict] = {}
    scored_texts: set[str] = set()
    term_sets: list[tuple[list[str], float, int]] = []  # (words, compound, copies) per scored distinct text
    text_tags: dict[str, list[str]] = {}  # hashtags found in each distinct text
    for text, n in copies.items():
        tokens = tokenize(text, exclude)
        scores[text] = score = _score_text(text)
        lang = text_lang.get(text)
        if lang is None:
            lang = text_lang[text] = tags.get(text) or detect(text, tokens.all_words)
        words += tokens.words if n == 1 else tokens.words * n
        bigrams += tokens.bigrams if n == 1 else tokens.bigrams * n
        if tokens.mentions:
            mentions += tokens.mentions * n
        if tokens.cashtags:
            cashtags += tokens.cashtags * n
        if tokens.emoji:
            emoji += tokens.emoji * n
        if tokens.hashtags:
            text_tags[text] = tokens.hashtags
        older = older_copies.get(text)
        if older:
            older_words += tokens.words if older == 1 else tokens.words * older
        if lang in SCORED_LANGUAGES:
            scored_texts.add(text)
            term_sets.append((tokens.words, score["compound"], n))

    step = 86400 if window.hours > 72 else 3600  # daily buckets for windows over three days, else hourly
    buckets: dict[int, list] = {}  # UTC epoch // step -> [posts, positive, neutral, negative, compound_sum]
    labels = {"positive": 0, "neutral": 0, "negative": 0}
    per_lang: dict[str, list[int]] = {}  # lang -> [posts, scored]
    per_provider: dict[str, list] = {}  # provider -> [positive, neutral, negative, compound_sum] of scored posts
    label_index = {"positive": 1, "neutral": 2, "negative": 3}
    hashtags: list[str] = []
    compound_sum = weighted_sum = weight_total = 0.0
    log1p = math.log1p
    for post in posts:
        text = post.text
        post_scores = scores[text]
        compound, label = post_scores["compound"], post_scores["label"]
        lang_count = per_lang.get(text_lang[text])
        if lang_count is None:
            lang_count = per_lang[text_lang[text]] = [0, 0]
        lang_count[0] += 1
        scored = text in scored_texts
        if scored:
            lang_count[1] += 1
            labels[label] += 1
            channel = per_provider.get(post.provider)
            if channel is None:
                channel = per_provider[post.provider] = [0, 0, 0, 0.0]
            channel[label_index[label] - 1] += 1
            channel[3] += compound
            compound_sum += compound
            weight = 1.0 + log1p(max(post.likes + post.reposts, 0))  # the engagement weight (module docstring)
            weighted_sum += weight * compound
            weight_total += weight
        if post.hashtags:
            hashtags += [t.casefold().lstrip("#") for t in post.hashtags]
        elif text in text_tags:
            hashtags += text_tags[text]
        key = int(post.created_at.timestamp()) // step
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = [0, 0, 0, 0, 0.0]
        bucket[0] += 1
        if scored:
            bucket[label_index[label]] += 1
            bucket[4] += compound

    count = len(posts)
    scored_count = sum(labels.values())
    word_counts = Counter(words)
    top_terms = _top_terms(word_counts, term_sets, count, _previous_shares(previous_result))
    older = (Counter(older_words), len(older_words)) if older_copies else None
    emerging_terms, trend_baseline = _trends(top_terms, word_counts, len(words), count, older, previous_result)
    top_positive, top_negative = _extremes([p for p in posts if p.text in scored_texts], scores)
    views = {p.id: p for p in newest_first[:SAMPLE_SIZE]}
    return {
        "posts_analyzed": count,
        # Scored posts per source; the job runner moves these into source.providers[i].sentiment.
        "sentiment_by_provider": {
            provider: {
                "positive": c[0],
                "neutral": c[1],
                "negative": c[2],
                "mean_compound": round(c[3] / n, 4) if (n := c[0] + c[1] + c[2]) else 0.0,
            }
            for provider, c in per_provider.items()
        },
        "distinct_texts": len(copies),
        "duplicates_collapsed": count - len(copies),
        "sentiment": {
            "positive": labels["positive"],
            "neutral": labels["neutral"],
            "negative": labels["negative"],
            "mean_compound": round(compound_sum / scored_count, 4) if scored_count else 0.0,
            "weighted_mean_compound": round(weighted_sum / weight_total, 4) if scored_count else 0.0,
            "scored": scored_count,
            "unscored": count - scored_count,
            "intervals": share_intervals(labels["positive"], labels["neutral"], labels["negative"]),
        },
        "languages": [
            {"lang": lang, "posts": n, "scored": scored}
            for lang, (n, scored) in sorted(per_lang.items(), key=lambda item: (-item[1][0], item[0]))
        ],
        "language_filter": {"languages": sorted(set(languages)), "posts_left_out": filtered_out} if languages else None,
        "top_terms": top_terms,
        "emerging_terms": emerging_terms,
        "trend_baseline": trend_baseline,
        "term_counts": _counted(word_counts, trending.TERM_COUNTS),
        "term_tokens": len(words),
        "bigrams": _counted(Counter(bigrams), TOP_BIGRAMS),
        "hashtags": _counted(Counter(hashtags)),
        "mentions": _counted(Counter(mentions)),
        "cashtags": _counted(Counter(cashtags)),
        "emoji": _counted(Counter(emoji)),
        "timeline": _timeline(buckets, window, step, covered_from),
        "top_positive": [_view(p, scores, text_lang, scored_texts) for p in top_positive],
        "top_negative": [_view(p, scores, text_lang, scored_texts) for p in top_negative],
        "posts": [_view(p, scores, text_lang, scored_texts) for p in views.values()],
    }


def _view(post: Post, scores: dict[str, dict], text_lang: dict[str, str], scored_texts: set[str]) -> dict:
    view = post_view(post, scores[post.text])
    view["lang"] = text_lang[post.text]
    view["scored"] = post.text in scored_texts
    return view


def _trends(
    top_terms: list[dict],
    words: Counter[str],
    tokens: int,
    posts: int,
    older: tuple[Counter[str], int] | None,
    previous_result: dict | None,
) -> tuple[list[dict], str | None]:
    """Adds the G-squared trend fields to ``top_terms``; returns ``(emerging_terms, trend_baseline)``.
    ``older``: word counts and token total of the older half of the posts (the baseline without history)."""
    history = trending.baseline_from_history(previous_result, tokens / posts if posts else 0.0)
    if history is not None:
        counts, baseline_tokens, floor = history
        _, emerging = trending.annotate(top_terms, words, tokens, counts, baseline_tokens, floor)
        return emerging, "history"
    if older is not None and 0 < older[1] < tokens:
        early, early_tokens = older
        # newer-half counts of the terms that can be reported (top terms, and emerging candidates: MIN_COUNT+)
        late = {t: c - early.get(t, 0) for t, c in words.items() if c >= trending.MIN_COUNT}
        late.update((item["term"], item["count"] - early.get(item["term"], 0)) for item in top_terms)
        _, emerging = trending.annotate(top_terms, late, tokens - early_tokens, early, early_tokens)
        return emerging, "window"
    for item in top_terms:
        item.update(trend_score=0.0, trend_direction="flat", significant=False)
    return [], None


def _top_terms(
    words: Counter[str],
    term_sets: list[tuple[list[str], float, int]],
    count: int,
    previous: dict[str, float] | None,
) -> list[dict]:
    top = words.most_common(TOP_TERMS)
    compound_sums = dict.fromkeys((t for t, _ in top), 0.0)
    containing = dict.fromkeys(compound_sums, 0)
    top_set = frozenset(compound_sums)
    for terms, compound, n in term_sets:
        for term in top_set.intersection(terms):  # each term once; its sum keeps term_sets order
            compound_sums[term] += compound * n
            containing[term] += n
    result = []
    for term, occurrences in top:
        share = occurrences / count if count else 0.0
        trend = None
        if previous is not None and term in previous:
            trend = round(share - previous[term], 4)
        result.append(
            {
                "term": term,
                "count": occurrences,
                "share": round(share, 4),
                "sentiment": round(compound_sums[term] / containing[term], 4) if containing[term] else 0.0,
                "trend": trend,
            }
        )
    return result


def _extremes(posts: list[Post], scores: dict[str, dict]) -> tuple[list[Post], list[Post]]:
    """Up to TOP_EXAMPLES most positive and most negative posts, one per distinct text (its most engaged copy)."""
    representative: dict[str, Post] = {}
    for post in posts:
        best = representative.get(post.text)
        if best is None or (post.likes + post.reposts, post.created_at) > (best.likes + best.reposts, best.created_at):
            representative[post.text] = post
    candidates = list(representative.values())
    compounds = [scores[p.text]["compound"] for p in candidates]
    engagement = [p.likes + p.reposts for p in candidates]
    # heapq.nlargest / nsmallest give exactly sorted(...)[:n] (ties kept in input order) without sorting everything
    high = list(zip(compounds, engagement, strict=True))
    low = list(zip(compounds, map(neg, engagement), strict=True))
    indexes = range(len(candidates))
    positive = [candidates[i] for i in heapq.nlargest(TOP_EXAMPLES, indexes, key=high.__getitem__)]
    negative = [candidates[i] for i in heapq.nsmallest(TOP_EXAMPLES, indexes, key=low.__getitem__)]
    positive = [p for p in positive if scores[p.text]["label"] == "positive"]
    negative = [p for p in negative if scores[p.text]["label"] == "negative"]
    return positive, negative


def _timeline(
    buckets: dict[int, list], window: TimeWindow, step: int, covered_from: datetime | None = None
) -> list[dict]:
    """One entry per bucket of ``step`` seconds (UTC-aligned) over the window, empty buckets included.

    ``covered`` is false for a bucket that ends before ``covered_from`` (the oldest moment the fetched posts cover:
    its zero means "not fetched", not "nobody posted")."""
    covered_epoch = covered_from.timestamp() if covered_from is not None else None
    first = int(window.start.timestamp()) // step
    last = max(first, math.ceil(window.end.timestamp() / step) - 1)  # the window's end is exclusive
    if buckets:
        first, last = min(first, min(buckets)), max(last, max(buckets))
    timeline = []
    for key in range(first, last + 1):
        posts, positive, neutral, negative, compound_sum = buckets.get(key) or (0, 0, 0, 0, 0.0)
        timeline.append(
            {
                "start": isoformat_z(datetime.fromtimestamp(key * step, UTC)),
                "posts": posts,
                "positive": positive,
                "neutral": neutral,
                "negative": negative,
                "mean_compound": round(compound_sum / scored, 4) if (scored := positive + neutral + negative) else 0.0,
                "covered": covered_epoch is None or (key + 1) * step > covered_epoch,
            }
        )
    return timeline


def post_view(post: Post, scores: dict | float, label: str | None = None) -> dict:
    """The JSON view of a scored post. ``scores`` is the score dict (or, as before, a bare compound + label)."""
    if not isinstance(scores, dict):
        scores = {"compound": scores, "label": label or label_for(scores)}
    text, truncated = cap_text(post.text)  # stored results stay small (service.limits)
    view = {
        "id": post.id,
        "text": text,
        "author": post.author,
        "created_at": isoformat_z(post.created_at),
        "url": post.url,
        "compound": round(scores["compound"], 4),
        "label": scores["label"],
        "likes": post.likes,
        "reposts": post.reposts,
        "truncated": truncated,
        "provider": post.provider,
        "kind": post.kind,
    }
    if post.country:
        view["country"] = post.country
    for key in ("pos", "neu", "neg", "vader_compound"):
        if key in scores:
            view[key] = scores[key]
    return view
