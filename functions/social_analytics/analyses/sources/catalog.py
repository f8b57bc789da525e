"""The names of the post sources (no client code here: the API validates requests against it without loading any)."""

KNOWN_PROVIDERS = ("socialdata", "x", "bluesky", "mastodon", "hackernews", "lemmy", "bluesky_archive", "simulated")
KEYLESS_PROVIDERS = ("mastodon", "hackernews", "lemmy")
# Keyless too, but only where the deployment keeps an archive (ARCHIVE_DAYS): in the default set then.
ARCHIVE_PROVIDER = "bluesky_archive"

# USD per post returned (PROVIDERS.md): SocialData $0.20 / 1k, X pay-per-use $5 / 1k; the others are free.
PRICE_PER_POST_USD: dict[str, float] = {"socialdata": 0.0002, "x": 0.005}
