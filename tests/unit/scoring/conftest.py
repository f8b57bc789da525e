"""Locates the VADER ground truth: ``$GROUNDTRUTH_DIR``, else ``<repo>/../shared/groundtruth``.

Missing data fails the run when ``CI`` is set, and skips the ground-truth tests otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.analytics_bench import FILES, groundtruth_dir, load_groundtruth


@pytest.fixture(scope="session")
def groundtruth() -> dict[str, list[tuple[str, float, str]]]:
    directory: Path = groundtruth_dir()
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        reason = f"VADER ground truth not found ({', '.join(missing)} in {directory}); set GROUNDTRUTH_DIR"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return {name: load_groundtruth(directory / name) for name in FILES}
