"""Stored result sizes: JSON bytes vs the zlib-compressed ``result_z`` that is written twice per job (the keyword's
RESULT item and the job item), and what fitting and compressing cost, for a typical simulated result (100 posts) and
a hostile one (posts of 9,000 hardly compressible characters). Pure Python, no AWS.

    PYTHONPATH=functions:. .venv/bin/python bench/inputs_bench.py
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "functions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from social_analytics.analyses.sources.simulated import SimulatedAdapter  # noqa: E402
from social_analytics.models import Post, TimeWindow  # noqa: E402
from social_analytics.scoring import summary as analysis  # noqa: E402
from social_analytics.scoring.limits import encoded_size, fit_result  # noqa: E402
from social_analytics.scoring.summary import analyze  # noqa: E402
from social_analytics.storage.jobs import decode_result, encode_result  # noqa: E402

REPEAT = 50


def _hostile_posts(window: TimeWindow) -> list[Post]:
    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz \u4e00\u4e8c\u4e09\U0001f680"
    return [
        Post(
            id=f"import:{n}",
            text="".join(rng.choice(alphabet) for _ in range(9000)),
            created_at=window.end - timedelta(minutes=n + 1),
            provider="import",
        )
        for n in range(100)
    ]


def _measure(name: str, result: dict) -> dict:
    started = time.perf_counter()
    for _ in range(REPEAT):
        fitted = fit_result(result)
    fit_ms = (time.perf_counter() - started) * 1000 / REPEAT
    started = time.perf_counter()
    for _ in range(REPEAT):
        blob = encode_result(fitted)
    encode_ms = (time.perf_counter() - started) * 1000 / REPEAT
    started = time.perf_counter()
    for _ in range(REPEAT):
        decode_result({"result_z": blob})
    decode_ms = (time.perf_counter() - started) * 1000 / REPEAT
    return {
        "result": name,
        "json_bytes": encoded_size(fitted),
        "stored_bytes": len(blob.value),
        "fit_ms": round(fit_ms, 3),
        "encode_ms": round(encode_ms, 3),
        "decode_ms": round(decode_ms, 3),
    }


def main() -> list[dict]:
    window = TimeWindow.last_hours(24, now=datetime(2026, 11, 24, 12, tzinfo=UTC))
    typical = asyncio.run(SimulatedAdapter().fetch("serverless", window, 100)).posts
    rows = []
    for name, posts in (
        ("typical (100 simulated posts)", typical),
        ("hostile (100 x 9,000 chars)", _hostile_posts(window)),
    ):
        result = {"keyword": "serverless", **analyze(posts, "serverless", window), "source": {"provider": "x"}}
        row = _measure(name, result)
        capped, analysis.cap_text = analysis.cap_text, lambda text: (text, False)
        try:  # what the same result would weigh without the caps (the item that used to exceed 400 KB)
            row["uncapped_json_bytes"] = encoded_size({**result, **analyze(posts, "serverless", window)})
        finally:
            analysis.cap_text = capped
        rows.append(row)
    for row in rows:
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()
