"""weekly-kpi-review: a named reviewer looked at the lane's KPIs within the review period."""

from __future__ import annotations

from datetime import timedelta

from lane_tasks.controls.base import Control, ControlContext, Verdict, register
from lane_tasks.evidence import record_signature
from lane_tasks.kpi.review import age_text, load_reviews, reviews_path
from lane_tasks.util.clock import utc_now

__all__ = ["WeeklyKpiReview"]


@register
class WeeklyKpiReview(Control):
    """The newest KPI review record in the evidence directory validates, names a reviewer
    (one of kpi.reviewers when that is set) and is no older than kpi.review_period_days
    (default 7). Every record there must validate and be dated no later than now (beyond a
    five-minute clock skew): tracked evidence is never silently bad. When lanes.toml lists
    [signing.keys], the newest must be signed, unchanged, by its reviewer.
    "Now" is the clock, or $LANE_TASKS_NOW (ISO 8601, for tests)."""

    id = "weekly-kpi-review"
    evidence = "<evidence_dir>/kpi-reviews/<YYYYMMDDTHHMMSSZ>.json (working tree)"
    fix = (
        "review the KPIs and record it: `lane-tasks kpi review --reviewer NAME [--notes T]`, "
        "then commit the record"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        rel = reviews_path(config).relative_to(config.root).as_posix()
        now = utc_now()
        reviews = load_reviews(config, now)
        bad = [r for r in reviews if r.record is None]
        if bad:
            listed = "; ".join(
                f"{r.path.relative_to(config.root).as_posix()}: {r.problem}" for r in bad
            )
            return Verdict("fail", f"invalid KPI review record(s): {listed}")
        if not reviews:
            return Verdict("fail", f"no KPI review recorded (none in {rel}/)")
        dated = [(w, r) for r in reviews if (w := r.reviewed_at()) is not None]
        when, newest = max(dated, key=lambda pair: pair[0])
        assert newest.record is not None
        reviewer = newest.record["reviewer"]
        name = newest.path.relative_to(config.root).as_posix()
        if why := record_signature.verify(config, newest.path, (reviewer,)):
            return Verdict("fail", f"the newest KPI review: {why}")
        allowed = config.kpi.reviewers
        if allowed and reviewer not in allowed:
            return Verdict(
                "fail",
                f"the newest KPI review ({name}) is by '{reviewer}', who is not in "
                f"kpi.reviewers ({', '.join(allowed)})",
            )
        age = max(now - when, timedelta(0))
        period = config.kpi.review_period_days
        if age > timedelta(days=period):
            return Verdict(
                "fail",
                f"the newest KPI review is {age_text(age)} old ({name}, by {reviewer}); "
                f"kpi.review_period_days is {period}",
            )
        return Verdict(
            "pass",
            f"KPIs reviewed by {reviewer} {age_text(age)} ago ({name}); period {period} days",
        )
