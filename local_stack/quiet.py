"""Quiet by default: the functions' Powertools logs at WARNING, no cold-start EMF blob, no empty-metrics warning.
``LOG_LEVEL=debug`` brings the structured logs (and those) back."""

from __future__ import annotations

import os
import warnings


def debug() -> bool:
    return (os.environ.get("LOG_LEVEL") or "").strip().lower() == "debug"


def quiet() -> None:
    if debug():
        return
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.is_cold_start = False  # the ColdStart metric is an EMF line on stdout; nobody reads it locally
