"""KPIs of a lane and the weekly KPI review that records what a named reviewer saw.

The KPI numbers themselves come from run history, which a later issue records (SQLite, issue
#7). Until then `kpi_values` reports every KPI of the lane as `unknown` with that reason: a
review records honestly that there was nothing to read, never an invented number.

A review is tracked evidence: `<evidence_dir>/kpi-reviews/<YYYYMMDDTHHMMSSZ>.json` (schema
`lane-tasks/kpi-review`), read back by the `weekly-kpi-review` control.

The clock: `utc_now()` is the real UTC time unless the environment variable `LANE_TASKS_NOW`
holds an ISO 8601 time (UTC when it names no offset), or `kpi review --now` (a hidden option)
passes one. Both exist so tests can make a review, or the control's "now", days old without
waiting; nothing else should set them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lane_tasks import __version__
from lane_tasks.artifacts import SCHEMA_VERSION, atomic_write, canonical_json, schema_errors
from lane_tasks.catalog import KPIS
from lane_tasks.config import Config, ResolvedLane
from lane_tasks.errors import EXIT_FAIL, ConfigError, LaneTasksError, did_you_mean

__all__ = [
    "NOW_ENV",
    "REVIEWS_DIR",
    "Review",
    "ReviewRefused",
    "age_text",
    "kpi_values",
    "load_reviews",
    "parse_now",
    "record_review",
    "review_lane",
    "reviews_path",
    "utc_now",
]

NOW_ENV = "LANE_TASKS_NOW"
REVIEWS_DIR = "kpi-reviews"
PENDING_REASON = "run history is not recorded yet (issue #7)"


class ReviewRefused(LaneTasksError):
    """A review that cannot be recorded as asked (one already exists for that second)."""

    exit_code = EXIT_FAIL


def parse_now(text: str, source: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; naive means UTC; `Z` is accepted."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"'{text}' is not an ISO 8601 time (like 2026-01-31T12:00:00Z)", key=source
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_now(override: str | None = None) -> datetime:
    """Now, in UTC, to the second: `override`, else $LANE_TASKS_NOW, else the clock."""
    if override:
        return parse_now(override, "--now")
    env = os.environ.get(NOW_ENV)
    if env:
        return parse_now(env, NOW_ENV)
    return datetime.now(UTC).replace(microsecond=0)


def kpi_values(config: Config, lane: ResolvedLane) -> list[dict[str, Any]]:
    """Every KPI of the lane, own and inherited, in lane order. No value is known yet: run
    history is a later issue, so each is `unknown` with the reason, never a made-up number."""
    del config  # the history the values will come from is found through it (issue #7)
    return [
        {
            "id": item.id,
            "title": KPIS[item.id].title,
            "value": None,
            "status": "unknown",
            "reason": PENDING_REASON,
        }
        for item in lane.kpis
    ]


def reviews_path(config: Config) -> Path:
    return config.root / config.evidence_dir / REVIEWS_DIR


def review_lane(config: Config, name: str | None) -> ResolvedLane:
    """The lane named, else the first lane (lanes.toml order) with the weekly-kpi-review
    control, else the default lane, else the first lane."""
    if name:
        return config.resolve(name)
    for lane in config.resolved_lanes():
        if "weekly-kpi-review" in lane.control_ids():
            return lane
    return config.resolve(config.default_lane or next(iter(config.lanes)))


def record_review(
    config: Config,
    *,
    reviewer: str,
    notes: str | None,
    lane: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Write one review record; an empty or unlisted reviewer is a usage error (exit 2)."""
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
        "schema": "lane-tasks/kpi-review",
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "lane-tasks", "version": __version__},
        "reviewed_at": when.isoformat(timespec="seconds"),
        "reviewer": reviewer,
        "lane": resolved.name,
        "notes": notes.strip() if notes and notes.strip() else None,
        "kpis": kpi_values(config, resolved),
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
    atomic_write(path, canonical_json(record))
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


def load_reviews(config: Config) -> list[Review]:
    """Every `*.json` in the reviews directory, validated, newest file name first."""
    d = reviews_path(config)
    if not d.is_dir():
        return []
    out = []
    for path in sorted(d.glob("*.json"), reverse=True):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            out.append(Review(path, None, f"unreadable: {exc}"))
            continue
        problem = schema_errors(doc)
        if problem is None and doc.get("schema") != "lane-tasks/kpi-review":
            problem = f"is a {doc.get('schema')} record, not a KPI review"
        if problem is None:
            try:
                parse_now(doc["reviewed_at"], "reviewed_at")
            except ConfigError as exc:
                problem = str(exc)
        out.append(Review(path, None, problem) if problem else Review(path, doc, None))
    return out


def age_text(age: timedelta) -> str:
    """`9.5 days` / `1 day` / `0.2 days`: the age in days, one decimal where it matters."""
    days = age.total_seconds() / 86400
    if days == int(days):
        n = int(days)
        return f"{n} day{'' if n == 1 else 's'}"
    return f"{days:.1f} days"
