"""Analytics benchmark: accuracy against human ratings, and throughput against raw vaderSentiment.

Run: ``PYTHONPATH=functions .venv/bin/python bench/analytics_bench.py``

* Ground truth: the human-rated texts released with the VADER paper (``tweets_dev.tsv``, ``movie_reviews.tsv``;
  id, mean rating -4..+4, text), read from ``$GROUNDTRUTH_DIR`` or ``<repo>/../shared/groundtruth``. The data
  is read, never copied into the project. For raw ``polarity_scores``, for VADER with our fixes
  (``sentiment.score_texts``) and for the calibrated score ``analyze`` uses (``calibration.score_texts``;
  in-sample, as it was fitted on these files: the cross-validated figures come from ``scripts/fit_scorer.py``)
  it prints Pearson r between the score and the mean rating, 3-class accuracy and weighted F1 (human class =
  sign of the mean rating; labels at +-0.05 on VADER's compound, +-0.02 on the calibrated score).
* Throughput: ``analyze`` (sentiment + terms + buckets + sample) on posts made of all ground-truth texts,
  against raw ``polarity_scores`` on the same texts; best of 7 runs each (CPU time), interleaved. Also the cost a
  job adds by checking every post against a boolean query (``Query.matches``), as a share of ``analyze``.

``main()`` returns the rows (dicts) so another bench runner can import and include them.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILES = ("tweets_dev.tsv", "movie_reviews.tsv")
CLASSES = ("negative", "neutral", "positive")


def groundtruth_dir() -> Path:
    return Path(os.environ.get("GROUNDTRUTH_DIR") or REPO.parent / "shared" / "groundtruth")


def load_groundtruth(path: Path) -> list[tuple[str, float, str]]:
    """``(id, mean human rating, text)`` per line of a VADER ground-truth file."""
    rows = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) == 3 and parts[2]:
                rows.append((parts[0], float(parts[1]), parts[2]))
    return rows


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    return cov / math.sqrt(var_x * var_y) if var_x and var_y else 0.0


def human_class(rating: float) -> str:
    return "positive" if rating > 0 else "negative" if rating < 0 else "neutral"


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def weighted_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """F1 per class, averaged with weights = the class's share of the true labels."""
    total = 0.0
    for cls in set(truth):
        tp = sum(t == cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(truth, predicted, strict=True))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        total += f1 * sum(t == cls for t in truth)
    return total / len(truth)


def evaluate(rows: list[tuple[str, float, str]]) -> dict[str, dict]:
    """r, accuracy and weighted F1 for raw vaderSentiment and for our pipeline on one file."""
    from social_analytics.scoring import calibration, sentiment

    ratings = [rating for _, rating, _ in rows]
    truth = [human_class(r) for r in ratings]
    texts = [text for _, _, text in rows]
    raw = sentiment.raw_analyzer()
    raw_compounds = [raw.polarity_scores(t)["compound"] for t in texts]
    ours = sentiment.score_texts(texts)
    calibrated = calibration.score_texts(texts)
    scorers = {
        "vaderSentiment 3.3.2": (raw_compounds, [sentiment.label_for(c) for c in raw_compounds]),
        "pipeline": ([ours[t]["compound"] for t in texts], [ours[t]["label"] for t in texts]),
        "calibrated": ([calibrated[t]["compound"] for t in texts], [calibrated[t]["label"] for t in texts]),
    }
    return {
        name: {
            "n": len(rows),
            "pearson_r": pearson(compounds, ratings),
            "accuracy": accuracy(truth, labels),
            "weighted_f1": weighted_f1(truth, labels),
        }
        for name, (compounds, labels) in scorers.items()
    }


