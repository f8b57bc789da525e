"""Tokenizer: words apart from hashtags, mentions, cashtags and emoji; URLs, stopwords and the keyword out."""

from __future__ import annotations

from social_analytics.scoring.terms import keyword_exclusions, tokenize


def test_tags_emoji_and_urls_are_kept_apart_from_words():
    tokens = tokenize("Loving #AWSLambda with @Jeff_Barr! $AMZN up 🚀🚀 https://x.co/a ❤️ www.example.com")

    assert tokens.words == ["loving"]
    assert tokens.hashtags == ["awslambda"]
    assert tokens.mentions == ["jeff_barr"]
    assert tokens.cashtags == ["AMZN"]
    assert tokens.emoji == ["🚀", "🚀", "❤"]


def test_stopwords_numbers_and_single_letters_are_not_terms():
    assert tokenize("I think that the 2 new APIs are a b great").words == ["think", "new", "apis", "great"]


def test_curly_apostrophes_are_stopwords_too():
    assert tokenize("don’t you’re can't Lambda's").words == ["lambda's"]


def test_keyword_is_left_out_of_words_and_bigrams():
    exclude = keyword_exclusions("  AWS  Lambda ")
    tokens = tokenize("AWS Lambda cold starts: Lambda's cold starts daily", exclude)

    assert tokens.words == ["cold", "starts", "cold", "starts", "daily"]
    assert tokens.bigrams == ["cold starts", "cold starts", "starts daily"]


def test_bigrams_do_not_span_punctuation_urls_or_stopwords():
    tokens = tokenize("Terrible support, cold starts http://x.y/z slow deploys and the billing")

    assert tokens.bigrams == ["terrible support", "cold starts", "slow deploys"]


def test_entities_and_money_are_not_tags():
    tokens = tokenize("price &#36;5 &amp; #1 fan $5")
    assert (tokens.hashtags, tokens.cashtags) == ([], [])
