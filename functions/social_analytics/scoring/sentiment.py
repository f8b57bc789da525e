"""VADER sentiment (vaderSentiment 3.3.2) with fixes for its known gaps, measured against human ratings.

The text is scored raw: never lowercased or stripped of punctuation, because VADER reads capitals ("GREAT"),
punctuation ("!!!"), emoticons (":)") and emoji. On top of the package we fix:

* **Emoji made of several code points** (known upstream: github.com/cjhutto/vaderSentiment/issues/99). The
  package looks emoji up one character at a time, so "❤️" (U+2764 U+FE0F) becomes "red heart\\ufe0f", which is not
  a lexicon word, and ZWJ sequences or skin-tone variants are missed. We drop variation selectors and skin-tone
  modifiers, match the longest sequence in the package's own emoji lexicon (ZWJ sequences included) and put spaces
  around each description, so it never glues onto the next word.
* **Emoji whose description carries no sentiment word** ("👍" is "thumbs up": 0.0). ``EMOJI_PROXIES`` maps a
  few common ones to a VADER lexicon word whose human-rated valence fits (so every valence still comes from
  the VADER lexicon). This is a judgement call; the ground truth has no emoji, so it cannot move r.
* **HTML entities** in tweet text (``&amp;``, ``&lt;3``): ``html.unescape`` before scoring, so ``&lt;3``
  is read as the "<3" emoticon.
* **Long texts** saturate the compound (it normalizes a sum that grows with length). Texts longer than
  ``LONG_TEXT_WORDS`` words are scored sentence by sentence and averaged. The threshold was chosen so that the
  ground truth does not get worse (see docs/ANALYTICS.md).

``vaderSentiment`` is imported lazily inside the cached factory: the API function never pays for it.
"""

from __future__ import annotations

import html
import math
import re
import string
from collections.abc import Iterable
from functools import cache

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

# Texts with more words than this are scored per sentence and averaged (0 disables the fix).
LONG_TEXT_WORDS = 60

_VARIATION_SELECTORS = "\ufe0e\ufe0f"
_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
_DROPPED_WHEN_ALONE = frozenset("\u200d\u20e3" + "".join(chr(c) for c in range(0xE0020, 0xE0080)))
_STRIP_FROM_EMOJI = str.maketrans("", "", _VARIATION_SELECTORS + _SKIN_TONES)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PUNCTUATION = string.punctuation

# Common emoji whose lexicon description ("thumbs up", "pouting face") has no VADER word, mapped to the VADER
# lexicon word whose valence they are scored with (valence from vader_lexicon.txt in brackets).
EMOJI_PROXIES: dict[str, str] = {
    "👍": "approval",  # thumbs up [2.1]
    "👎": "dislike",  # thumbs down [-1.6]
    "👏": "applause",  # clapping hands [1.8]
    "🙌": "celebrate",  # raising hands [2.7]
    "🙏": "grateful",  # folded hands [2.0]
    "💯": "perfect",  # hundred points [2.7]
    "💪": "strong",  # flexed biceps [2.3]
    "🏆": "winner",  # trophy [2.8]
    "🤩": "amazing",  # star-struck [2.8]
    "🔥": "cool",  # fire: praise on social media, not danger (VADER's "fire" is -1.4) [1.3]
    "😡": "angry",  # pouting face [-2.3]
    "🤬": "furious",  # face with symbols on mouth [-2.7]
    "🤮": "disgusting",  # face vomiting [-2.4]
    "💩": "crap",  # pile of poo [-1.6]
    "🙄": "annoyed",  # face with rolling eyes [-1.6]
    "😒": "annoyed",  # unamused face [-1.6]
    "😤": "frustrated",  # face with steam from nose [-2.4]
    "🤦": "ugh",  # person facepalming [-1.8]
}


def label_for(compound: float) -> str:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


class _Words(list):
    """VADER's word list, with its lowercase form computed once."""

    __slots__ = ("caps", "lowered")

    lowered: list[str]
    caps: int  # words in capitals (str.isupper)


class _SentiText:
    """``vaderSentiment.SentiText`` (3.3.2) with the same result in fewer steps: one comprehension strips the
    punctuation around each word (keeping tokens that would shrink to two characters or fewer, i.e. emoticons),
    one C-level count finds the words in capitals for ``is_cap_diff`` (some but not all words in capitals)."""

    __slots__ = ("is_cap_diff", "text", "words_and_emoticons")

    def __init__(self, text: str) -> None:
        self.text = text
        words = self.words_and_emoticons = _Words()
        words += [s if len(s := t.strip(_PUNCTUATION)) > 2 else t for t in text.split()]
        words.caps = caps = sum(map(str.isupper, words))
        # One C-level lower() of the joined words: no word holds whitespace and the space between them gives
        # str.lower the same word boundaries (final sigma included) as lowering each word alone.
        words.lowered = " ".join(words).lower().split()
        self.is_cap_diff = 0 < len(words) - caps < len(words)


