"""evidence/status: the one rule for what results and runs add up to (in-process)."""

from __future__ import annotations

import pytest

from lane_tasks.evidence import artifacts, consistency
from lane_tasks.evidence.artifacts import Result, summarize
from lane_tasks.evidence.status import (
    count,
    is_warning,
    problem_status,
    run_status,
    status_of,
)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "error"),
        (["skip"], "error"),
        (["skip", "pass"], "pass"),
        (["pass", "error"], "error"),
        (["error", "fail", "pass"], "fail"),
    ],
)
def test_status_of(statuses: list[str], expected: str) -> None:
    assert status_of(statuses) == expected


def test_problem_status() -> None:
    assert problem_status(["pass", "skip"]) is None
    assert problem_status(["error", "fail"]) == "fail"


def test_run_status_never_passes_with_an_unrecorded_step() -> None:
    assert run_status(["pass"]) == "pass"
    assert run_status(["pass"], unrecorded=True) == "error"
    assert run_status(["fail"], unrecorded=True) == "fail"


def test_count_warnings_apart() -> None:
    pairs = [("pass", None), ("fail", "warning"), ("fail", "error"), ("skip", None)]
    assert count(pairs) == {"pass": 1, "fail": 1, "error": 0, "skip": 1, "warn": 1}
    assert count(pairs, warnings=False) == {"pass": 1, "fail": 2, "error": 0, "skip": 1}


def test_is_warning_is_the_same_function_everywhere() -> None:
    assert artifacts.is_warning is is_warning
    assert not is_warning("fail", None) and is_warning("error", "warning")


def test_summarize_and_contradiction_agree() -> None:
    results = [Result(id="a", status="pass"), Result(id="b", status="fail")]
    doc = {
        "status": "fail",
        "summary": summarize(results),
        "results": [{"status": "pass"}, {"status": "fail"}],
    }
    assert consistency.status_contradiction(doc) is None
    doc["summary"] = {"pass": 2, "fail": 0, "error": 0, "skip": 0}
    assert "does not count its results" in (consistency.status_contradiction(doc) or "")
