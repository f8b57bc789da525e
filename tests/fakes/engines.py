"""How each provider's search engine decides what matches, for the loopback fakes (``FakeProviderServer(corpus=)``).

Written from the providers' documentation (/work/shared/PROVIDERS.md g-i and each engine's own docs), independent
of ``social_analytics.query`` on purpose: the fakes must answer the way the real engines do, loosely, so the
product's own post check is what makes the counts right.

* Hacker News (Algolia, ``queryType: prefixAll``, typo tolerance on, ``searchableAttributes`` title, story_text,
  comment_text, url, author): every query word must be found as the *prefix* of a word in one of those attributes,
  with one typo allowed from 4 characters and two from 8 (Algolia's ``minWordSizefor1Typo`` /
  ``minWordSizefor2Typos`` defaults). ``java`` finds "JavaScript"; ``apple`` finds "applesauce" and
  ``https://apple.example``; ``rust`` finds "rusty" and an author called "rustacean".
* Lemmy (``fuzzy_search``: ``ILIKE '%' || replace(q, ' ', '%') || '%'``): a case-insensitive substring, words in
  order with anything between them. ``cat`` finds "catalog"; ``rust`` finds "trust".
* Mastodon: the hashtag timeline holds the posts tagged with the tag, nothing else (case-insensitive).
* Bluesky ``searchPosts``: words (whole words, case-insensitive), ``"quoted phrases"``, ``#tag``, ``from:handle``,
  ``lang:xx``; every part must match (no OR, no negation).
* SocialData / X: X's search operators: words and ``"phrases"`` (whole tokens, punctuation ignored), implicit AND,
  ``OR``, ``-`` negation, parentheses, ``#tag``, ``$cashtag``, ``lang:``, ``from:``, and the time and id operators
  (``since_time:``, ``until_time:``, ``since_id:``, ``max_id:``). Anything of the form ``name:value`` outside quotes
  is an operator: a user's ``since_time:0`` typed unquoted changes the search, which is what quoting prevents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+", re.UNICODE)
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)


@dataclass
class Doc:
    """One post of a fake corpus. ``title`` set: a Hacker News story (``text`` is its story_text) / a Lemmy post."""

    text: str
    author: str = "someone"
    lang: str = "en"
    title: str = ""
    url: str = ""
    minutes_ago: float | None = None  # default: one minute apart, newest first
    tags: list[str] = field(default_factory=list)  # default: the #hashtags in the text

    def hashtags(self) -> list[str]:
        return [t.casefold() for t in (self.tags or _HASHTAG.findall(self.title + " " + self.text))]

    def visible(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, stopping early above ``cap``."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


def algolia_matches(query: str, doc: Doc) -> bool:
    """Every word of the query is a prefix (typos allowed) of a word in title, story_text/comment_text, url, author."""
    tokens = words(" ".join((doc.title, doc.text, doc.url, doc.author)))
    for word in words(query):
        typos = 2 if len(word) >= 8 else 1 if len(word) >= 4 else 0
        if not any(
            token.startswith(word)
            or (
                typos
                and (_distance(word, token[: len(word)], typos) <= typos or _distance(word, token, typos) <= typos)
            )
            for token in tokens
        ):
            return False
    return True


def lemmy_matches(query: str, doc: Doc) -> bool:
    pattern = ".*".join(re.escape(part) for part in query.casefold().split())
    return bool(re.search(pattern, doc.visible().casefold(), re.DOTALL))


def mastodon_matches(tag: str, doc: Doc) -> bool:
    return tag.casefold() in doc.hashtags()


_BSKY_PART = re.compile(r'"([^"]*)"|(\S+)')


def _has_phrase(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return bool(n) and any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


def bluesky_matches(query: str, doc: Doc) -> bool:
    tokens = words(doc.text)
    for quoted, bare in _BSKY_PART.findall(query):
        if quoted:
            if not _has_phrase(tokens, words(quoted)):
                return False
        elif bare.startswith("#"):
            if bare[1:].casefold() not in doc.hashtags():
                return False
        elif bare.startswith("from:"):
            if doc.author.casefold() != bare[5:].casefold():
                return False
        elif bare.startswith("lang:"):
            if doc.lang != bare[5:]:
                return False
        elif not _has_phrase(tokens, words(bare)):
            return False
    return True


# ------------------------------------------------------------------------------------------- X's operator syntax
_X_TOKEN = re.compile(r'\s*(?:(-?)"([^"]*)"|(-?)(\()|(\))|(-?)([^\s()"]+))')


def _x_tokens(query: str) -> list[tuple[str, str, bool]]:
    """(kind, value, negated): kind is ``phrase``, ``(``, ``)``, ``OR``, ``op`` (name:value) or ``word``."""
    out: list[tuple[str, str, bool]] = []
    pos = 0
    while pos < len(query):
        m = _X_TOKEN.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        neg_q, phrase, neg_group, open_, close, neg, bare = m.groups()
        if phrase is not None:
            out.append(("phrase", phrase, bool(neg_q)))
        elif open_:
            out.append(("(", "(", bool(neg_group)))
        elif close:
            out.append((")", ")", False))
        elif bare == "OR" and not neg:
            out.append(("OR", "OR", False))
        elif bare is not None:
            out.append(("op" if re.match(r"^[a-z_]+:.+", bare) else "word", bare, bool(neg)))
    return out


@dataclass
class Tweetish:
    """What X's search sees of a tweet."""

    text: str
    author: str
    lang: str
    created: int  # unix seconds
    id: int
    hashtags: list[str]


def x_matches(query: str, tweet: Tweetish) -> bool:
    tokens = _x_tokens(query)
    text_tokens = words(tweet.text)
    position = 0

    def atom(kind: str, value: str) -> bool:
        if kind == "phrase":
            return _has_phrase(text_tokens, words(value))
        if kind == "op":
            name, _, arg = value.partition(":")
            if name == "lang":
                return tweet.lang == arg
            if name == "from":
                return tweet.author.casefold() == arg.casefold()
            if name == "since_time":
                return arg.isdigit() and tweet.created >= int(arg)
            if name == "until_time":
                return arg.isdigit() and tweet.created < int(arg)
            if name == "since_id":
                return arg.isdigit() and tweet.id > int(arg)
            if name == "max_id":
                return arg.isdigit() and tweet.id <= int(arg)
            if name == "filter":
                return False  # filter:replies and the like: none of the fake's tweets is a reply, link, media...
            return False
        if value.startswith("#"):
            return value[1:].casefold() in tweet.hashtags
        if value.startswith("$"):
            return f"${value[1:].casefold()}" in tweet.text.casefold()
        return _has_phrase(text_tokens, words(value))

    def parse_or() -> bool:
        nonlocal position
        result = parse_and()
        while position < len(tokens) and tokens[position][0] == "OR":
            position += 1
            right = parse_and()
            result = result or right
        return result

    def parse_and() -> bool:
        nonlocal position
        result = True
        while position < len(tokens) and tokens[position][0] not in ("OR", ")"):
            kind, value, negated = tokens[position]
            position += 1
            if kind == "(":
                inner = parse_or()
                position += 1  # the ")"
                value_ok = inner
            else:
                value_ok = atom(kind, value)
            result = result and (not value_ok if negated else value_ok)
        return result

    return parse_or()
