"""A mixed-language import through the real route: per-language counts, shares over English posts only."""

from __future__ import annotations

import json

import boto3

from tests import events as sample_events
from tests.component.test_imports_flow import s3_events
from tests.conftest import sqs_event

ENGLISH = [
    "I love this phone, the camera is great",
    "Terrible battery, I hate it",
    "The delivery arrived today",
    "Awesome support team, thank you!",
    "This update is awful and slow",
    "Worst purchase ever",
]
GERMAN = ["Das ist wirklich nicht gut, ich bin enttäuscht", "Der Akku hält schon wieder nicht lange genug"]
SPANISH = ["No me gusta nada este producto", "El servicio fue terrible y muy lento", "Qué día tan bonito hoy"]
JAPANESE = ["今日はとても良い天気です"]


def test_mixed_languages_are_counted_and_only_english_is_scored(aws, call_api, queue_messages, lambda_context):
    from social_analytics.handlers import imports, worker
    from social_analytics.scoring.calibration import score_text

    texts = ENGLISH + GERMAN + SPANISH + JAPANESE
    # Every post mentions the import's keyword: imported posts are checked against it like any source's.
    rows = [{"text": f"{t} phone", "created_at": f"2026-11-2{n % 3}T10:0{n % 10}:00Z"} for n, t in enumerate(texts)]
    rows[-1]["lang"] = "ja"  # a provider tag wins over detection
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    _, created = call_api("POST", "/api/imports", {"keyword": "phone", "format": "jsonl"})
    key = f"imports/{created['job_id']}.jsonl"
    boto3.client("s3").put_object(Bucket=aws.physical_names["ImportsBucket"], Key=key, Body=data)
    events = s3_events(sample_events.s3_object_created(key, len(data)))
    assert imports.handler(events, lambda_context)["batchItemFailures"] == []
    assert worker.handler(sqs_event(queue_messages()), lambda_context)["batchItemFailures"] == []

    _, job = call_api("GET", created["status_url"])
    result = job["result"]
    assert job["status"] == "done" and result["posts_analyzed"] == len(texts)  # every post stays in the volume
    languages = {row["lang"]: (row["posts"], row["scored"]) for row in result["languages"]}
    assert languages == {"en": (6, 6), "es": (3, 0), "de": (2, 0), "ja": (1, 0)}
    sentiment = result["sentiment"]
    assert sentiment["unscored"] == len(GERMAN) + len(SPANISH) + len(JAPANESE)
    labels = [score_text(f"{t} phone")["label"] for t in ENGLISH]
    assert [sentiment[k] for k in ("positive", "neutral", "negative")] == [
        labels.count("positive"),
        labels.count("neutral"),
        labels.count("negative"),
    ]
    mean = sum(score_text(f"{t} phone")["compound"] for t in ENGLISH) / len(ENGLISH)
    assert abs(sentiment["mean_compound"] - mean) < 1e-3
    assert sentiment["intervals"]["n"] == len(ENGLISH)
    german_sample = next(p for p in result["posts"] if p["text"] == f"{GERMAN[0]} phone")
    assert german_sample["lang"] == "de" and german_sample["scored"] is False  # kept in the samples
    assert "vader_compound" in german_sample
