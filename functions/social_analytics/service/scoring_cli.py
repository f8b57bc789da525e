"""Score your own texts: JSON Lines ``{"id", "text"}`` on stdin -> ``{"id", "compound", "pos", "neu", "neg", "label"}``.

Run: ``make -s score < texts.jsonl`` (or ``PYTHONPATH=functions .venv/bin/python -m
social_analytics.service.scoring_cli``). Scores come from the same code the worker runs
(``sentiment.score_texts``: VADER plus the emoji/entity/long-text fixes), identical texts scored once.
A line that is not a JSON object, or has no non-empty string ``text``, is reported on stderr with its line
number and skipped; the other lines are still scored, in input order. Blank lines are ignored.
Exit status: 0 when every line was scored, 1 when some were skipped.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from social_analytics.service.sentiment import score_texts

FIELDS = ("compound", "pos", "neu", "neg", "label")


def run(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    items: list[tuple[object, str]] = []
    errors = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            print(f"line {number}: not JSON ({exc.msg})", file=stderr)
            errors += 1
            continue
        if not isinstance(record, dict):
            print(f"line {number}: expected a JSON object", file=stderr)
            errors += 1
            continue
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            print(f"line {number}: no text", file=stderr)
            errors += 1
            continue
        items.append((record.get("id", number), text))
    scores = score_texts(text for _, text in items)
    for item_id, text in items:
        scored = scores[text]
        stdout.write(json.dumps({"id": item_id, **{k: scored[k] for k in FIELDS}}, ensure_ascii=False) + "\n")
    stdout.flush()
    return 1 if errors else 0


def main() -> int:
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    return run(stdin, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
