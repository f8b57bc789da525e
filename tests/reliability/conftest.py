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


def pytest_terminal_summary(terminalreporter) -> None:
    if not REPORT:
        return
    write = terminalreporter.write_line
    write("")
    write("reliability report")
    write(f"  {'row':<22} figures")
    for row in ("load held", "faults survived", "bad inputs tried", "jobs lost"):
        if row in REPORT:
            figures = ", ".join(f"{name} {value}" for name, value in REPORT[row].items())
            write(f"  {row:<22} {figures}")
    if "jobs lost" not in REPORT:
        write(f"  {'jobs lost':<22} not measured")
