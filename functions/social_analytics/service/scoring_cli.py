"""Score your own texts: JSON Lines ``{"id", "text"}`` on stdin -> ``{"id", "compound", "vader_compound", "pos", "neu",
"neg", "label", "lang"}``.

Run: ``make -s score < texts.jsonl`` (or ``PYTHONPATH=functions .venv/bin/python -m
social_analytics.service.scoring_cli``). Scores come from the same code the worker runs
(``calibration.score_texts``: the calibrated score over VADER with its emoji/entity/long-text fixes), identical
texts scored once. ``lang`` is the detected language (``languages.detect``); every line is scored whatever its
language (the worker leaves unsupported languages out of its shares; here you see the score and decide).
A line that is not a JSON object, or has no non-empty string ``text``, is reported on stderr with its line
number and skipped; the other lines are still scored, in input order. Blank lines are ignored.
Exit status: 0 when every line was scored, 1 when some were skipped.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from social_analytics.service.calibration import score_texts
from social_analytics.service.languages import detect

FIELDS = ("compound", "vader_compound", "pos", "neu", "neg", "label")


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
    langs = {text: detect(text) for text in scores}
    for item_id, text in items:
        scored = scores[text]
        line = {"id": item_id, **{k: scored[k] for k in FIELDS}, "lang": langs[text]}
        stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    stdout.flush()
    return 1 if errors else 0


def main() -> int:
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    return run(stdin, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
