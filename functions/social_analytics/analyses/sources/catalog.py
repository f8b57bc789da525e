"""The names of the post sources (no client code here: the API validates requests against it without loading any)."""

KNOWN_PROVIDERS = ("socialdata", "x", "bluesky", "mastodon", "hackernews", "lemmy", "simulated")
KEYLESS_PROVIDERS = ("mastodon", "hackernews", "lemmy")
