"""Simulated posts: the clearly labelled last resort when no live provider answers.

Deterministic for a (keyword, time window): the same inputs give the same posts, so cached and fresh
results agree and tests can rely on them. Varied on purpose: the sentiment mix, the hashtags and the
posting rhythm differ from keyword to keyword, so simulated dashboards do not all look alike.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import timedelta

from social_analytics.analyses.sources.base import FetchResult, SourceQuery
from social_analytics.analyses.sources.translate import _words, as_query, branches
from social_analytics.models import Post, TimeWindow, normalize_keyword
from social_analytics.query import Field, Phrase, Query, Tag, Term

POSITIVE = (
    "Honestly {k} has been great this week, really impressed with {thing}.",
    "Just tried {k} for {use} and I love it! {emoji}",
    "{k} keeps getting better. The {thing} is excellent.",
    "Big shoutout to the {k} team, {thing} works perfectly now.",
    "Switched to {k} last month, best decision I've made for {use}.",
    "Wow, {k} nailed the {thing}. Super smooth and fast!",
    "Can't stop recommending {k} to friends. Brilliant for {use} :)",
    "The new {thing} in {k} is a joy to use. Well done!",
    "{k} support fixed my problem in ten minutes. Amazing service.",
    "Loving how {k} handles {use}. Clean, simple, reliable.",
    "Really happy with {k} today, the {thing} update is fantastic {emoji}",
    "Good news: {k} is cheaper than I expected and the {thing} is solid.",
)
NEUTRAL = (
    "Anyone here using {k} for {use}? Looking for opinions.",
    "{k} announced changes to the {thing} today.",
    "Reading the {k} docs about {thing} this afternoon.",
    "How does {k} compare with the alternatives for {use}?",
    "New blog post comparing {k} options for {use}: https://example.com/{slug}",
    "{k} meetup next Tuesday, topic is the {thing}.",
    "Is the {k} {thing} available in Europe yet?",
    "Thread on what changed in {k} this quarter.",
    "Trying to decide whether {k} fits our {use} setup.",
    "{k} release notes are out, the {thing} section is long.",
)
NEGATIVE = (
    "{k} is down again?? The {thing} keeps failing. So frustrating.",
    "Really disappointed with {k}, the {thing} broke my {use} workflow.",
    "Why is {k} so slow today? This is terrible.",
    "Cancelled my {k} subscription. The {thing} is awful now.",
    "{k} support has ignored my ticket for a week. Not acceptable.",
    "The latest {k} update ruined the {thing}. Please roll it back!",
    "I hate how confusing {k} pricing is for {use} {emoji_bad}",
    "{k} lost my data during the {thing} migration. Angry.",
    "Worst experience with {k} so far, the {thing} is broken.",
    "Sad to see {k} getting worse at {use}. Used to be good.",
)
THINGS = (
    "dashboard",
    "mobile app",
    "API",
    "pricing",
    "search",
    "onboarding",
    "latest release",
    "integration",
    "performance",
    "customer support",
    "documentation",
    "new feature",
)
USES = (
    "work",
    "side projects",
    "data analysis",
    "my team",
    "marketing",
    "research",
    "streaming",
    "travel",
    "school",
    "small business",
)
EMOJI_GOOD = ("🎉", "😍", "🙌", "🔥", "😊", ":D")
EMOJI_BAD = ("😡", "😞", "🙄", ":(")
TAGS = ("news", "tech", "review", "update", "community", "launch", "help", "opinion", "deal", "trending")
NAMES = (
    "alex",
    "sam",
    "jordan",
    "casey",
    "riley",
    "morgan",
    "taylor",
    "jamie",
    "quinn",
    "avery",
    "drew",
    "harper",
    "kai",
    "noor",
    "mika",
    "lena",
    "omar",
    "priya",
    "tomas",
    "yuki",
)


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


class SimulatedAdapter:
    """Generates realistic, labelled-as-simulated posts; never fails."""

    name = "simulated"
    simulated = True

    def translate(self, query: Query | str) -> SourceQuery:
        return SourceQuery((simulated_text(as_query(query)),))

    async def fetch(
        self, query: Query | str, window: TimeWindow, limit: int, *, cursor=None, budget=None
    ) -> FetchResult:
        parsed = as_query(query)
        text = simulated_text(parsed)
        languages = sorted(parsed.languages() or ())
        posts = simulate_posts(text, window, limit, language=languages[0] if languages else "en")
        return FetchResult(posts=posts, sent_query=text)


def simulated_text(query: Query) -> str:
    """What simulated posts mention for a query: its first OR branch's positive atoms as a user would write them
    (``#tag``, ``$CASH``, a phrase's words, a prefix's stem), so the posts pass the query's check like real ones.
    A plain keyword is written as it was typed."""
    if isinstance(query.root, Term | Phrase):
        return query.display
    branch = branches(query)[0]
    parts = []
    for atom in branch:
        if isinstance(atom, Tag | Term):
            parts.append(atom.text)
        elif not isinstance(atom, Field):
            parts.append(" ".join(_words(atom)))
    return " ".join(parts) or query.key


def simulate_posts(query: str, window: TimeWindow, limit: int, *, language: str = "en") -> list[Post]:
    key = normalize_keyword(query)
    keyword_rng = random.Random(_seed("mix", key))
    # The keyword's character: its sentiment mix and favourite hashtags stay the same across windows.
    positive_share = keyword_rng.uniform(0.2, 0.65)
    negative_share = keyword_rng.uniform(0.08, min(0.5, 0.95 - positive_share))
    keyword_tags = keyword_rng.sample(TAGS, 3)
    tag_of_keyword = "".join(ch for ch in key.title() if ch.isalnum()) or "Topic"

    rng = random.Random(_seed("posts", key, window.start.isoformat(), window.end.isoformat()))
    span = max((window.end - window.start).total_seconds(), 1.0)
    posts = []
    for index in range(limit):
        roll = rng.random()
        if roll < positive_share:
            template = rng.choice(POSITIVE)
        elif roll < positive_share + negative_share:
            template = rng.choice(NEGATIVE)
        else:
            template = rng.choice(NEUTRAL)
        text = template.format(
            k=query.strip(),
            thing=rng.choice(THINGS),
            use=rng.choice(USES),
            emoji=rng.choice(EMOJI_GOOD),
            emoji_bad=rng.choice(EMOJI_BAD),
            slug=f"{tag_of_keyword.lower()}-{rng.randint(1, 99)}",
        )
        tags = []
        if rng.random() < 0.45:
            tags.append(rng.choice(keyword_tags))
        if rng.random() < 0.3:
            tags.append(tag_of_keyword)
        if tags:
            text = f"{text} " + " ".join(f"#{tag}" for tag in tags)
        # More posts in the recent part of the window, with a daily rhythm: looks like real traffic.
        offset = span * (1 - rng.random() ** 1.6)
        moment = window.start + timedelta(seconds=offset)
        if rng.random() < 0.3 * (1 + math.sin(moment.hour / 24 * 2 * math.pi)):
            moment = min(moment + timedelta(minutes=rng.randint(0, 90)), window.end - timedelta(seconds=1))
        popularity = rng.paretovariate(1.6)
        post_id = f"{_seed(key, window.start.isoformat(), str(index)):x}"
        posts.append(
            Post(
                id=f"simulated:{post_id}",
                text=text,
                created_at=moment,
                provider="simulated",
                author=f"{rng.choice(NAMES)}_{rng.randint(10, 999)}",
                url=None,
                likes=int(popularity * rng.randint(0, 12)),
                reposts=int(popularity * rng.randint(0, 4)),
                replies=int(popularity * rng.randint(0, 3)),
                language=language,
                hashtags=tags,
            )
        )
    posts.sort(key=lambda post: post.created_at, reverse=True)
    return posts
