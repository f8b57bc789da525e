"""The names of the post sources (no client code here: the API validates requests against it without loading any)."""

KNOWN_PROVIDERS = ("socialdata", "x", "bluesky", "mastodon", "hackernews", "lemmy", "bluesky_archive", "simulated")
KEYLESS_PROVIDERS = ("mastodon", "hackernews", "lemmy")
# Keyless too, but only where the deployment keeps an archive (ARCHIVE_DAYS): in the default set then.
ARCHIVE_PROVIDER = "bluesky_archive"

# USD per post returned (PROVIDERS.md): SocialData $0.20 / 1k, X pay-per-use $5 / 1k; the others are free.
PRICE_PER_POST_USD: dict[str, float] = {"socialdata": 0.0002, "x": 0.005}

# The most items one page of a paid search can bill: SocialData serves about 20 tweets a page (its size is the
# provider's choice), X bills at least ``max_results`` >= 10. A paid call may bill at most ``limit`` plus one such
# page; its adapter stops paging before it could pass that ceiling, and the spend gate reserves exactly that much.
PAGE_OVERSHOOT: dict[str, int] = {"socialdata": 20, "x": 10}


def max_billable_items(provider: str, limit: int) -> int:
    """The billing ceiling of one call for ``limit`` posts: what the spend gate reserves, what paging never passes."""
    return limit + PAGE_OVERSHOOT.get(provider, 0)
