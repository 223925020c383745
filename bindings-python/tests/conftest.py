"""Counts the shared-vector cases and prints `python vectors: N passed, M failed` at the end."""

from __future__ import annotations

_VECTOR_FILE = "test_vectors.py::test_vector["
_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report):
    if _VECTOR_FILE not in report.nodeid:
        return
    # A case counts once: failed if any phase failed, else passed when its call passed.
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.when == "call" and report.passed:
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter):
    if not _outcomes:
        return  # a run without the vectors (scripts/spark.sh, a -k filter) counts none
    passed = sum(1 for o in _outcomes.values() if o == "passed")
    failed = sum(1 for o in _outcomes.values() if o == "failed")
    terminalreporter.write_line(f"python vectors: {passed} passed, {failed} failed")
