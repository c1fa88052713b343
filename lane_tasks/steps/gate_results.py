"""What a finished gate fast check leaves: its Result (status, message, excerpt, fix), its
full log and its tool's report, kept beside the run's evidence.

Turning a process's outcome into evidence has rules of its own (a report that cannot be read
is no pass, an exit 0 over a failing JUnit report is a fail, a replayed result must not point
at files since pruned); they live here, apart from the step that schedules the processes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lane_tasks.config import REPORT_PLACEHOLDER, CheckSpec
from lane_tasks.evidence.artifacts import Result, atomic_write
from lane_tasks.evidence.findings import read_report
from lane_tasks.evidence.store import open_run, record_files, run_dir
from lane_tasks.project.git import subject
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.gate_fixes import fix_for, local_cmd
from lane_tasks.util.procs import (
    EXCERPT_LINES,
    ProcResult,
    ProcSpec,
    excerpt,
    log_text,
    redact,
    secret_values,
)

__all__ = ["REPORT_SUFFIX", "Side", "check_result", "without_gone_files"]


REPORT_SUFFIX = {"sarif": ".sarif", "junit": ".junit.xml", "ruff-json": ".ruff-json"}


@dataclass(frozen=True)
class Side:
    """Where a run of gate fast keeps each check's full log and its tool's report: the lane
    run's own directory (`<run>/gate-fast/`), else `<artifacts_dir>/gate-fast/`. A report
    left by an earlier run is removed before its check starts, so none is ever read stale."""

    dir: Path
    run_id: str | None

    @classmethod
    def open(cls, ctx: StepContext) -> Side:
        if ctx.run_id:
            at = subject(ctx.root, (ctx.config.artifacts_dir,)).to_json()
            return cls(open_run(ctx.config, ctx.run_id, at) / "gate-fast", ctx.run_id)
        return cls(ctx.config.artifacts_path() / "gate-fast", None)

    def log(self, check: CheckSpec) -> Path:
        return self.dir / f"{check.id}.log"

    def report(self, check: CheckSpec) -> Path | None:
        return self.dir / f"{check.id}{REPORT_SUFFIX[check.report]}" if check.report else None

    def clear(self, check: CheckSpec) -> None:
        report = self.report(check)
        if report is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                report.unlink()  # a directory planted there stays, and is then reported

    def record(self, ctx: StepContext, written: list[Path]) -> None:
        """List the files this run kept in the run's manifest (a lane run's evidence names
        every file it holds)."""
        if self.run_id is None:
            return

        base = run_dir(ctx.config, self.run_id)
        names = [p.relative_to(base).as_posix() for p in written if p.is_file()]
        record_files(ctx.config, self.run_id, step="gate-fast", names=names)


def _write_log(side: Side, check: CheckSpec, text: str) -> Path | None:
    """The check's whole captured output, redacted, kept where the artifact points; a log
    that cannot be written costs only the pointer."""
    path = side.log(check)
    try:
        atomic_write(path, text)
    except OSError:
        return None
    return path


def _read_findings(
    ctx: StepContext, check: CheckSpec, side: Side, secrets: list[str]
) -> tuple[dict[str, Any], str | None]:
    """The report's fields for the result, and the problem a person must see (or None)."""
    path = side.report(check)
    assert path is not None and check.report is not None
    got = read_report(
        path,
        check.report,
        root=ctx.root,
        cwd=ctx.root / (check.cwd or "."),
        clean=lambda text: redact(text, secrets),
    )
    report: dict[str, Any] = {"format": check.report, "path": ctx.config.shown(path)}
    if got.tool:
        report["tool"] = got.tool
    if got.dropped:
        report["dropped"] = dict(got.dropped)
    fields: dict[str, Any] = {"report": report}
    if got.failed:
        report["failed"] = got.failed
    if got.problem is not None:
        report["problem"] = got.problem
        return fields, f"report {ctx.config.shown(path)}: {got.problem}"
    if check.report != "junit" or got.findings:
        fields["findings"] = list(got.findings)
    if check.report == "junit":
        tests = [dict(t) for t in got.tests]
        if ctx.stable:  # stable artifacts hold no durations
            for t in tests:
                t["time"] = None
        fields["tests"] = tests
    return fields, None


def _findings_text(findings: list[dict[str, Any]]) -> str:
    """The findings one a line, as linters print them (`a.py:1:8: F401 message`)."""
    lines = []
    for f in findings[:EXCERPT_LINES]:
        where = ":".join(str(x) for x in (f["path"], f["line"], f["column"]) if x is not None)
        rule = f" {f['rule']}" if f["rule"] else ""
        lines.append(f"{where or '?'}:{rule} {f['message']}".replace("\n", " "))
    if len(findings) > EXCERPT_LINES:
        lines.append(f"… and {len(findings) - EXCERPT_LINES} more findings")
    return "\n".join(lines)


