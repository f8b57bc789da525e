"""The calibrated sentiment score: a linear combination of VADER's own lexicon features, fitted to human ratings.

VADER's compound squashes the sum of word valences with a fixed curve (``x / sqrt(x^2 + 15)``) and ignores how the
positive and negative words are spread over the text. Human raters weigh those differently: a text with one strong
word reads less extreme than VADER says, two weak ones more. ``scripts/fit_scorer.py`` fits a ridge regression of
the human mean rating (-4..+4) on ``FEATURES`` (computed here from the valences VADER already produced, so the extra
cost per text is a few arithmetic operations), using only the development files in ``../shared/groundtruth``, and
prints the numbers in ``COEFFICIENTS``. The calibrated score is that prediction divided by 4 and clipped to
[-1, 1], so it lives on the compound's scale; labels use the same dead zone as VADER's, translated to this scale
(``POSITIVE_THRESHOLD`` below).

A text in which VADER found no sentiment at all (no lexicon word, so every valence is 0) scores exactly 0.0 and
stays neutral, whatever the intercept says: otherwise every plain statement would lean one way.

Long texts are scored per sentence (as ``sentiment.py`` does for VADER) and the calibrated scores averaged.
See docs/ANALYTICS.md for the cross-validated figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from operator import mul

from social_analytics.service.sentiment import analyzer

# Labels on the calibrated score. It is the predicted human rating / 4, so VADER's dead zone (compound within
# +-0.05, a valence sum within about +-0.19) corresponds to about +-0.02 here: at 0.02 the neutral share on the
# development files stays VADER's (tweets 5.95 % vs 5.90 %, movie snippets 14.8 % vs 15.6 %) and 3-class
# accuracy is no worse (docs/ANALYTICS.md). At 0.05 the calibrated score would call more weak texts neutral.
POSITIVE_THRESHOLD = 0.02
NEGATIVE_THRESHOLD = -0.02


def label_for(score: float) -> str:
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


FEATURES = (
    "compound",  # VADER compound
    "compound_cubed",
    "compound_signed_square",  # compound * |compound|: with the two above, a fitted curve in place of VADER's
    "sentiment_words",  # words with a non-zero valence
    "sum_per_root_words",  # (sum of valences + VADER's "!"/"?" emphasis) / sqrt(words): density, not just sum
    "max_valence",  # the strongest positive word (0 without one)
    "exclamations",
    "caps_words",  # words in capitals, "I" and "A" not counted
)
# Chosen by backward elimination from 20 candidates (also VADER's pos/neg/neu shares, the raw, positive and
# negative sums, per-word densities, tanh of the sum, min valence, word count and its log, the emphasis alone):
# dropping those 12 costs 0.0004 of cross-validated r on tweets and 0.005 on the snippets (docs/ANALYTICS.md).

# Fitted by `scripts/fit_scorer.py` (ridge on standardized features, folded back to raw-feature weights).
INTERCEPT = -0.10119274936428524
COEFFICIENTS: tuple[float, ...] = (
    2.77593703684655,  # compound
    1.913430489063276,  # compound_cubed
    -3.578214761083653,  # compound_signed_square
    -0.08867529661860572,  # sentiment_words
    0.39720964061089886,  # sum_per_root_words
    0.11967777720920887,  # max_valence
    0.13916011703269868,  # exclamations
    -0.057549554786344624,  # caps_words
)


def _capitals(words: list[str]) -> int:
    caps = getattr(words, "caps", None)  # counted once by sentiment._SentiText
    return sum(map(str.isupper, words)) if caps is None else caps


def features(scores: dict, valences: list, words: list[str], text: str) -> list[float]:
    """The ``FEATURES`` of one scored part (see ``Analyzer.scored_parts``)."""
    nonzero = [v for v in valences if v]
    total = float(sum(nonzero))
    exclamations = text.count("!")
    if total:  # VADER's _punctuation_emphasis, inlined: "!" up to 4 x 0.292, "?" when 2 or more
        questions = text.count("?")
        emphasis = min(exclamations, 4) * 0.292 + (
            0.0 if questions < 2 else questions * 0.18 if questions < 4 else 0.96
        )
        total += emphasis if total > 0 else -emphasis
    compound = scores["compound"]
    return [
        compound,
        compound**3,
        compound * abs(compound),
        float(len(nonzero)),
        total / math.sqrt(len(valences) or 1),
        max(max(nonzero, default=0.0), 0.0),
        float(exclamations),
        float(_capitals(words) - words.count("I") - words.count("A")),
    ]


def calibrated(values: list[float], has_sentiment: bool) -> float:
    """The calibrated score of one part's features, on the compound's -1..1 scale."""
    if not has_sentiment:
        return 0.0
    rating = INTERCEPT + sum(map(mul, COEFFICIENTS, values))
    return max(-1.0, min(1.0, rating / 4))


def _calibrated_part(scores: dict, valences: list, words: list[str], text: str) -> float:
    """``calibrated(features(...))`` in one pass, without building the feature list (the worker's hot path;
    a unit test checks that both give the same number)."""
    nonzero = [v for v in valences if v]
    if not nonzero:
        return 0.0
    total = float(sum(nonzero))
    exclamations = text.count("!")
    questions = text.count("?")
    emphasis = min(exclamations, 4) * 0.292 + (0.0 if questions < 2 else questions * 0.18 if questions < 4 else 0.96)
    total += emphasis if total > 0 else -emphasis
    c = scores["compound"]
    w = COEFFICIENTS
    rating = (
        INTERCEPT
        + c * (w[0] + w[1] * c * c + w[2] * (c if c > 0 else -c))
        + w[3] * len(nonzero)
        + w[4] * total / math.sqrt(len(valences))
        + w[5] * max(max(nonzero), 0.0)
        + w[6] * exclamations
        + w[7] * (_capitals(words) - words.count("I") - words.count("A"))
    )
    rating /= 4
    return -1.0 if rating < -1.0 else 1.0 if rating > 1.0 else rating


def score_text(text: str) -> dict:
    """``{"compound", "vader_compound", "pos", "neu", "neg", "label"}``: ``compound`` is the calibrated score."""
    parts = analyzer().scored_parts(text)
    if len(parts) == 1:
        vader = parts[0][0]
        compound = round(_calibrated_part(*parts[0]), 4)
    else:
        compound = round(sum(_calibrated_part(*p) for p in parts) / len(parts), 4)
        vader = {k: round(sum(p[0][k] for p in parts) / len(parts), 4) for k in ("neg", "neu", "pos", "compound")}
    return {
        "compound": compound,
        "vader_compound": vader["compound"],
        "pos": vader["pos"],
        "neu": vader["neu"],
        "neg": vader["neg"],
        "label": "positive"
        if compound >= POSITIVE_THRESHOLD
        else "negative"
        if compound <= NEGATIVE_THRESHOLD
        else "neutral",
    }


def score_texts(texts: Iterable[str]) -> dict[str, dict]:
    """``score_text`` of each distinct text, keyed by text: repeated texts (reposts, copies) are scored once."""
    scored: dict[str, dict] = {}
    for text in texts:
        if text not in scored:
            scored[text] = score_text(text)
    return scored
