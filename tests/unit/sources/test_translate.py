"""Each source's translation of a query, pure: the superset it can run, the user's text never an operator."""

from __future__ import annotations

import re

import pytest
from social_analytics.analyses.sources import translate as t
from social_analytics.analyses.sources.base import SourceCannotRun
from social_analytics.query import parse_query


def outside_quotes(text: str) -> str:
    return re.sub(r'"[^"]*"', "", text)


@pytest.mark.parametrize(
    "text",
    [
        '"since_time:0 OR from:elon"',
        "java -filter:replies",
        '"-filter:links min_faves:1" rust',
        "until_time:1 OR conversation_id:5",
        '"lang:en" NOT "from:bot"',
    ],
)
def test_user_operators_stay_inside_quotes(text):
    sent = t.operator_query(parse_query(text), "x").requests[0]
    assert not re.search(r"[a-z_]+:", outside_quotes(sent)), sent
    assert sent.count('"') % 2 == 0


def test_real_fields_and_tags_become_operators_and_odd_ones_are_left_to_the_check():
    assert t.operator_query(parse_query("rust from:ferris lang:de"), "x").requests[0] == '"rust" from:ferris lang:de'
    sent = t.operator_query(parse_query("rust from:alice.bsky.social"), "x")
    assert sent.requests[0] == '"rust"' and "left to the post check" in sent.note  # not an X handle
    assert t.operator_query(parse_query("#rust OR $tsla"), "x").requests[0] == "(#rust OR $tsla)"


def test_quoted_removes_what_could_close_a_phrase():
    assert t.quoted('a" OR since_time:1 \\') == '"a OR since_time:1"'
    assert t.quoted('""') is None


def test_a_prefix_in_an_or_makes_it_unconstrained_on_x_and_alone_unrunnable():
    assert t.operator_query(parse_query("rust (jav* OR kotlin)"), "x").requests[0] == '"rust"'
    with pytest.raises(SourceCannotRun):
        t.operator_query(parse_query("jav*"), "x")
    assert t.hackernews_query(parse_query("jav*")).requests == ("jav",)


def test_or_branches_are_separate_searches_up_to_the_cap():
    five = parse_query("a1 OR b2 OR c3 OR d4 OR e5")
    assert len(t.hackernews_query(five).requests) == 5
    with pytest.raises(SourceCannotRun, match="at most 5"):
        t.lemmy_query(parse_query("a1 OR b2 OR c3 OR d4 OR e5 OR f6"))
    assert t.operator_query(parse_query("a1 OR b2 OR c3 OR d4 OR e5 OR f6"), "x").requests[0].count(" OR ") == 5


def test_mastodon_takes_a_tag_per_branch_and_never_a_cashtag_or_literal():
    assert t.mastodon_tags(parse_query('"big brand" OR #bb')).requests == ("bigbrand", "bb")
    with pytest.raises(SourceCannotRun):
        t.mastodon_tags(parse_query("$tsla OR c++"))
    assert t.mastodon_tags(parse_query("covid-19")).requests == ("covid19",)


def test_lemmy_asks_for_the_rarest_looking_atom_of_each_branch():
    assert t.lemmy_query(parse_query('go "big brand launch"')).requests == ("big brand launch",)
    assert t.lemmy_query(parse_query("go kubernetes")).requests == ("go kubernetes",)  # plain words: a phrase
    assert t.lemmy_query(parse_query("go AND kubernetes")).requests == ("kubernetes",)
