"""gate release's repository checks: what the commit itself says about the release, read
without building anything: the project metadata, the version's verdict, the changelog entry,
a clean tree, and gate fast's evidence for this same commit.

Each reads the repository (or an artifact in it) and the settled plan (release_plan), and
none runs a tool, so they stay quick and apart from the dist checks (release_dists) that
build and inspect files.
"""

from __future__ import annotations

from typing import Any

from packaging.version import Version

from lane_tasks.catalog import STEPS
from lane_tasks.evidence.artifacts import read_artifact
from lane_tasks.evidence.consistency import step_problem
from lane_tasks.evidence.store import run_dir
from lane_tasks.project.changelog import (
    CANDIDATES,
    Entry,
    dates_entries,
    find_changelog,
    find_entry,
)
from lane_tasks.project.fragments import find_fragments
from lane_tasks.project.git import changed_paths, head_commit, is_git_repo, subject
from lane_tasks.project.pyproject import validation_problem
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Check, Outcome
from lane_tasks.steps.release_plan import BUMP, backend_said, planned, project_data
from lane_tasks.util.procs import excerpt

__all__ = ["Changelog", "CleanTree", "GateFastEvidence", "Metadata", "VersionCheck"]


class Metadata(Check):
    """pyproject.toml validates and declares name, version, readme, license, requires-python;
    a dynamic version's build backend can prepare the metadata."""

    id = "metadata"
    doing = "reading the project metadata"
    family = "packaging"
    fix = (
        "complete [project] in pyproject.toml (PEP 621): "
        "name, version, readme, license, requires-python"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        try:
            data = project_data(facts, ctx.root)
        except FileNotFoundError:
            return Outcome("fail", "no pyproject.toml")
        except ValueError as exc:
            return Outcome("fail", f"pyproject.toml is not valid TOML: {exc}")
        problem = validation_problem(data)
        if problem:
            return Outcome("fail", problem)
        project = data.get("project", {})
        dynamic = set(project.get("dynamic", []))
        wanted = {
            "name": "name" in project,
            "version": "version" in project or "version" in dynamic,
            "readme": "readme" in project or "readme" in dynamic,
            "license": bool({"license", "license-files"} & set(project)) or "license" in dynamic,
            "requires-python": "requires-python" in project,
        }
        missing = [k for k, ok in wanted.items() if not ok]
        if missing:
            return Outcome("fail", f"project.{', project.'.join(missing)} missing")
        failed = planned(facts).backend
        if failed is not None:
            return Outcome(
                "fail",
                backend_said(ctx, failed),
                excerpt(failed.output, root=ctx.root, stable=ctx.stable),
                fix="fix what the build backend reports (the excerpt; `python -m build` "
                "shows it in full)",
            )
        return Outcome("pass", f"{project['name']}: all release metadata declared")


class VersionCheck(Check):
    """The version resolves (static or through the build backend) and is valid PEP 440. For a
    release candidate (above the newest release tag, tagged on HEAD, or `--version`) it must
    be greater than the latest release tag and not tagged on another commit; a version that is
    not a candidate (already released elsewhere, a dev version, not above the newest tag) is
    reported as such without failing the step."""

    id = "version"
    doing = "resolving the version"
    family = "versioning"
    fix = BUMP

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        return planned(facts).outcome


class Changelog(Check):
    """The changelog has a non-empty entry for this version; a development version needs none
    of its own. With changelog fragments (towncrier, scriv) a release candidate's section must
    have been collected; between releases pending fragments are fine. A release candidate's
    heading must not say it is unreleased, and must carry its date where the other entries
    carry theirs: a changelog that says "unreleased" over a published version misleads."""

    id = "changelog"
    doing = "reading the changelog"
    family = "docs"
    fix = "add a section headed with this version, listing its changes, to the changelog"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        settled = planned(facts)
        version = settled.version
        if version is None:
            return Outcome(
                "skip", "cannot check: the project's version is unknown (see the version check)"
            )
        if version.is_devrelease:
            return Outcome(
                "skip", f"{version} is a development version: it needs no changelog section"
            )
        try:
            fragments = find_fragments(ctx.root, project_data(facts, ctx.root))
        except (FileNotFoundError, ValueError):
            fragments = None
        configured = ctx.config.release.changelog or (fragments.changelog if fragments else None)
        path = find_changelog(ctx.root, configured or None)
        pending = fragments.pending if fragments else ()
        collect = None
        if fragments and pending and settled.candidate:
            collect = (
                f"`{fragments.command(version)}` collects the {len(pending)} pending "
                f"fragment(s) into the changelog; commit the result"
            )
        if path is None:
            where = configured or "/".join(CANDIDATES[:4])
            return Outcome("fail", f"no changelog found ({where})", fix=collect)
        rel = path.relative_to(ctx.root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        entry = find_entry(text, version)
        if entry is None:
            if fragments and pending:
                return Outcome(
                    "fail",
                    f"{rel} has no entry for {version}; {len(pending)} {fragments.tool} "
                    f"fragment(s) pending in {fragments.directory}/",
                    fix=collect,
                )
            return Outcome("fail", f"{rel} has no entry for {version}")
        if entry.empty:
            return Outcome("fail", f"{rel}:{entry.line}: the entry '{entry.heading}' is empty")
        if settled.candidate:
            dishonest = _undated(rel, entry, version, dates_entries(text, version))
            if dishonest is not None:
                return dishonest
        note = ""
        if fragments and pending:
            later = "for the next release" if not settled.candidate else "not in this section"
            note = f" ({len(pending)} {fragments.tool} fragment(s) pending, {later})"
        return Outcome("pass", f"{rel}:{entry.line}: {entry.heading}{note}")


def _undated(rel: str, entry: Entry, version: Version, dated_elsewhere: bool) -> Outcome | None:
    """A candidate's heading that says it is unreleased, or lacks the date the others carry."""
    where = f"{rel}:{entry.line}: the heading '{entry.heading}'"
    dated = f"'{version} - YYYY-MM-DD' (the day you tag it)"
    if entry.unreleased:
        return Outcome(
            "fail",
            f"{where} says '{entry.unreleased}', but {version} is the release candidate",
            fix=f"when you cut {version}, replace '{entry.unreleased}' in its heading with "
            f"the release date: {dated}",
        )
    if not entry.dated and dated_elsewhere:
        return Outcome(
            "fail",
            f"{where} carries no date, as the changelog's other entries do",
            fix=f"date the heading of {version}: {dated}",
        )
    return None


class CleanTree(Check):
    """No uncommitted or untracked changes, except this tool's own output directories."""

    id = "clean-tree"
    doing = "checking that the tree is clean"
    family = "git"
    fix = "commit or stash your changes (git status) and run the gate again"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        if not is_git_repo(ctx.root):
            return Outcome("error", "not a git repository", error_kind="environment")
        if head_commit(ctx.root) is None:
            return Outcome("fail", "no commits yet")
        changed = changed_paths(ctx.root, (ctx.config.artifacts_dir,))
        if changed:
            shown = ", ".join(changed[:5]) + (
                f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            )
            return Outcome("fail", f"{len(changed)} uncommitted change(s): {shown}")
        return Outcome("pass", "working tree clean")


class GateFastEvidence(Check):
    """A passing gate-fast artifact of the whole configured gate (every check lanes.toml
    configures now, not a `--check` subset) exists for this same commit, taken on a clean tree
    (from this run when inside a lane: gate fast is never re-run here)."""

    id = "gate-fast-evidence"
    doing = "looking for gate-fast evidence of this commit"
    family = "evidence"
    fix = "run gate fast on this commit first (`nox -s gate-fast`, or the whole lane)"

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        name = STEPS["gate-fast"].out
        if ctx.run_id:
            path = run_dir(ctx.config, ctx.run_id) / name
            where = f"run {ctx.run_id}"
        else:
            path = ctx.config.artifacts_path() / name
            where = path.relative_to(ctx.root).as_posix()
        doc, problem = read_artifact(path)
        if doc is None or problem:
            if not path.exists():
                return Outcome("fail", f"no gate-fast artifact in {where}")
            return Outcome("fail", f"gate-fast artifact in {where} is invalid: {problem}")
        if doc["schema"] != "lane-tasks/gate-fast":  # any valid artifact passes the schema check
            return Outcome("fail", f"the artifact in {where} is {doc['schema']}, not gate fast's")
        head = subject(ctx.root, (ctx.config.artifacts_dir,)).commit
        commit = doc["subject"]["commit"]
        if commit != head:  # an old result, pass or fail, says nothing of this commit
            return Outcome(
                "fail", f"stale: gate fast ran on {str(commit)[:12]}, HEAD is {str(head)[:12]}"
            )
        if doc["status"] != "pass":
            return Outcome("fail", f"gate fast did not pass ({doc['status']}) in {where}")
        if doc["subject"]["dirty"]:
            return Outcome("fail", "gate fast ran on a dirty tree: its result is not this commit's")
        problem = step_problem(doc, "gate-fast", commit=head, checks=ctx.config.checks, clean=True)
        if problem:  # the same rule as the controls, release decide and release checklist
            return Outcome("fail", f"the gate-fast artifact in {where} is no evidence: {problem}")
        return Outcome("pass", f"the whole gate fast passed on {str(commit)[:12]} ({where})")
