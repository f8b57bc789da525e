"""Tokenizing post text for term statistics: words, bigrams, hashtags, mentions, cashtags and emoji.

Words are casefolded; hashtags, mentions, cashtags and emoji are kept apart from words (a ``#lambda`` is counted
as a hashtag, not as the word "lambda"); URLs are dropped. English stopwords and single letters never count as
terms. Everything runs through C-level regex calls per text (``findall``/``sub``), with the Python work limited to
filtering, so tokenizing costs a small fraction of scoring the same text with VADER.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

from social_analytics.models import normalize_keyword

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w&#])#(\w*[^\W\d]\w*)")
_MENTION = re.compile(r"(?<![\w@])@(\w+)")
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9]{0,5}(?:\.[A-Za-z]{1,2})?)\b")
_TAGS = re.compile(r"(?<![\w&#@$])[#@$]\w+")
# Two or more characters, starting with a letter; inner apostrophes and hyphens kept ("don't", "e-mail").
# Punctuation that ends a phrase is matched too, so that no bigram spans it, then dropped.
_WORD_OR_BREAK = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[.,;:!?()\[\]{}\"“”…|/]")
_BREAKS = frozenset('.,;:!?()[]{}"“”…|/')
_EMOJI_PART = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049"
    "\u2122\u2139\u2194-\u2199\u21a9\u21aa"
)
_EMOJI = re.compile(
    f"[{_EMOJI_PART}][\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u20e3]*(?:\u200d[{_EMOJI_PART}][\ufe0f\ufe0e\U0001f3fb-\U0001f3ff]*)*"
)
_EMOJI_NOISE = str.maketrans("", "", "\ufe0e\ufe0f")

_STOPWORD_TEXT = """
    a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
    for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves just also get got im its
    via rt amp will one like really us may might must shall yet still even much many every ever another etc gonna
    wanna gotta ya yo u ur dont cant wont didnt doesnt isnt ive youre thats theres lets whats quot gt lt nbsp"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SKIP = STOPWORDS | _BREAKS


class Tokens(NamedTuple):
    """The term material of one text."""

    words: list[str]  # content words in order (stopwords, keyword and URLs removed), may repeat
    bigrams: list[str]  # "a b" for adjacent content words with no stopword between them
    hashtags: list[str]  # casefolded, without "#"
    mentions: list[str]  # casefolded, without "@"
    cashtags: list[str]  # upper case, without "$"
    emoji: list[str]  # variation selectors removed
    all_words: list[str]  # every casefolded word, stopwords and keyword included (language evidence)


_NOTHING: list[str] = []


def tokenize(text: str, exclude: frozenset[str] = frozenset()) -> Tokens:
    """Split ``text`` into words, bigrams, hashtags, mentions, cashtags and emoji.

    ``exclude`` holds casefolded words (the query keyword) left out of words and bigrams.
    """
    if "http" in text or "www." in text:
        text = _URL.sub(" . ", text)
    hashtags = [t.casefold() for t in _HASHTAG.findall(text)] if "#" in text else _NOTHING
    mentions = [t.casefold() for t in _MENTION.findall(text)] if "@" in text else _NOTHING
    cashtags = [t.upper() for t in _CASHTAG.findall(text)] if "$" in text else _NOTHING
    if hashtags or mentions or cashtags:
        text = _TAGS.sub(" . ", text)
    emoji = [e.translate(_EMOJI_NOISE) for e in _EMOJI.findall(text)] if not text.isascii() else _NOTHING
    tokens = _WORD_OR_BREAK.findall(text.casefold().replace("’", "'"))
    skip = _skip_set(exclude) if exclude else _SKIP
    words = [w for w in tokens if w not in skip]
    bigrams = [f"{a} {b}" for a, b in pairwise(tokens) if a not in skip and b not in skip]
    return Tokens(words, bigrams, hashtags, mentions, cashtags, emoji, [t for t in tokens if t not in _BREAKS])


@lru_cache(maxsize=64)
def _skip_set(exclude: frozenset[str]) -> frozenset[str]:
    return _SKIP | exclude


def keyword_exclusions(keyword: str) -> frozenset[str]:
    """The casefolded words of the query keyword (and their possessives), kept out of top terms.

    A boolean query's syntax is not part of its words: quotes, parentheses, ``-``, ``*`` are dropped."""
    words = set()
    for word in normalize_keyword(keyword).replace("’", "'").split():
        word = word.strip('"()').lstrip("-#@$").rstrip("*")
        words.update({word, f"{word}'s"})
    return frozenset(words)
