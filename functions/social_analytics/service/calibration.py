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
    "pos",  # VADER pos share
    "neg",  # VADER neg share
    "sum",  # sum of word valences plus punctuation emphasis (what compound squashes)
    "pos_sum",  # sum of positive valences
    "neg_sum",  # sum of negative valences
    "sentiment_words",  # words with a non-zero valence
    "words",  # words and emoticons
    "tanh_sum",  # tanh(sum / 4): a second squashing curve
    "sum_per_root_words",  # sum / sqrt(words)
    "pos_per_root_words",
    "neg_per_root_words",
    "max_valence",
    "min_valence",
    "compound_cubed",
    "compound_signed_square",  # compound * |compound|
    "exclamations",
    "caps_words",  # words of two letters or more in capitals
    "log_words",
    "punctuation_emphasis",  # VADER's "!" / "?" amplifier
)

# Fitted by `scripts/fit_scorer.py` (ridge on standardized features, folded back to raw-feature weights).
INTERCEPT = 0.0033723103101672147
COEFFICIENTS: tuple[float, ...] = (
    2.01631919705103,  # compound
    0.45912297810961683,  # pos
    -0.272553082192765,  # neg
    0.18232717360927397,  # sum
    -0.12761231721085012,  # pos_sum
    -0.25522567579016975,  # neg_sum
    -0.1267144691034898,  # sentiment_words
    -0.010015500017377967,  # words
    0.8230249453515024,  # tanh_sum
    0.6626261255306554,  # sum_per_root_words
    -0.5331073185510838,  # pos_per_root_words
    -0.3887600885103912,  # neg_per_root_words
    0.1277913341167992,  # max_valence
    0.1199067924969912,  # min_valence
    3.0829869632139384,  # compound_cubed
    -4.7030976014492145,  # compound_signed_square
    0.052238845399992954,  # exclamations
    -0.0605462520770268,  # caps_words
    0.02409915596181318,  # log_words
    0.1878076761075094,  # punctuation_emphasis
)


def features(scores: dict, valences: list, words: list[str], text: str) -> list[float]:
    """The ``FEATURES`` of one scored part (see ``Analyzer.scored_parts``)."""
    total = pos_sum = neg_sum = 0.0
    nonzero = 0
    high = low = 0.0
    for v in valences:
        if v:
            nonzero += 1
            total += v
            if v > 0:
                pos_sum += v
            else:
                neg_sum += v
            high = v if v > high else high
            low = v if v < low else low
    emphasis = analyzer()._punctuation_emphasis(text) if valences else 0.0
    if total > 0:
        total += emphasis
    elif total < 0:
        total -= emphasis
    n = len(valences) or 1
    root = math.sqrt(n)
    compound = scores["compound"]
    return [
        compound,
        scores["pos"],
        scores["neg"],
        total,
        pos_sum,
        neg_sum,
        float(nonzero),
        float(n),
        math.tanh(total / 4),
        total / root,
        pos_sum / root,
        neg_sum / root,
        high,
        low,
        compound**3,
        compound * abs(compound),
        float(text.count("!")),
        float(sum(1 for w in words if len(w) > 1 and w.isupper())),
        math.log(n),
        emphasis,
    ]


def calibrated(values: list[float], has_sentiment: bool) -> float:
    """The calibrated score of one part's features, on the compound's -1..1 scale."""
    if not has_sentiment:
        return 0.0
    rating = INTERCEPT + sum(c * x for c, x in zip(COEFFICIENTS, values, strict=True))
    return max(-1.0, min(1.0, rating / 4))


def score_text(text: str) -> dict:
    """``{"compound", "vader_compound", "pos", "neu", "neg", "label"}``: ``compound`` is the calibrated score."""
    parts = analyzer().scored_parts(text)
    if len(parts) == 1:
        scores, valences, words, part = parts[0]
        compound = calibrated(features(scores, valences, words, part), any(valences))
        vader = scores
    else:
        compound = sum(calibrated(features(*p), any(p[1])) for p in parts) / len(parts)
        vader = {k: round(sum(p[0][k] for p in parts) / len(parts), 4) for k in ("neg", "neu", "pos", "compound")}
    compound = round(compound, 4)
    return {
        "compound": compound,
        "vader_compound": vader["compound"],
        "pos": vader["pos"],
        "neu": vader["neu"],
        "neg": vader["neg"],
        "label": label_for(compound),
    }


def score_texts(texts: Iterable[str]) -> dict[str, dict]:
    """``score_text`` of each distinct text, keyed by text: repeated texts (reposts, copies) are scored once."""
    scored: dict[str, dict] = {}
    for text in texts:
        if text not in scored:
            scored[text] = score_text(text)
    return scored
