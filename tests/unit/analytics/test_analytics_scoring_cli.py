"""`make -s score`: JSON Lines in, scores out, bad lines reported on stderr with their number."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from social_analytics.service import scoring_cli
from social_analytics.service.calibration import score_text
from social_analytics.service.sentiment import score_text as vader_score_text

REPO = Path(__file__).resolve().parents[3]
INPUT = '{"id": 1, "text": "I love it ❤️"}\nnot json\n\n{"id": 3}\n[1, 2]\n{"id": "b", "text": "awful &amp; slow"}\n'


def test_scores_good_lines_and_reports_bad_ones():
    out, err = io.StringIO(), io.StringIO()

    status = scoring_cli.run(io.StringIO(INPUT), out, err)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["id"] for line in lines] == [1, "b"]
    assert set(lines[0]) == {"id", "compound", "vader_compound", "pos", "neu", "neg", "label", "lang"}
    assert lines[0]["compound"] == score_text("I love it ❤️")["compound"]  # the calibrated score
    assert lines[0]["vader_compound"] == vader_score_text("I love it ❤️")["compound"] == 0.8555
    assert lines[0]["lang"] == "en"
    assert lines[1]["label"] == "negative"
    assert err.getvalue().splitlines() == [
        "line 2: not JSON (Expecting value)",
        "line 4: no text",
        "line 5: expected a JSON object",
    ]
    assert status == 1


def test_runs_as_a_module_like_the_make_target():
    env = {**os.environ, "PYTHONPATH": str(REPO / "functions")}
    done = subprocess.run(
        [sys.executable, "-m", "social_analytics.service.scoring_cli"],
        input=b'{"id": "x", "text": "great"}\n',
        capture_output=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    expected = {k: score_text("great")[k] for k in ("compound", "vader_compound", "pos", "neu", "neg", "label")}
    assert json.loads(done.stdout) == {"id": "x", **expected, "lang": "en"}


def test_scores_every_line_and_tags_its_language():
    out, err = io.StringIO(), io.StringIO()
    lines = ['{"id": 1, "text": "Das ist wirklich nicht gut, ich bin enttäuscht"}', '{"id": 2, "text": "so good"}']

    status = scoring_cli.run(io.StringIO("\n".join(lines) + "\n"), out, err)

    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["id"], r["lang"]) for r in rows] == [(1, "de"), (2, "en")]
    assert status == 0
