"""Stream ingestion bench: matching throughput with 1,000 tracked keywords (one core).

Posts are synthetic but shaped like Bluesky's: 5 to 40 words from a 20,000-word vocabulary with a few hashtags,
mentions, URLs and non-ASCII words; about 2% mention a tracked keyword. Keywords mix single words, two- and
three-word phrases, tags and literals the tokenizer cannot split (``c++``). The figure is posts matched per
second of CPU on one core (``time.process_time``), the matcher rebuilt once before timing.

    PYTHONPATH=functions:. .venv/bin/python -m bench.stream_bench
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "functions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from social_analytics.service.stream_matching import KeywordMatcher  # noqa: E402

KEYWORDS = 1000
POSTS = 50_000
TARGET_POSTS_PER_SECOND = 10_000


def _word(rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))


def corpus(seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    vocabulary = [*sorted({_word(rng) for _ in range(20_000)}), "café", "straße", "日本語", "naïve", "über"]
    keywords: list[str] = []
    for index in range(KEYWORDS):
        kind = index % 10
        if kind < 6:
            keywords.append(_word(rng) + "x")  # rarely in ordinary text
        elif kind < 8:
            keywords.append(" ".join(_word(rng) for _ in range(2 + index % 2)))
        elif kind == 8:
            keywords.append("#" + _word(rng))
        else:
            keywords.append(_word(rng) + "++")
    posts = []
    for _ in range(POSTS):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(5, 40))]
        if rng.random() < 0.02:
            words.insert(rng.randrange(len(words)), rng.choice(keywords))
        if rng.random() < 0.3:
            words.append("#" + rng.choice(vocabulary))
        if rng.random() < 0.2:
            words.append("https://example.com/" + rng.choice(vocabulary))
        if rng.random() < 0.1:
            words.insert(0, "@" + rng.choice(vocabulary) + ".bsky.social")
        posts.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", " 🙂", ""]))
    return keywords, posts


def matching_throughput() -> dict:
    keywords, posts = corpus()
    started = time.process_time()
    matcher = KeywordMatcher(keywords)
    build_seconds = time.process_time() - started
    matcher.match(posts[0])
    started = time.process_time()
    matched = sum(1 for text in posts if matcher.match(text))
    cpu = time.process_time() - started
    return {
        "keywords": len(matcher),
        "posts": len(posts),
        "posts_matched": matched,
        "cpu_seconds": round(cpu, 3),
        "posts_per_second": round(len(posts) / cpu),
        "build_ms": round(build_seconds * 1000, 1),
        "cpu_us_per_post": round(cpu / len(posts) * 1e6, 2),
    }


def main() -> list[dict]:
    """Rows for ``bench/run.py``: {"measure", "value", "unit", "target", "ok"}."""
    matching = matching_throughput()
    print(f"  matching: {matching}", flush=True)
    rate = matching["posts_per_second"]
    return [
        {
            "measure": f"matching posts/s, {matching['keywords']} keywords, 1 core",
            "value": rate,
            "unit": "/s",
            "target": f">= {TARGET_POSTS_PER_SECOND:,}",
            "ok": rate >= TARGET_POSTS_PER_SECOND,
        },
        {"measure": "matching CPU per post", "value": matching["cpu_us_per_post"], "unit": "us"},
    ]


if __name__ == "__main__":
    main()
