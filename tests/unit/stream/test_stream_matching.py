"""The stream matcher: every tracked keyword against every post at once, with word boundaries and hashtags."""

from __future__ import annotations

import pytest
from social_analytics.models import normalize_keyword
from social_analytics.service.stream_matching import KeywordMatcher, matcher_for


def keys(*keywords: str) -> list[str]:
    return [normalize_keyword(k) for k in keywords]


@pytest.mark.parametrize(
    ("keyword", "text", "matched"),
    [
        ("lambda", "AWS Lambda is fun", True),
        ("lambda", "LAMBDA!", True),
        ("lambda", "#Lambda rocks", True),  # hashtags included
        ("lambda", "lambdas and lambdaland", False),  # word boundaries
        ("cat", "a catalog of cats", False),
        ("Café", "CAFÉ au lait", True),  # casefolded
        ("ﬁnance", "finance news", True),  # NFKC: the ligature is "fi"
        ("finance", "Ｆｉｎａｎｃｅ news", True),  # NFKC: full-width letters
        ("big brand", "I love Big Brand today", True),
        ("big brand", "big-brand launch", True),
        ("big brand", "#BigBrand launch", True),  # a phrase glued into one hashtag
        ("big brand", "big brands are brand big", False),
        ("covid-19", "covid 19 numbers", True),
        ("covid-19", "#covid19", True),
        ("#lambda", "#lambda day", True),
        ("#lambda", "lambda day", False),  # a tag keyword wants the tag
        ("$tsla", "buy $TSLA now", True),
        ("c++", "I write C++ daily", True),
        ("c++", "I write C daily", False),
        ("f#", "f# and ocaml", True),
        ("f#", "f sharp", False),
    ],
)
def test_one_keyword(keyword, text, matched):
    assert (normalize_keyword(keyword) in KeywordMatcher(keys(keyword)).match(text)) is matched


def test_every_keyword_of_the_set_at_once():
    matcher = KeywordMatcher(keys("lambda", "big brand", "c++", "#rust", "python"))
    assert matcher.match("Big Brand ships #rust and python bindings for C++") == {"big brand", "#rust", "python", "c++"}
    assert matcher.match("nothing here") == set()
    assert matcher.match("") == set()


def test_the_cached_matcher_is_rebuilt_only_when_the_set_changes():
    first = matcher_for(keys("alpha", "beta"))
    assert matcher_for(keys("beta", "alpha")) is first
    second = matcher_for(keys("alpha"))
    assert second is not first and second.match("beta alpha") == {"alpha"}