def throughput(texts: list[str], runs: int = 7) -> dict:
    """Best-of-``runs`` CPU seconds for raw polarity_scores and for analyze() on the same texts.

    CPU time of this process (``time.process_time``), not wall time: on a shared machine other processes
    otherwise decide the ratio. The two are interleaved run by run so drifts hit both alike.
    """
    from social_analytics.models import Post, TimeWindow
    from social_analytics.scoring import sentiment
    from social_analytics.scoring.summary import analyze

    now = datetime(2026, 1, 1, tzinfo=UTC)
    window = TimeWindow.last_hours(24, now)
    posts = [
        Post(
            id=f"bench:{i}",
            text=text,
            created_at=now - timedelta(seconds=(i * 6007) % 86400),
            provider="bench",
            likes=i % 17,
            reposts=i % 5,
        )
        for i, text in enumerate(texts)
    ]
    from social_analytics.scoring import languages

    raw = sentiment.raw_analyzer()
    sentiment.analyzer()  # both analyzers built before timing
    languages.detect("warm up")
    languages._identifier()  # the detector's model loaded before timing (once per container in the worker)
    from social_analytics.query import PostView, parse_query

    # What a job adds per post: the whole query checked on every fetched post (fan-out), a boolean query with a
    # phrase, a prefix, an exclusion and a language.
    query = parse_query('(movie OR film* OR "the story") -boring lang:en')
    views = [PostView(post.text, post.author, ("en",)) for post in posts]
    raw_best = ours_best = check_best = math.inf
    for _ in range(runs):
        start = time.process_time()
        for text in texts:
            raw.polarity_scores(text)
        raw_best = min(raw_best, time.process_time() - start)
        start = time.process_time()
        analyze(posts, "movie", window)
        ours_best = min(ours_best, time.process_time() - start)
        start = time.process_time()
        matched = sum(1 for view in views if query.matches(view))
        check_best = min(check_best, time.process_time() - start)
    return {
        "texts": len(texts),
        "distinct_texts": len(set(texts)),
        "raw_texts_per_s": round(len(texts) / raw_best),
        "analyze_texts_per_s": round(len(texts) / ours_best),
        "ratio": round(raw_best / ours_best, 3),
        "query": query.key,
        "query_matched": matched,
        "query_check_texts_per_s": round(len(texts) / check_best),
        "query_check_share_of_analyze": round(check_best / ours_best, 4),
    }


def main(runs: int = 7) -> list[dict]:
    directory = groundtruth_dir()
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise SystemExit(f"ground truth not found: {', '.join(missing)} in {directory} (set GROUNDTRUTH_DIR)")
    rows: list[dict] = []
    all_texts: list[str] = []
    for name in FILES:
        data = load_groundtruth(directory / name)
        all_texts.extend(text for _, _, text in data)
        for scorer, figures in evaluate(data).items():
            rows.append(
                {
                    "bench": "analytics_groundtruth",
                    "file": name,
                    "scorer": scorer,
                    "n": figures["n"],
                    "pearson_r": round(figures["pearson_r"], 4),
                    "accuracy": round(figures["accuracy"], 4),
                    "weighted_f1": round(figures["weighted_f1"], 4),
                }
            )
    rows.append({"bench": "analytics_throughput", **throughput(all_texts, runs)})
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'file':<20} {'scorer':<22} {'n':>6} {'r':>7} {'acc':>7} {'wF1':>7}")
    for row in rows:
        if row["bench"] == "analytics_groundtruth":
            print(
                f"{row['file']:<20} {row['scorer']:<22} {row['n']:>6} {row['pearson_r']:>7.4f} "
                f"{row['accuracy']:>7.4f} {row['weighted_f1']:>7.4f}"
            )
    for row in rows:
        if row["bench"] == "analytics_throughput":
            print(
                f"\nthroughput on {row['texts']} texts ({row['distinct_texts']} distinct): raw polarity_scores "
                f"{row['raw_texts_per_s']}/s, analyze {row['analyze_texts_per_s']}/s (CPU time, best of 7), "
                f"ratio {row['ratio']:.3f}"
            )
            print(
                f"checking every post against {row['query']!r}: {row['query_check_texts_per_s']}/s, "
                f"{row['query_check_share_of_analyze']:.2%} of analyze ({row['query_matched']} matched)"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "functions"))
    print_table(main())