@cache
def analyzer():
    """The VADER analyzer with our preprocessing, built once per container (it reads its lexicons from disk)."""
    from vaderSentiment import vaderSentiment as vs

    class Analyzer(vs.SentimentIntensityAnalyzer):
        def __init__(self) -> None:
            super().__init__()
            table: dict[str, str] = {}
            for emoji, description in self.emojis.items():
                table.setdefault(emoji.translate(_STRIP_FROM_EMOJI) or emoji, description)
            table.update(EMOJI_PROXIES)
            self.emoji_table = table
            self.emoji_max_len = max(len(k) for k in table)
            chars = {c for key in table for c in key if not c.isascii()}
            chars.update(_VARIATION_SELECTORS, _SKIN_TONES, _DROPPED_WHEN_ALONE)
            self.emoji_run = re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]+")
            self.scorable = frozenset(self.lexicon.keys() - vs.BOOSTER_DICT.keys())  # words VADER gives a valence
            # every word of VADER's idioms and multi-word boosters, the only phrases _special_idioms_check finds
            phrases = [p for p in (*vs.SPECIAL_CASES, *vs.BOOSTER_DICT) if " " in p]
            self.idiom_words = frozenset(w for p in phrases for w in p.split())

        def polarity_scores(self, text: str) -> dict:
            """Like the package's, but on ``prepare(text)`` and with long texts averaged per sentence."""
            text = self.prepare(text)
            if LONG_TEXT_WORDS and text.count(" ") >= LONG_TEXT_WORDS:
                sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
                if len(sentences) > 1:
                    parts = [self.score_prepared(s) for s in sentences]
                    return {
                        key: round(sum(p[key] for p in parts) / len(parts), 4)
                        for key in ("neg", "neu", "pos", "compound")
                    }
            return self.score_prepared(text)

        def prepare(self, text: str) -> str:
            if "&" in text:
                text = html.unescape(text)
            if not text.isascii():
                text = self.emoji_run.sub(self._describe_emoji, text)
            return text.strip()

        def _describe_emoji(self, match: re.Match) -> str:
            run = match.group(0).translate(_STRIP_FROM_EMOJI)
            out: list[str] = []
            i, n = 0, len(run)
            while i < n:
                for length in range(min(self.emoji_max_len, n - i), 0, -1):
                    description = self.emoji_table.get(run[i : i + length])
                    if description is not None:
                        out.append(f" {description} ")
                        i += length
                        break
                else:
                    if run[i] not in _DROPPED_WHEN_ALONE:
                        out.append(run[i])
                    i += 1
            return "".join(out)

        def score_prepared(self, text: str) -> dict:
            """The body of ``SentimentIntensityAnalyzer.polarity_scores`` (3.3.2) after its emoji loop.

            The package's loop copies the text one character at a time (about 15% of its cost); ``prepare``
            has already replaced every emoji, so we go straight to the scoring. The word list carries its
            lowercase form (``_Words``) so the negation and idiom checks need not rebuild it for every word.
            """
            return self.score_valence(self.valences(text)[0], text)

        def valences(self, text: str) -> tuple[list, list[str]]:
            """VADER's per-word valences of a prepared text (after its "but" rule), and the words they belong to."""
            sentitext = _SentiText(text)
            words = sentitext.words_and_emoticons
            lowered = words.lowered
            # Boosters, "kind of" and words outside the lexicon get the 0 VADER gives them; only lexicon words
            # that are not boosters (``self.scorable``, a set built once) are valued, most words are not.
            sentiments: list = [0] * len(words)
            scorable = self.scorable
            last = len(words) - 1
            for i in [i for i, low in enumerate(lowered) if low in scorable]:
                if i < last and lowered[i] == "kind" and lowered[i + 1] == "of":
                    continue
                sentiments[i] = self._valence(sentitext, words[i], i)
            return self._but_check(words, sentiments), words

        def scored_parts(self, text: str) -> list[tuple[dict, list, list[str], str]]:
            """``(scores, valences, words, part)`` per part VADER scores: the whole text, or each sentence of a long
            text (as ``polarity_scores`` splits it). The calibrated scorer reads its features from these."""
            text = self.prepare(text)
            parts = [text]
            if LONG_TEXT_WORDS and text.count(" ") >= LONG_TEXT_WORDS:
                sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
                if len(sentences) > 1:
                    parts = sentences
            out = []
            for part in parts:
                valences, words = self.valences(part)
                out.append((self.score_valence(valences, part), valences, words, part))
            return out

        # The methods below are the package's (3.3.2, MIT licence) with the same logic, reading the
        # precomputed lowercase words instead of lowercasing words (or the whole text) again on every call.
        # tests/unit/scoring/test_groundtruth.py checks that every ground-truth text scores exactly as with
        # the package; each falls back to the package's method for a plain word list.
        def sentiment_valence(self, valence, sentitext, item, i, sentiments):
            words = sentitext.words_and_emoticons
            if getattr(words, "lowered", None) is None or words.lowered[i] not in self.lexicon:
                return super().sentiment_valence(valence, sentitext, item, i, sentiments)
            sentiments.append(self._valence(sentitext, item, i))
            return sentiments

        def _valence(self, sentitext, item, i):
            """``sentiment_valence`` of a lexicon word (``sentitext`` a ``_SentiText``), returned, not appended."""
            words = sentitext.words_and_emoticons
            low = words.lowered
            lexicon = self.lexicon
            item_lowercase = low[i]
            is_cap_diff = sentitext.is_cap_diff
            valence = lexicon[item_lowercase]
            if item_lowercase == "no" and i != len(words) - 1 and low[i + 1] in lexicon:
                valence = 0.0
            if (
                (i > 0 and low[i - 1] == "no")
                or (i > 1 and low[i - 2] == "no")
                or (i > 2 and low[i - 3] == "no" and low[i - 1] in ("or", "nor"))
            ):
                valence = lexicon[item_lowercase] * vs.N_SCALAR
            if item.isupper() and is_cap_diff:
                if valence > 0:
                    valence += vs.C_INCR
                else:
                    valence -= vs.C_INCR
            # The package's loop over the three preceding words, unrolled, with its _negation_check inlined;
            # scalar_inc_dec is 0.0 for a word that is no booster.
            boosters = vs.BOOSTER_DICT
            if i > 0 and low[i - 1] not in lexicon:
                if low[i - 1] in boosters:
                    valence = valence + vs.scalar_inc_dec(words[i - 1], valence, is_cap_diff)
                else:
                    valence = valence + 0.0
                if _negated(low[i - 1]):
                    valence = valence * vs.N_SCALAR
            if i > 1 and low[i - 2] not in lexicon:
                s = 0.0
                if low[i - 2] in boosters:
                    s = vs.scalar_inc_dec(words[i - 2], valence, is_cap_diff)
                    if s != 0:
                        s = s * 0.95
                valence = valence + s
                valence = negation_check_1(valence, low, i)
            if i > 2 and low[i - 3] not in lexicon:
                s = 0.0
                if low[i - 3] in boosters:
                    s = vs.scalar_inc_dec(words[i - 3], valence, is_cap_diff)
                    if s != 0:
                        s = s * 0.9
                valence = valence + s
                valence = negation_check_2(valence, low, i)
                if not self.idiom_words.isdisjoint(low[i - 3 : i + 3]):
                    valence = self._special_idioms_check(valence, words, i)
            return self._least_check(valence, words, i)

        def _but_check(self, words_and_emoticons, sentiments):
            low = getattr(words_and_emoticons, "lowered", None)
            if low is None:
                return super()._but_check(words_and_emoticons, sentiments)
            if "but" not in low:  # the package rebuilds the lowercase list to find out
                return sentiments
            # The package's loop as it runs: it visits each position in turn (its pop + insert keep the length) and
            # rescales the FIRST valence equal to the one found there (list.index), as the package does.
            bi = low.index("but")
            for k in range(len(sentiments)):
                sentiment = sentiments[k]
                si = sentiments.index(sentiment)
                if si < bi:
                    sentiments[si] = sentiment * 0.5
                elif si > bi:
                    sentiments[si] = sentiment * 1.5
            return sentiments

        def score_valence(self, sentiments, text):
            """The package's ``score_valence`` with its loops as comprehensions (same sums, same order)."""
            if not sentiments:
                return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
            # The zeros change none of the sums below (x + 0 is x), so they run over the non-zero valences only.
            nonzero = [v for v in sentiments if v]
            if not nonzero:  # no valence: what the sums below give (every word neutral, no emphasis)
                return {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}
            sum_s = float(sum(nonzero))
            ep_count = min(text.count("!"), 4)
            qm_count = text.count("?")
            qm_amplifier = (qm_count * 0.18 if qm_count <= 3 else 0.96) if qm_count > 1 else 0
            punct_emph_amplifier = ep_count * 0.292 + qm_amplifier
            if sum_s > 0:
                sum_s += punct_emph_amplifier
            elif sum_s < 0:
                sum_s -= punct_emph_amplifier
            compound = vs.normalize(sum_s)
            pos_sum = float(sum([float(v) + 1 for v in nonzero if v > 0]))
            neg_sum = float(sum([float(v) - 1 for v in nonzero if v < 0]))
            neu_count = len(sentiments) - len(nonzero)
            if pos_sum > math.fabs(neg_sum):
                pos_sum += punct_emph_amplifier
            elif pos_sum < math.fabs(neg_sum):
                neg_sum -= punct_emph_amplifier
            total = pos_sum + math.fabs(neg_sum) + neu_count
            return {
                "neg": round(math.fabs(neg_sum / total), 3),
                "neu": round(math.fabs(neu_count / total), 3),
                "pos": round(math.fabs(pos_sum / total), 3),
                "compound": round(compound, 4),
            }

        def _least_check(self, valence, words_and_emoticons, i):
            low = getattr(words_and_emoticons, "lowered", None)
            if low is None:
                return super()._least_check(valence, words_and_emoticons, i)
            if i > 1 and low[i - 1] not in self.lexicon and low[i - 1] == "least":
                if low[i - 2] != "at" and low[i - 2] != "very":
                    valence = valence * vs.N_SCALAR
            elif i > 0 and low[i - 1] not in self.lexicon and low[i - 1] == "least":
                valence = valence * vs.N_SCALAR
            return valence

        def _negation_check(self, valence, words_and_emoticons, start_i, i):
            low = getattr(words_and_emoticons, "lowered", None)
            if low is None:
                return super()._negation_check(valence, words_and_emoticons, start_i, i)
            if start_i == 0:
                if _negated(low[i - 1]):
                    valence = valence * vs.N_SCALAR
            elif start_i == 1:
                valence = negation_check_1(valence, low, i)
            elif start_i == 2:
                valence = negation_check_2(valence, low, i)
            return valence

        def _special_idioms_check(self, valence, words_and_emoticons, i):
            low = getattr(words_and_emoticons, "lowered", None)
            if low is None:
                return super()._special_idioms_check(valence, words_and_emoticons, i)
            if i >= 3 and self.idiom_words.isdisjoint(low[i - 3 : i + 3]):
                return valence  # none of the phrases below can be formed from these six words
            special, booster = vs.SPECIAL_CASES, vs.BOOSTER_DICT
            threetwoone = f"{low[i - 3]} {low[i - 2]} {low[i - 1]}"
            threetwo = f"{low[i - 3]} {low[i - 2]}"
            twoone = f"{low[i - 2]} {low[i - 1]}"
            for seq in (f"{low[i - 1]} {low[i]}", f"{low[i - 2]} {low[i - 1]} {low[i]}", twoone, threetwoone, threetwo):
                if seq in special:
                    valence = special[seq]
                    break
            if len(low) - 1 > i:
                zeroone = f"{low[i]} {low[i + 1]}"
                if zeroone in special:
                    valence = special[zeroone]
            if len(low) - 1 > i + 1:
                zeroonetwo = f"{low[i]} {low[i + 1]} {low[i + 2]}"
                if zeroonetwo in special:
                    valence = special[zeroonetwo]
            for n_gram in (threetwoone, threetwo, twoone):
                if n_gram in booster:
                    valence = valence + booster[n_gram]
            return valence

    negations = frozenset(vs.NEGATE)

    def _negated(word: str) -> bool:  # vs.negated([word]) for one lowercase word
        return word in negations or "n't" in word

    def negation_check_1(valence: float, low: list[str], i: int) -> float:  # _negation_check, start_i == 1
        if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
            valence = valence * 1.25
        elif low[i - 2] == "without" and low[i - 1] == "doubt":
            pass
        elif _negated(low[i - 2]):
            valence = valence * vs.N_SCALAR
        return valence

    def negation_check_2(valence: float, low: list[str], i: int) -> float:  # _negation_check, start_i == 2
        if (low[i - 3] == "never" and (low[i - 2] == "so" or low[i - 2] == "this")) or (
            low[i - 1] == "so" or low[i - 1] == "this"
        ):
            valence = valence * 1.25
        elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
            pass
        elif _negated(low[i - 3]):
            valence = valence * vs.N_SCALAR
        return valence

    return Analyzer()


@cache
def raw_analyzer():
    """The package's analyzer, untouched: the baseline for benchmarks and the ground-truth test."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def prepare(text: str) -> str:
    """The text VADER actually reads: entities unescaped, emoji replaced by their descriptions."""
    return analyzer().prepare(text)


def score_text(text: str) -> dict:
    """``{"neg", "neu", "pos", "compound", "label"}`` for one text (raw text in, never lowercased)."""
    scores = analyzer().polarity_scores(text)
    return {**scores, "label": label_for(scores["compound"])}


def score_texts(texts: Iterable[str]) -> dict[str, dict]:
    """Scores of each distinct text, keyed by text: repeated texts (reposts, copies) are scored once."""
    polarity = analyzer().polarity_scores
    scored: dict[str, dict] = {}
    for text in texts:
        if text not in scored:
            scores = polarity(text)
            scores["label"] = label_for(scores["compound"])
            scored[text] = scores
    return scored
