"""The check every fetched post passes before it counts: does it match the whole query?

Sources match loosely (Algolia: every word a prefix, with typos, in URLs and author names; Lemmy: substrings;
Mastodon: one hashtag), so each post any source returns, imports and simulated posts included, is matched with
``Query.matches`` on what the user sees: its text, its author (for ``from:``) and its language (for ``lang:``: the
provider's tag, else the offline detector, asked only when the query names a language). Only matching posts count
in any figure; the others are counted as ``off_topic`` and a few are kept as examples with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from social_analytics.models import Post
from social_analytics.query import PostView, Query

MAX_EXAMPLES_PER_SOURCE = 3
EXAMPLE_TEXT_CHARS = 280


@dataclass
class Checked:
    matched: list[Post]
    off_topic: int = 0
    examples: list[dict] = field(default_factory=list)


def post_view(post: Post, *, detect: bool = False) -> PostView:
    """What the matcher sees of a post. ``detect``: fill a missing language from the detector."""
    language = post.language
    if not language and detect:
        from social_analytics.scoring.languages import detect as detect_language  # the worker's, not the API's

        language = detect_language(post.text)
    langs = (language.split("-", 1)[0].casefold(),) if language else ()
    return PostView(text=post.text, author=post.author or "", langs=langs)


def check_posts(query: Query, posts: list[Post]) -> Checked:
    """The posts matching ``query``, in order, and the count and first examples of the others."""
    detect = query.languages() is not None
    checked = Checked(matched=[])
    for post in posts:
        view = post_view(post, detect=detect)
        if query.matches(view):
            checked.matched.append(post)
            continue
        checked.off_topic += 1
        if len(checked.examples) < MAX_EXAMPLES_PER_SOURCE:
            checked.examples.append(
                {
                    "provider": post.provider,
                    "id": post.id,
                    "url": post.url,
                    "author": post.author,
                    "text": post.text[:EXAMPLE_TEXT_CHARS],
                    "reason": query.explain_miss(view) or "did not match",
                }
            )
    return checked
