"""Fit the calibrated sentiment scorer (``service/calibration.py``) on the development ground truth.

Run: ``PYTHONPATH=functions:. .venv/bin/python scripts/fit_scorer.py [--write]``

* Data: ``tweets_dev.tsv`` and ``movie_reviews.tsv`` from ``$GROUNDTRUTH_DIR`` or ``<repo>/../shared/groundtruth``
  (read, never copied). Nothing else: the held-out half of the tweets is not used or looked for.
* Model: ridge regression of the human mean rating on the standardized ``calibration.FEATURES``. Each file's rows
  weigh in proportion to ``FILE_WEIGHTS`` (tweets 1, movie snippets 0.2: the platform reads social posts, and
  the weight keeps the snippets from pulling the tweet fit while still making it no worse than VADER on them).
* Evaluation: 10-fold cross-validation (folds drawn per file with a fixed seed); per file Pearson r of the
  out-of-fold calibrated score (with the clipping and the no-sentiment rule of the shipped scorer) against the
  human mean, and 3-class accuracy (human class = sign of the mean rating), next to raw VADER.
* Output: the table, then the coefficients fitted on all rows; ``--write`` puts them into calibration.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "functions"), str(REPO)]

from social_analytics.service import calibration, sentiment  # noqa: E402

from bench.analytics_bench import FILES, groundtruth_dir, human_class, load_groundtruth  # noqa: E402

FILE_WEIGHTS = {"tweets_dev.tsv": 1.0, "movie_reviews.tsv": 0.2}
RIDGE = 1.0
FOLDS = 10
SEED = 0


def feature_rows(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features per text (mean over parts for long texts) and whether VADER found any sentiment in it."""
    analyzer = sentiment.analyzer()
    rows, has = [], []
    for text in texts:
        parts = analyzer.scored_parts(text)
        values = np.mean([calibration.features(*p) for p in parts], axis=0)
        rows.append(values)
        has.append(any(any(p[1]) for p in parts))
    return np.array(rows), np.array(has)


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted ridge on standardized features; returns (intercept, weights) on the raw features."""
    w = w / w.sum()
    mean = w @ x
    sd = np.sqrt(w @ (x - mean) ** 2) + 1e-12
    z = (x - mean) / sd
    y_mean = w @ y
    root = np.sqrt(w)[:, None]
    a = z * root
    beta = np.linalg.solve(a.T @ a + RIDGE / len(y) * np.eye(z.shape[1]), a.T @ ((y - y_mean) * root[:, 0]))
    weights = beta / sd
    return float(y_mean - weights @ mean), weights


def predict(intercept: float, weights: np.ndarray, x: np.ndarray, has: np.ndarray) -> np.ndarray:
    return np.where(has, np.clip((intercept + x @ weights) / 4, -1, 1), 0.0)


def labels(scores: np.ndarray, label_for=calibration.label_for) -> list[str]:
    return [label_for(float(s)) for s in scores]


def accuracy(truth: list[str], predicted: list[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the fitted numbers into calibration.py")
    args = parser.parse_args()
    directory = groundtruth_dir()
    data = {}
    for name in FILES:
        rows = load_groundtruth(directory / name)
        texts = [t for _, _, t in rows]
        x, has = feature_rows(texts)
        raw = np.array([sentiment.raw_analyzer().polarity_scores(t)["compound"] for t in texts])
        data[name] = (x, has, np.array([r for _, r, _ in rows]), raw)

    rng = np.random.default_rng(SEED)
    folds = {name: rng.permutation(len(d[2])) % FOLDS for name, d in data.items()}
    out_of_fold = {name: np.zeros(len(d[2])) for name, d in data.items()}
    for fold in range(FOLDS):
        xs, ys, ws = [], [], []
        for name, (x, _, y, _) in data.items():
            train = folds[name] != fold
            xs.append(x[train])
            ys.append(y[train])
            ws.append(np.full(train.sum(), FILE_WEIGHTS[name] / train.sum()))
        intercept, weights = fit(np.vstack(xs), np.concatenate(ys), np.concatenate(ws))
        for name, (x, has, _, _) in data.items():
            test = folds[name] == fold
            out_of_fold[name][test] = predict(intercept, weights, x[test], has[test])

    print(f"{FOLDS}-fold cross-validation (seed {SEED}), Pearson r and 3-class accuracy against the human mean")
    print(f"{'file':<20} {'n':>6} {'r VADER':>8} {'r calib':>8} {'acc VADER':>10} {'acc calib':>10}")
    for name, (_, _, y, raw) in data.items():
        truth = [human_class(float(r)) for r in y]
        r_raw, r_ours = np.corrcoef(raw, y)[0, 1], np.corrcoef(out_of_fold[name], y)[0, 1]
        acc_raw = accuracy(truth, labels(raw, sentiment.label_for))
        acc_ours = accuracy(truth, labels(out_of_fold[name]))
        print(f"{name:<20} {len(y):>6} {r_raw:>8.4f} {r_ours:>8.4f} {acc_raw:>10.4f} {acc_ours:>10.4f}")

    x = np.vstack([d[0] for d in data.values()])
    y = np.concatenate([d[2] for d in data.values()])
    w = np.concatenate([np.full(len(d[2]), FILE_WEIGHTS[name] / len(d[2])) for name, d in data.items()])
    intercept, weights = fit(x, y, w)
    numbers = f"INTERCEPT = {intercept!r}\nCOEFFICIENTS: tuple[float, ...] = (\n"
    numbers += "".join(f"    {c!r},  # {f}\n" for c, f in zip(weights.tolist(), calibration.FEATURES, strict=True))
    numbers += ")\n"
    print("\nfitted on all rows:\n" + numbers)
    if args.write:
        path = Path(calibration.__file__)
        source = path.read_text(encoding="utf-8")
        pattern = re.compile(r"INTERCEPT = .*?\nCOEFFICIENTS: tuple\[float, \.\.\.\] = \(.*?\)\n", re.DOTALL)
        path.write_text(pattern.sub(lambda _: numbers, source, count=1), encoding="utf-8")
        print(f"written to {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
