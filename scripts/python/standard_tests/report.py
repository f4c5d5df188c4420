"""Prints the outcome table of scripts/standard-tests.sh from pytest's JUnit XML files.

Usage: report.py CONNECTOR=JUNIT_XML...

One row per connector and test of Airbyte's suite: passed, failed (with the first
line of the message), not runnable (with the reason: see `UNRUNNABLE` in
airbyte_rs_standard.py) or not applicable (the suite skips a test that does not
concern the scenario or the kind of connector, with its reason). Exits 1 if any
test failed or errored, or if a file is missing or lists no test.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from airbyte_rs_standard import UNRUNNABLE


def outcome(case: ET.Element) -> tuple[str, str]:
    """(outcome, detail) of one <testcase>."""
    for tag, label in (("failure", "FAILED"), ("error", "ERROR")):
        found = case.find(tag)
        if found is not None:
            message = (found.get("message") or found.text or "").strip()
            return label, message.splitlines()[0][:160] if message else ""
    skipped = case.find("skipped")
    if skipped is not None:
        reason = (skipped.get("message") or "").strip()
        base = case.get("name", "").split("[")[0]
        if base in UNRUNNABLE:
            return "NOT RUNNABLE", UNRUNNABLE[base]
        return "not applicable", reason[:160]
    return "passed", ""


def main(args: list[str]) -> int:
    """Prints the table; returns the exit code."""
    rows: list[tuple[str, str, str, str]] = []
    bad = False
    for arg in args:
        connector, _, path = arg.partition("=")
        file = Path(path)
        if not file.is_file():
            rows.append((connector, "(pytest)", "ERROR", f"no report {file}: pytest did not run"))
            bad = True
            continue
        cases = ET.parse(file).getroot().iter("testcase")
        count = 0
        for case in cases:
            count += 1
            result, detail = outcome(case)
            bad |= result in ("FAILED", "ERROR")
            rows.append((connector, case.get("name", "?"), result, detail))
        if count == 0:
            rows.append((connector, "(pytest)", "ERROR", "no test collected"))
            bad = True
    widths = [max(len(row[i]) for row in rows) for i in range(3)] if rows else [0, 0, 0]
    print("== Airbyte standard tests (airbyte-cdk 7.39.1): outcome per connector and test")
    header = ("connector", "test", "outcome", "detail")
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    totals: dict[str, int] = {}
    for row in rows:
        totals[row[2]] = totals.get(row[2], 0) + 1
    failed = totals.get("FAILED", 0) + totals.get("ERROR", 0)
    skipped = totals.get("NOT RUNNABLE", 0) + totals.get("not applicable", 0)
    # The closing line, in the plain form test-log readers count.
    print(f"standard-tests: {totals.get('passed', 0)} passed, {failed} failed, {skipped} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
