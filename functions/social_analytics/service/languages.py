"""The language of each post: the provider's tag when it sent one, else an offline detector.

* **Provider first.** X, Bluesky, Mastodon and Lemmy tag posts (``lang``, ``langs``, ``language``); the adapters put
  it in ``Post.language``. A tag is reduced to its primary subtag, lowercase (``en-US`` -> ``en``).
* **English fast path.** Detectors read character n-grams and are unreliable on a handful of words ("Bad santa
  BAD" comes out Somali). A text whose letters are ASCII is English without asking the detector when at least
  ``ENGLISH_SHARE`` of its words are English stopwords, VADER lexicon words or common English words, or when it
  has two function words that only English uses (``_ENGLISH_ONLY``: "the", "with", "would"; not "no", "me", "a",
  "in", "is" that Spanish, Italian, Dutch or German share), or one of them and ``LOOSE_ENGLISH_SHARE`` English
  words. This also keeps detection cheap: most English posts never reach the detector.
* **Detector: py3langid** (BSD-3-Clause, its model ships inside the wheel: no download at run time; numpy is its
  only dependency). Loaded lazily on the first text that needs it (about 0.5 s, once per worker container; the API
  function never imports it). When its normalized probability is below ``MIN_CONFIDENCE`` (short texts) its best
  guess stands unless English is the runner-up, then the text is English: short English texts that missed the
  fast path are rarely lost, and an uncertain short Spanish post is still not read as English. Below
  ``NO_EVIDENCE`` the detector has no real preference: ``und``.
* **No letters at all** (emoji, links, numbers only, or the detector's ``zxx``): ``und``.

Scored languages: VADER reads English, and emoji and emoticons in any text; ``und`` posts carry no language's
words, so they are scored too (an emoji-only post is often the clearest sentiment there is). Every other language
is counted but not scored. See docs/ANALYTICS.md for the measured rates.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache

UNDETERMINED = "und"
SCORED_LANGUAGES = frozenset({"en", UNDETERMINED})
ENGLISH_SHARE = 0.5
LOOSE_ENGLISH_SHARE = 0.34  # with one English-only function word
MIN_CONFIDENCE = 0.5
NO_EVIDENCE = 0.2  # below this the detector has no real preference ("@x Yezz! :D" comes out Kabyle at 0.09)

_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#$]\w+|&\w+;", re.IGNORECASE)
_MAYBE_NOISE = re.compile(r"[@#$&]|http|www|HTTP|WWW")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_].*)?$")
_lock = threading.Lock()


def normalize_tag(value: object) -> str | None:
    """``"en-US"`` -> ``"en"``; a list (Bluesky ``langs``) gives its first valid tag; anything else ``None``."""
    if isinstance(value, list | tuple):
        for item in value:
            tag = normalize_tag(item)
            if tag:
                return tag
        return None
    if not isinstance(value, str) or not _LANG_TAG.match(value.strip()):
        return None
    return re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()


@cache
def _english_words() -> frozenset[str]:
    from social_analytics.service.sentiment import raw_analyzer
    from social_analytics.service.terms import STOPWORDS

    lexicon = {w for w in raw_analyzer().lexicon if w.isalpha()}
    return frozenset(STOPWORDS | lexicon | _COMMON_ENGLISH)


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str, words: list[str] | None = None) -> str:
    """The language code of one text (ISO 639-1 where it has one), or ``"und"``.

    ``words``: the text's casefolded words without URLs, mentions, hashtags and cashtags, when the caller has them
    already (``terms.tokenize(text).all_words``); otherwise they are extracted here."""
    cleaned = None
    if words is None:
        cleaned = _NOISE.sub(" ", text) if _MAYBE_NOISE.search(text) else text
        words = _WORDS.findall(cleaned.lower())
    if not words:
        return UNDETERMINED
    if "".join(words).isascii():
        vocabulary = _english_words()
        english = len([w for w in words if w in vocabulary])
        if english >= ENGLISH_SHARE * len(words):
            return "en"
        function_words = len([w for w in words if w in _ENGLISH_ONLY])
        if function_words >= 2 or (function_words and english >= LOOSE_ENGLISH_SHARE * len(words)):
            return "en"
    if cleaned is None:
        cleaned = _NOISE.sub(" ", text) if _MAYBE_NOISE.search(text) else text
    with _lock:  # the identifier reuses numpy buffers; the worker may call from several threads
        lang, confidence = _identifier().classify(cleaned)
        if confidence < NO_EVIDENCE:
            lang = "zxx"
        elif confidence < MIN_CONFIDENCE and lang != "en":
            runner_up = _identifier().rank(cleaned)[1][0]
            lang = "en" if runner_up == "en" else lang
    return UNDETERMINED if lang == "zxx" else lang


def provider_tags(posts: Iterable) -> dict[str, str]:
    """The first valid provider tag seen for each distinct text (texts without one are not keys)."""
    tags: dict[str, str] = {}
    for post in posts:
        if post.language and post.text not in tags:
            tag = normalize_tag(post.language)
            if tag:
                tags[post.text] = tag
    return tags


def languages_of(posts: Iterable) -> dict[str, str]:
    """Language per distinct text: the first provider tag seen for that text, else ``detect``."""
    posts = list(posts)
    found = provider_tags(posts)
    for post in posts:
        if post.text not in found:
            found[post.text] = detect(post.text)
    return found


def is_scored(lang: str) -> bool:
    return lang in SCORED_LANGUAGES


# Function words no other major Latin-script language spells the same way.
_ENGLISH_ONLY_TEXT = """the and this that with you your they them their was were have has had what which would could
    should from been it's i'm don't can't just about because really very there here when where who how why than then
    these those will not but for are"""
_ENGLISH_ONLY = frozenset(_ENGLISH_ONLY_TEXT.split())

# Frequent English words that are neither stopwords nor VADER lexicon entries.
_COMMON_ENGLISH_TEXT = """
    time day year today tomorrow tonight night morning week weekend people man woman men women guy guys girl girls
    boy kid kids baby mom dad family friend friends home house work job school class game team show movie film
    music song video phone car money world life way thing things something nothing everything everyone anyone
    someone lol omg new old first last next back right left little big long good make made know think see look
    want go going come came take said say tell told feel felt need show watch watching play playing read reading
    call wait try trying start end keep let put give gave use using find found live living love ever never now
    well yes yeah hey hi hello oh ok okay please thanks thank name place part story book news city country state
    water food coffee lunch dinner breakfast hour hours minute minutes second seconds month months years days
    weeks tweet twitter post follow followers watch episode season character characters director actor actors
    performance plot script scene scenes picture pictures cast audience screen comedy drama thriller series"""
_COMMON_ENGLISH = frozenset(_COMMON_ENGLISH_TEXT.split())