def _failed_message(code: int | None, extra: Mapping[str, Any]) -> str:
    """Why an exited check failed, naming what its own report says failed (the first failing
    test case, the findings' rule ids), so the terminal, SARIF, Code Quality and the dashboard
    say more than "exited with code 1"."""
    message = f"exited with code {code}"
    tests = extra.get("tests") or []
    failed = [t for t in tests if t.get("status") in ("fail", "error")]
    findings = extra.get("findings") or []
    if findings:
        rules = list(dict.fromkeys(str(f["rule"]) for f in findings if f.get("rule")))
        shown = ", ".join(rules[:5]) + (", …" if len(rules) > 5 else "")
        noun = "finding" if len(findings) == 1 else "findings"
        return f"{message}: {len(findings)} {noun}" + (f" ({shown})" if shown else "")
    if failed:
        first = failed[0]
        why = str(first.get("message") or first.get("status")).strip().splitlines()
        # counted before the kept cases were bounded (findings.read_report)
        count = max(len(failed), int((extra.get("report") or {}).get("failed") or 0))
        more = f" (and {count - 1} more)" if count > 1 else ""
        return (
            f"{message}: {count} of {max(len(tests), count)} tests failed, first "
            f"{first['name']}: {why[0] if why else first['status']}{more}"
        )
    return message


def check_result(
    ctx: StepContext,
    check: CheckSpec,
    spec: ProcSpec,
    res: ProcResult,
    side: Side | None = None,
    written: list[Path] | None = None,
) -> Result:
    secrets = secret_values(spec.env or {})
    text = excerpt(res.output, root=ctx.root, secrets=secrets, stable=ctx.stable)
    extra: dict[str, Any] = {"cmd": [redact(part, secrets) for part in check.cmd]}
    error_kind: str | None = None
    problem = None
    if side is not None and res.outcome not in ("missing", "oserror"):
        log = _write_log(side, check, log_text(res.output, [*secrets, *secret_values()]))
        if log is not None:
            extra["log"] = ctx.config.shown(log)
            if written is not None:
                written.append(log)
        if check.report and res.outcome == "exited":
            fields, problem = _read_findings(ctx, check, side, [*secrets, *secret_values()])
            extra |= fields
            report = side.report(check)
            if written is not None and report is not None:
                written.append(report)
    if res.outcome == "exited":
        status = "pass" if res.exit_code == 0 and problem is None else "fail"
        message = "" if status == "pass" else _failed_message(res.exit_code, extra)
        failed = int((extra.get("report") or {}).get("failed") or 0)
        if status == "pass" and failed:
            # `pytest || true`: the tool's own report is evidence that tests failed
            status = "fail"
            message = f"exited with code 0, but its JUnit report lists {failed} failed test(s)"
        if problem is not None:
            # a check whose report cannot be read is not evidence it passed
            status = "fail" if res.exit_code else "error"
            message = problem if res.exit_code == 0 else f"{message}; {problem}"
        if status == "pass":
            text = ""
        elif not text and extra.get("findings"):  # ruff writing SARIF prints nothing else
            text = _findings_text(extra["findings"])
    else:
        status = "error"
        message = res.detail
        if res.outcome == "missing":
            error_kind = "environment"
    fix = None
    if status != "pass":
        shown = local_cmd(tuple(extra["cmd"]))
        fix = fix_for(check, res, shown)
        if problem is not None and res.exit_code == 0:
            fix = (
                f"make `{' '.join(shown)}` write its {check.report} report to the path "
                f"{REPORT_PLACEHOLDER} stands for, or drop report from "
                f"gate.fast.checks.{check.id} in lanes.toml"
            )
    return Result(
        id=check.id,
        status=status,
        message=message,
        owner=check.owner,
        exit_code=res.exit_code,
        excerpt=text,
        fix=fix,
        duration_s=res.duration_s,
        error_kind=error_kind,
        extra=extra,
    )


def without_gone_files(ctx: StepContext, hit: Result) -> Result:
    """A replayed result without the `log` / `report` pointers of files no longer there: they
    name the run that made the result, which may have been pruned since (runs_keep)."""
    extra = dict(hit.extra)
    for key in ("log", "report"):
        value = extra.get(key)
        path = value.get("path") if isinstance(value, dict) else value
        if isinstance(path, str) and not (ctx.root / path).is_file():
            del extra[key]
    return hit if extra == hit.extra else replace(hit, extra=extra)
