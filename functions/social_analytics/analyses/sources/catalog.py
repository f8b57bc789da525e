"""The names of the post sources and what each one is (no client code here: the API validates requests against it,
and ``GET /api/sources`` describes the sources, without loading any)."""

KNOWN_PROVIDERS = (
    "socialdata",
    "x",
    "bluesky",
    "mastodon",
    "hackernews",
    "lemmy",
    "gdelt",
    "googlenews",
    "bluesky_archive",
    "simulated",
)
KEYLESS_PROVIDERS = ("mastodon", "hackernews", "lemmy", "gdelt", "googlenews")
# Keyless too, but only where the deployment keeps an archive (ARCHIVE_DAYS): in the default set then.
ARCHIVE_PROVIDER = "bluesky_archive"

# USD per post returned (PROVIDERS.md): SocialData $0.20 / 1k, X pay-per-use $5 / 1k; the others are free.
PRICE_PER_POST_USD: dict[str, float] = {"socialdata": 0.0002, "x": 0.005}

# The channel of a source: what its items are. News sources return headlines (``Post.kind == "headline"``).
NEWS_PROVIDERS = ("gdelt", "googlenews")


def channel_of(provider: str) -> str:
    """``"news"`` for the news sources, ``"simulated"`` for the simulated one, else ``"social"``."""
    if provider in NEWS_PROVIDERS:
        return "news"
    return "simulated" if provider == "simulated" else "social"


# What each source can cover, in one of a few fixed words, and a sentence saying so (GET /api/sources).
COVERAGE: dict[str, tuple[str, str]] = {
    "socialdata": ("search_sample", "X posts from SocialData's search (spam-flagged accounts absent); paid per post"),
    "x": ("search_sample", "X API v2 recent search, the last 7 days; paid per post"),
    "bluesky": ("search_sample", "Bluesky searchPosts as one account sees it (blocks, mutes, labels apply)"),
    "mastodon": ("hashtags_only", "hashtag timelines of a few instances (posts those instances know about)"),
    "hackernews": ("complete_stream", "every Hacker News story and comment (Algolia), about 1,000 hits per query"),
    "lemmy": ("search_sample", "Lemmy search on a few instances (posts federated to them)"),
    "gdelt": ("news", "world online news articles monitored by GDELT (titles, 15-minute updates, last 3 months)"),
    "googlenews": ("news", "Google News headlines for the search, at most 100 per query (RSS)"),
    "bluesky_archive": (
        "complete_stream",
        "every Bluesky post the stream archived, for the hours the archive holds (ARCHIVE_DAYS); other hours uncovered",
    ),
    "simulated": ("simulated", "generated posts, labelled simulated; used only when no live source answers"),
}

# The settings that enable a source: its credentials (secret names, never values) or none for a keyless one.
ENABLED_BY: dict[str, tuple[str, ...]] = {
    "socialdata": ("SOCIALDATA_API_KEY",),
    "x": ("X_BEARER_TOKEN",),
    "bluesky": ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"),
    "mastodon": (),
    "hackernews": (),
    "lemmy": (),
    "gdelt": (),
    "googlenews": (),
    "bluesky_archive": ("ARCHIVE_DAYS",),
    "simulated": (),
}

# The most items one page of a paid search can bill: SocialData serves about 20 tweets a page (its size is the
# provider's choice), X bills at least ``max_results`` >= 10. A paid call may bill at most ``limit`` plus one such
# page; its adapter stops paging before it could pass that ceiling, and the spend gate reserves exactly that much.
PAGE_OVERSHOOT: dict[str, int] = {"socialdata": 20, "x": 10}


def max_billable_items(provider: str, limit: int) -> int:
    """The billing ceiling of one call for ``limit`` posts: what the spend gate reserves, what paging never passes."""
    return limit + PAGE_OVERSHOOT.get(provider, 0)
