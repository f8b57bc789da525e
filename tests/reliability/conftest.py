"""Reliability suite: every test adds its figures to one report, printed as a table at the end of the run."""

from __future__ import annotations

from collections import defaultdict

import pytest

REPORT: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


@pytest.fixture
def report():
    """``report("load held", "requests", 200)`` adds to a row of the final table."""

    def add(row: str, column: str, amount: int = 1) -> None:
        REPORT[row][column] += amount

    return add


ROWS = ("load held", "faults survived", "bad inputs tried", "jobs lost")
# Reliability cases proven by tests outside this folder (they run in make test, not in this table's figures).
ELSEWHERE = {
    "faults survived": "tests/integration/test_live_providers.py (429 then 200, 402 fallback, hanging provider), "
    "tests/component/test_worker.py (redelivery analyzed once, poison reported alone, last delivery marks failed), "
    "tests/integration/test_local_stack.py (poison message to the DLQ)",
}


def pytest_terminal_summary(terminalreporter) -> None:
    if not REPORT:
        return
    write = terminalreporter.write_line
    write("")
    write("reliability report")
    write(f"  {'row':<18} figures")
    for row in ROWS:
        figures = REPORT.get(row)
        detail = ", ".join(f"{name} {value}" for name, value in figures.items()) if figures else "not measured"
        if row == "jobs lost" and figures:
            detail = f"{sum(figures.values())} (must be 0): {detail}"
        write(f"  {row:<18} {detail}")
    for row, where in ELSEWHERE.items():
        write(f"  ({row} also: {where})")
