"""Spike and sentiment-dip detection on a tracked keyword's history, in the style of EARS.

EARS (the CDC's Early Aberration Reporting System, C2 method) compares today's count with a baseline of the
7 days before a 2-day guard band: alert when ``(x - mean) / sd`` exceeds a threshold. Here a "day" is a
scan: the newest point is tested against the 7 points before the 2 points that precede it (the guard band
keeps the start of a slow rise out of its own baseline). Pure functions, no AWS.

- Spike: the volume (posts analyzed) is above ``mean + k * sd`` of the baseline volumes, and at least
  ``min_volume``.
- Sentiment dip: the negative share (negative / posts) is above ``mean + k * sd`` of the baseline shares, with
  at least ``min_volume`` posts so a share of a handful of posts does not count.
- ``sd`` has a floor (EARS uses one too) so a flat or lucky-quiet baseline does not turn every wiggle into an
  alert: for volume the larger of 1, the Poisson sd ``sqrt(mean)`` and 10% of the mean; for the negative share
  the larger of 0.02 and the binomial sd ``sqrt(p (1 - p) / n)`` of the newest scan's share. Seven points give
  a rough sd; without the sampling floor, plain noise crossed mean + 3 sd a few times in 30 scans.
- Cooldown: after an alert of one type, the same type is not raised again for ``cooldown_seconds`` (by
  default as long as a spike takes to pass through the guard band and the baseline), so one event is one alert.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

BASELINE_POINTS = 7
GUARD_POINTS = 2
SENSITIVITY_K = {"low": 4.0, "medium": 3.0, "high": 2.0}
DEFAULT_MIN_VOLUME = 10
VOLUME_SD_FLOOR_FRACTION = 0.1  # of the baseline mean
VOLUME_SD_FLOOR = 1.0
SHARE_SD_FLOOR = 0.02

SPIKE = "spike"
SENTIMENT_DIP = "sentiment_dip"
DETAIL_TYPES = {SPIKE: "SpikeDetected", SENTIMENT_DIP: "SentimentDip"}


@dataclass(frozen=True)
class Signal:
    type: str  # SPIKE | SENTIMENT_DIP
    value: float
    baseline_mean: float
    baseline_sd: float
    threshold: float
    k: float
    score: float  # (value - mean) / sd

    @property
    def detail_type(self) -> str:
        return DETAIL_TYPES[self.type]

    def alert_fields(self) -> dict:
        """The signal's figures as an alert shows them (scan and stream alerts alike)."""
        return {
            "value": round(self.value, 4),
            "baseline_mean": round(self.baseline_mean, 4),
            "baseline_sd": round(self.baseline_sd, 4),
            "threshold": round(self.threshold, 4),
            "k": self.k,
            "score": round(self.score, 3),
        }


def negative_share(point: dict) -> float:
    volume = point.get("volume") or 0
    return (point.get("negative") or 0) / volume if volume else 0.0


def baseline_of(points: list[dict]) -> list[dict] | None:
    """The baseline points for the newest one, or None while the history is too short."""
    needed = BASELINE_POINTS + GUARD_POINTS + 1
    if len(points) < needed:
        return None
    return points[-needed : -(GUARD_POINTS + 1)]


def _test(values: list[float], value: float, k: float, sd_floor: float) -> tuple[float, float, float, float]:
    """EARS' C statistic with the sample sd (n - 1), widened by sqrt(1 + 1/n) because the baseline mean is itself
    an estimate (the prediction interval of one new point), then floored."""
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    sd = max(spread * math.sqrt(1 + 1 / len(values)), sd_floor)
    return mean, sd, mean + k * sd, (value - mean) / sd


def detect(
    points: list[dict],
    sensitivity: str = "medium",
    min_volume: int = DEFAULT_MIN_VOLUME,
    last_alerts: dict[str, float] | None = None,
    cooldown_seconds: float = 0.0,
) -> list[Signal]:
    """The signals raised by the newest of ``points`` (oldest first; each has epoch, volume, negative)."""
    baseline = baseline_of(points)
    if baseline is None:
        return []
    k = SENSITIVITY_K.get(sensitivity, SENSITIVITY_K["medium"])
    newest = points[-1]
    now = float(newest["epoch"])
    last_alerts = last_alerts or {}
    volume = float(newest.get("volume") or 0)
    if volume < min_volume:
        return []

    signals = []
    # Spikes are about the posting rate when every point has one (capped fetches keep the count at the limit).
    use_rate = all("rate_per_hour" in p for p in [*baseline, newest])
    field = "rate_per_hour" if use_rate else "volume"
    volumes = [float(p.get(field) or 0) for p in baseline]
    current = float(newest.get(field) or 0)
    volume_mean = statistics.fmean(volumes)
    floor = max(VOLUME_SD_FLOOR, math.sqrt(max(volume_mean, 0.0)), VOLUME_SD_FLOOR_FRACTION * volume_mean)
    mean, sd, threshold, score = _test(volumes, current, k, floor)
    if current > threshold:
        signals.append(Signal(SPIKE, current, mean, sd, threshold, k, score))

    shares = [negative_share(p) for p in baseline if (p.get("volume") or 0) > 0]
    if len(shares) >= BASELINE_POINTS - 2:  # a baseline with a few empty scans still counts
        share = negative_share(newest)
        p = statistics.fmean(shares)
        floor = max(SHARE_SD_FLOOR, math.sqrt(p * (1 - p) / volume))
        mean, sd, threshold, score = _test(shares, share, k, floor)
        if share > threshold:
            signals.append(Signal(SENTIMENT_DIP, share, mean, sd, threshold, k, score))

    return [s for s in signals if not _cooling_down(last_alerts.get(s.type), now, cooldown_seconds)]


def _cooling_down(last_alert_at: float | None, now: float, cooldown_seconds: float) -> bool:
    return last_alert_at is not None and now - last_alert_at < cooldown_seconds


def default_cooldown_seconds(interval_seconds: float) -> float:
    """Long enough for a spike to leave the guard band and fill the baseline: a plateau is one event."""
    return interval_seconds * (BASELINE_POINTS + GUARD_POINTS + 1)
