"""The weekly KPI review: a named reviewer's look at the lane's KPIs, recorded as evidence.

The values a review records are the KPIs computed from the run history at that moment
(`lane_tasks.kpi.compute`): a KPI without enough data is recorded as `unknown` with its reason.

A review is tracked evidence: `<evidence_dir>/kpi-reviews/<YYYYMMDDTHHMMSSZ>.json` (schema
`lane-tasks/kpi-review`), read back by the `weekly-kpi-review` control.

The clock is `lane_tasks.util.clock.utc_now()` (tests move it with $LANE_TASKS_NOW or the hidden
`kpi review --now`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lane_tasks.catalog.layout import KPI_REVIEWS_DIR
from lane_tasks.config import Config, ResolvedLane
from lane_tasks.errors import ConfigError, Refused, did_you_mean
from lane_tasks.evidence.artifacts import (
    canonical_json,
    read_record,
    record_header,
    schema_errors,
)
from lane_tasks.evidence.record_signature import is_envelope, write_record
from lane_tasks.kpi.compute import compute_kpis
from lane_tasks.util.clock import future_problem, parse_now, utc_now

__all__ = [
    "REVIEWS_DIR",
    "Review",
    "ReviewRefused",
    "age_text",
    "load_reviews",
    "record_review",
    "review_lane",
    "reviews_path",
]

REVIEWS_DIR = KPI_REVIEWS_DIR


class ReviewRefused(Refused):
    """A review that cannot be recorded as asked (one already exists for that second)."""


def reviews_path(config: Config) -> Path:
    return config.root / config.evidence_dir / REVIEWS_DIR


def review_lane(config: Config, name: str | None) -> ResolvedLane:
    """The lane named, else the lane the weekly KPI review is for (`Config.lane_with`): its
    KPIs are the ones reviewed (regulated's include its own)."""
    if name:
        return config.resolve(name)
    return config.lane_with("weekly-kpi-review")


def record_review(
    config: Config,
    *,
    reviewer: str,
    notes: str | None,
    lane: str | None = None,
    now: datetime | None = None,
    sign_key: Path | None = None,
) -> Path:
    """Write one review record; an empty or unlisted reviewer is a usage error (exit 2).
    With `sign_key`, the reviewer's signature goes beside it (evidence.record_signature)."""
    reviewer = reviewer.strip()
    if not reviewer:
        raise ConfigError("the reviewer's name must not be empty", key="--reviewer")
    allowed = config.kpi.reviewers
    if allowed and reviewer not in allowed:
        raise ConfigError(
            f"'{reviewer}' is not a KPI reviewer{did_you_mean(reviewer, allowed)}; "
            f"kpi.reviewers in {config.path.name}: {', '.join(allowed)}",
            key="--reviewer",
        )
    resolved = review_lane(config, lane)
    when = (now or utc_now()).astimezone(UTC).replace(microsecond=0)
    record = {
        **record_header("kpi-review"),
        "reviewed_at": when.isoformat(timespec="seconds"),
        "reviewer": reviewer,
        "lane": resolved.name,
        "notes": notes.strip() if notes and notes.strip() else None,
        "kpis": [
            k.review_entry() for k in compute_kpis(config, [i.id for i in resolved.kpis], now=when)
        ],
    }
    problem = schema_errors(record)
    if problem:  # our own record must meet its contract before it becomes evidence
        raise ReviewRefused(f"review record does not validate: {problem}")
    path = reviews_path(config) / f"{when.strftime('%Y%m%dT%H%M%SZ')}.json"
    if path.exists():
        raise ReviewRefused(
            f"{path.relative_to(config.root).as_posix()} already exists: "
            "one review per second; try again"
        )
    write_record(config, path, canonical_json(record), sign_key=sign_key, signers=(reviewer,))
    return path


@dataclass(frozen=True)
class Review:
    """A review record on disk: the record, or what is wrong with it."""

    path: Path
    record: dict[str, Any] | None
    problem: str | None

    def reviewed_at(self) -> datetime | None:
        if self.record is None:
            return None
        return parse_now(self.record["reviewed_at"], "reviewed_at")


def load_reviews(config: Config, now: datetime | None = None) -> list[Review]:
    """Every `*.json` in the reviews directory (not the `*.dsse.json` signatures beside them),
    validated, newest file name first. A review dated after `now` (default the clock; beyond
    clock.CLOCK_SKEW) is invalid."""
    d = reviews_path(config)
    if not d.is_dir():
        return []
    out = []
    for path in sorted((p for p in d.glob("*.json") if not is_envelope(p)), reverse=True):
        got = read_record(path, "kpi-review", name="KPI review")
        if got.failure in ("missing", "unreadable"):  # a file that vanished is unreadable too
            out.append(Review(path, None, f"unreadable: {got.detail or 'missing'}"))
            continue
        doc, problem = got.doc or {}, got.problem
        if problem is None:
            try:
                parse_now(doc["reviewed_at"], "reviewed_at")
            except ConfigError as exc:
                problem = str(exc)
        if problem is None:  # a review that has not happened yet reviews nothing
            problem = future_problem(doc["reviewed_at"], "reviewed_at", now)
        out.append(Review(path, None, problem) if problem else Review(path, doc, None))
    return out


def age_text(age: timedelta) -> str:
    """`9.5 days` / `1 day` / `0.2 days`: the age in days, one decimal where it matters."""
    days = age.total_seconds() / 86400
    if days == int(days):
        n = int(days)
        return f"{n} day{'' if n == 1 else 's'}"
    return f"{days:.1f} days"
