# PYTHON_ARGCOMPLETE_OK  (register-python-argcomplete looks for this marker)
"""The front door: argparse, errors to exit codes, text or JSON output.

Every step command here is also what the nox session of that step calls, so the command line and
the lane write byte-identical stable artifacts.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from lane_tasks import __version__
from lane_tasks.catalog import CONTROLS as CATALOG
from lane_tasks.catalog import STEPS
from lane_tasks.cli_help import apply_help
from lane_tasks.cli_history import add_commands, add_rollback
from lane_tasks.config import (
    Config,
    find_config,
    load_config,
    parse_config,
)
from lane_tasks.console import COLOR_CHOICES, same_destination, set_color
from lane_tasks.errors import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    EnvironmentProblem,
    LaneTasksError,
    did_you_mean,
    os_problem,
    platform_problem,
)
from lane_tasks.evidence.artifacts import atomic_write, canonical_json, read_artifact
from lane_tasks.exports.text import render_text
from lane_tasks.paths import add_out_guard, output_path
from lane_tasks.util.interrupts import install, shielded

if TYPE_CHECKING:
    from lane_tasks.run import TopLevel

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and a did-you-mean for options and commands."""

    def error(self, message: str) -> NoReturn:
        hint = ""
        if "unrecognized arguments:" in message:
            bad = message.split(":", 1)[1].split()[0]
            hint = did_you_mean(bad, _options_below(self))
        elif "invalid choice:" in message:
            bad = message.split("'")[1] if "'" in message else ""
            choices = [c for a in self._actions if a.choices for c in a.choices]
            hint = did_you_mean(bad, [str(c) for c in choices])
        sys.stderr.write(f"{self.prog}: error: {message}{hint}\n")
        sys.exit(EXIT_USAGE)


def _options_below(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of a parser and its sub-commands (argparse reports leftovers at the top)."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options_below(sub)
    return found


def _loaded(args: argparse.Namespace) -> Config | None:
    """The Config the caller already loaded (a nox session: one load per nox invocation, not
    one per step), when --config names that same file."""
    loaded: Config | None = getattr(args, "loaded_config", None)
    if loaded is not None and (not args.config or Path(args.config) == loaded.path):
        return loaded
    return None


def _config(args: argparse.Namespace) -> Config:
    """lanes.toml as --config names it (or as the caller loaded it)."""
    loaded = _loaded(args)
    return loaded if loaded is not None else load_config(Path(args.config) if args.config else None)


def _sarif_config(args: argparse.Namespace) -> Path | None:
    """The lanes.toml SARIF output locates results in (besides the repository), if any."""
    if args.format != "sarif":
        return None
    try:
        return Path(args.config) if args.config else find_config()
    except ConfigError:
        return None


def _top_level(
    args: argparse.Namespace, config: Config, step_id: str | None = None
) -> TopLevel | None:
    """Where the artifact goes besides the run store, as --out and --format ask: the --out
    file (in the --format), else, for a step, its place in the artifacts directory."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.exports import render_export
    from lane_tasks.run import TopLevel

    if args.out:
        config_path = _sarif_config(args)
        fmt = args.format
        return TopLevel(
            path=output_path(args, args.out),
            shown=args.out,
            render=lambda doc: render_export(fmt, doc, config_path=config_path),
        )
    if step_id in STEPS:
        return TopLevel(path=config.artifacts_path() / STEPS[step_id].out, default=True)
    return None


def _show(
    args: argparse.Namespace,
    doc: dict[str, Any],
    notices: tuple[str, ...],
    *,
    streamed: bool = False,
) -> None:
    """Print the report as --format asks (with --out, the text report unless --quiet) and
    the run's notices. `streamed`: the results' lines were already printed where the report
    goes, which then repeats only the problems."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.exports import render_export

    if args.out:
        for notice in notices:
            sys.stderr.write(notice + "\n")
        if not args.quiet:
            sys.stdout.write(render_text(doc, streamed=streamed))
        return
    if streamed and args.format == "text":
        text = render_text(doc, streamed=True)
    else:
        text = render_export(args.format, doc, config_path=_sarif_config(args))
    sys.stdout.write(text)
    for notice in notices:
        sys.stderr.write(notice + "\n")


_SUFFIX_FORMATS = (
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".xml", "junit"),
    (".txt", "text"),
)
_ALSO_FITS = {".json": ("sarif", "codequality")}
"""A `.json` file may hold SARIF or GitLab Code Quality too (both are JSON): `--format sarif
--out results.json`, `--format codequality --out gl-code-quality-report.json`."""


def _settle_output(args: argparse.Namespace) -> None:
    """Before anything runs: --out passes the guard and is not a directory, and --format is
    what its suffix says when not given (`--out x.json` writes JSON); a --format that
    contradicts the suffix is refused. A step that runs for minutes must not fail at the end
    for its output path."""
    out = getattr(args, "out", None)
    if not out:
        if getattr(args, "format", None) is None:
            args.format = "text"
        return
    output_path(args, out)  # outside the repository, or a directory: refused now
    name = Path(out).name.lower()
    suffix, inferred = next(((s, f) for s, f in _SUFFIX_FORMATS if name.endswith(s)), ("", None))
    allowed = getattr(args, "out_formats", None)
    if args.format is None and inferred is not None and inferred not in (allowed or (inferred,)):
        raise ConfigError(
            f"'{out}': a {suffix} file holds {inferred}, which this command does not "
            f"write (formats: {', '.join(allowed or ())})",
            key="--out",
        )
    if args.format is None:
        args.format = inferred or "text"
        return
    if (
        inferred is not None
        and args.format != inferred
        and args.format not in _ALSO_FITS.get(suffix, ())
    ):
        raise ConfigError(
            f"'{args.format}' contradicts --out {out} (a {suffix} file holds "
            f"{inferred}); drop --format or change the file name",
            key="--format",
        )


_JUNIT_STEPS = ("gate-fast", "gate-release")


def _artifact_hint(args: argparse.Namespace, name: str) -> str:
    """Where this project keeps an artifact of that name (its `artifacts_dir`, which init
    sets to .lane-tasks while the examples say build/), as a "did you mean"."""
    try:
        config = _config(args)
    except LaneTasksError:
        return ""
    there = config.artifacts_path() / name
    if not there.is_file():
        return f" (this project's artifacts are in {config.shown(config.artifacts_path())}/)"
    return f" (did you mean {config.shown(there)}?)"


def _export(args: argparse.Namespace) -> int:
    """An artifact already written, in another format: CI report steps never re-run a check."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.exports import render_export

    _settle_output(args)
    doc, problem = read_artifact(Path(args.artifact))
    if doc is None and problem and not Path(args.artifact).exists():
        problem += _artifact_hint(args, Path(args.artifact).name)
    if doc is None or problem:
        raise ConfigError(problem or f"{args.artifact}: not an artifact")
    if args.format == "junit" and doc.get("step") not in _JUNIT_STEPS:
        raise ConfigError(
            f"JUnit is for {' and '.join(_JUNIT_STEPS)} artifacts, not {doc.get('step')}",
            key="--format",
        )
    try:
        config_path: Path | None = Path(args.config) if args.config else find_config()
    except ConfigError:
        config_path = None
    text = render_export(args.format, doc, config_path=config_path)
    if args.out:
        atomic_write(output_path(args, args.out), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _output_options(
    p: argparse.ArgumentParser, *, stable: bool = True, formats: tuple[str, ...] = ("json", "text")
) -> None:
    p.add_argument(
        "--format",
        choices=formats,
        default=None,
        help="output format (default: from the --out suffix, .json .sarif .xml; else text)",
    )
    p.set_defaults(out_formats=formats)
    if stable:
        p.add_argument(
            "--stable-json",
            action="store_true",
            help="sorted keys, no timestamps or durations: same inputs give the same bytes",
        )
    p.add_argument("--out", metavar="FILE", help="write the artifact here (atomically)")
    add_out_guard(p)
    p.add_argument("-q", "--quiet", action="store_true", help="with --out, print nothing")
    p.add_argument("--lane", help="the lane this step runs for (recorded in the artifact)")
    p.add_argument(
        "--run-id",
        help="also keep the artifact in the run store under this run id (nox sessions pass it)",
    )


def _run_step_cmd(step_id: str) -> Callable[[argparse.Namespace], int]:
    """The command of a step: flags to StepOptions, the run package runs and records it."""

    def cmd(args: argparse.Namespace) -> int:
        # start-up cost: loaded only when this command runs
        from lane_tasks.run import StepOptions, join_run, run_step, step_config

        path = Path(args.config) if args.config else None
        config, config_error = step_config(step_id, path, loaded=_loaded(args))
        run = join_run(config, args.run_id, lane=args.lane)
        _settle_output(args)
        top = _top_level(args, config, step_id if config_error is None else None)
        check = getattr(args, "check", None)
        options = StepOptions(
            stable=bool(getattr(args, "stable_json", False)),
            jobs=getattr(args, "jobs", None),
            fail_fast=getattr(args, "fail_fast", False),
            only=tuple(check) if check is not None else None,
            version=getattr(args, "version", None),
            offline=getattr(args, "offline", False),
            sign_key=getattr(args, "sign_key", None),
            no_cache=getattr(args, "no_cache", False),
            quiet=getattr(args, "quiet", False),
            config_error=config_error,
        )
        done = run_step(config, run, step_id, options, top_level=top)
        with shielded(reraise=done.exit_code != EXIT_INTERRUPTED):
            _show(
                args, done.doc, done.notices, streamed=done.report.streamed and same_destination()
            )
        if not args.quiet:
            for path in done.attested:
                sys.stderr.write(f"wrote {path}\n")
        return done.exit_code

    return cmd


# ---- contract index -------------------------------------------------------------------------


def _contract_index_verify(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.steps.contract_index import verify_index

    config = _config(args)
    report = verify_index(
        config,
        Path(args.index) if args.index else None,
        Path(args.public_key) if args.public_key else None,
    )
    out = canonical_json(report.to_json()) if args.format == "json" else report.render()
    sys.stdout.write(out)
    return report.exit_code


# ---- controls -------------------------------------------------------------------------------


def _controls_verify(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.run import join_run, kpi_lines, verify_controls

    config = _config(args)
    lane = config.resolve(args.lane)
    _settle_output(args)
    run = join_run(config, args.run_id, lane=lane.name)
    done = verify_controls(
        config, run, lane.name, stable=args.stable_json, top_level=_top_level(args, config)
    )
    with shielded():
        _show(args, done.doc, done.notices)
    if args.run_id and args.out and not args.quiet:
        sys.stdout.write(kpi_lines(config, lane))  # a lane's run shows its emphasised KPIs
    return done.exit_code


def _controls_list(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.controls import CONTROLS

    rows = [
        {
            "id": cid,
            "title": CATALOG[cid].title,
            "checks": CONTROLS[cid].description(),
            "evidence": CONTROLS[cid].evidence,
            "how_to_satisfy": CONTROLS[cid].fix,
        }
        for cid in CATALOG
    ]
    if args.format == "json":
        sys.stdout.write(canonical_json(rows))
    else:
        for r in rows:
            sys.stdout.write(
                f"{r['id']}: {r['title']}\n  checks:   {r['checks']}\n"
                f"  evidence: {r['evidence']}\n  satisfy:  {r['how_to_satisfy']}\n"
            )
    return EXIT_OK


def _release_decide(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.releases.decision import decide

    config = _config(args)
    path = decide(
        config,
        version=args.version,
        decision=args.decision,
        owner=args.owner,
        reason=args.reason,
        override_reason=args.override_reason,
        preflight_path=Path(args.preflight) if args.preflight else None,
        sign_key=Path(args.sign_key) if args.sign_key else None,
    )
    rel = path.relative_to(config.root).as_posix()
    sys.stdout.write(
        f"{args.decision} for {args.version} by {args.owner}: wrote {rel}"
        f"{_signed(config, args, path)} (commit it)\n"
    )
    return EXIT_OK


def _signed(config: Config, args: argparse.Namespace, record: Path) -> str:
    """` and its signature X.dsse.json`, or nothing (with a note on stderr when lanes.toml
    lists [signing.keys], whose controls refuse an unsigned record)."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.record_signature import envelope_path

    if args.sign_key:
        return f" and its signature {config.shown(envelope_path(record))}"
    if config.signing.keys:
        sys.stderr.write(
            f"lane-tasks: note: {config.shown(record)} is not signed; lanes.toml lists "
            "[signing.keys], so the controls will refuse it: record it again with --sign-key\n"
        )
    return ""


def _release_checklist(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.releases.checklist import build_checklist

    config = _config(args)
    built = build_checklist(
        config,
        version=args.version,
        run_id=args.run_id,
        allow_incomplete=args.allow_incomplete,
        sign_key=Path(args.sign_key) if args.sign_key else None,
    )
    items = built.record["items"]
    done = sum(1 for i in items if i["done"])
    rel = built.path.relative_to(config.root).as_posix()
    sys.stdout.write(
        f"checklist for {built.record['version']} from run {built.record['run_id'] or '-'}: "
        f"{done}/{len(items)} items done; wrote {rel}{_signed(config, args, built.path)} "
        "(commit it with its evidence/)\n"
    )
    for i in items:
        sys.stdout.write(f"  {'done' if i['done'] else 'NOT DONE':<8} {i['id']}: {i['note']}\n")
    return EXIT_OK


# ---- kpi ------------------------------------------------------------------------------------


def _kpi_review(args: argparse.Namespace) -> int:
    import json

    # start-up cost: loaded only when this command runs
    from lane_tasks.kpi.review import record_review
    from lane_tasks.util.clock import utc_now

    config = _config(args)
    path = record_review(
        config,
        reviewer=args.reviewer,
        notes=args.notes,
        lane=args.lane,
        now=utc_now(args.now),
        sign_key=Path(args.sign_key) if args.sign_key else None,
    )
    record = json.loads(path.read_text(encoding="utf-8"))
    unknown = sum(1 for k in record["kpis"] if k["value"] is None)  # too little data yet
    rel = path.relative_to(config.root).as_posix()
    sys.stdout.write(
        f"KPI review of lane {record['lane']} by {record['reviewer']} at {record['reviewed_at']}: "
        f"{len(record['kpis'])} KPIs, {unknown} unknown; wrote {rel}"
        f"{_signed(config, args, path)} (commit it)\n"
    )
    return EXIT_OK


# ---- compat ---------------------------------------------------------------------------------


def _compat_snapshot(args: argparse.Namespace) -> int:
    """Write (or --check) the generated snapshot: the user's project's surface with [compat]
    source = "project", else lane-tasks' own."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.compat.snapshot import SnapshotProblem, generated_snapshot, live_snapshot
    from lane_tasks.compat.snapshot import render_snapshot as render

    config: Config | None
    if args.out:
        try:
            config = _config(args)
        except ConfigError:
            config = None  # lane-tasks' own surface needs no lanes.toml
        path, shown = output_path(args, args.out), args.out
    else:
        config = _config(args)
        if config.compat.source not in ("lane-tasks", "project"):
            raise ConfigError(
                f"compat.source is '{config.compat.source}': {config.compat.snapshot} is yours to "
                'maintain; set [compat] source = "project" to have it generated from your '
                "package's API, console scripts and schemas (or give --out to write lane-tasks' "
                "own surface elsewhere)",
                path=config.path,
            )
        path, shown = config.root / config.compat.snapshot, config.compat.snapshot
    project = config is not None and config.compat.source == "project"
    try:
        snapshot = generated_snapshot(config) if project and config else live_snapshot()
    except SnapshotProblem as exc:
        raise EnvironmentProblem(f"compat snapshot: {exc}") from None
    if snapshot.is_empty():
        raise ConfigError(
            "compat snapshot: the surface is empty (no public Python API, console script or "
            "[compat] schemas found): it would check nothing; set [compat] packages or schemas"
        )
    text = render(snapshot)
    what = "the public API, console scripts and schemas" if project else "the CLI and the schemas"
    if args.check:
        fix = f"run `lane-tasks compat snapshot{f' --out {shown}' if args.out else ''}`"
        if not path.is_file():
            sys.stdout.write(f"{shown}: does not exist ({fix})\n")
            return EXIT_FAIL
        if path.read_text(encoding="utf-8", errors="replace") != text:
            sys.stdout.write(f"{shown}: stale, {what} changed ({fix})\n")
            return EXIT_FAIL
        sys.stdout.write(f"{shown}: matches {what}\n")
        return EXIT_OK
    atomic_write(path, text)
    counts = f"{len(snapshot.api)} API name(s), {len(snapshot.cli)} command(s), "
    counts += f"{len(snapshot.schemas)} schema(s)"
    sys.stdout.write(f"wrote {shown} ({counts})\n")
    return EXIT_OK


def _compat_diff(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.compat.snapshot import SnapshotProblem, current_snapshot
    from lane_tasks.controls.compat_policy import compare
    from lane_tasks.project.git import release_tags, resolve_rev

    config = _config(args)
    tags = release_tags(config.root, config.release.tag_pattern)
    if args.against:
        if resolve_rev(config.root, args.against) is None:
            raise ConfigError(f"--against: '{args.against}' is not a tag or commit")
        rev = args.against
        tag = next((t for t in tags if t.name == rev), None)
    elif tags:
        tag = tags[0]
        rev = tag.name
    else:
        tag, rev = None, None
    try:
        current = current_snapshot(config)
        result = None if rev is None else compare(config, current, tag, rev)
    except SnapshotProblem as exc:
        raise ConfigError(str(exc)) from None
    rel = config.compat.snapshot
    note = None
    if rev is None:
        note = "no release tag to compare with"
    elif result is None:
        note = f"{rev} predates the snapshot ({rel} is not in it)"
    judged = [] if result is None else list(result.judged)
    version = None if result is None else result.current_version
    refused = [j for j in judged if not j.allowed]
    status = "fail" if refused else "pass"
    if args.format == "json":
        doc = {
            "against": rev,
            "against_version": None if tag is None else str(tag.version),
            "version": None if version is None else str(version),
            "policy": config.compat.policy,
            "snapshot": rel,
            "source": config.compat.source,
            "note": note,
            "status": status,
            "changes": [j.to_json() for j in judged],
        }
        sys.stdout.write(canonical_json(doc))
        return EXIT_FAIL if refused else EXIT_OK
    if note:
        sys.stdout.write(f"compat diff: {note}\n")
        return EXIT_OK
    assert result is not None
    versions = f"{result.against_version or '?'} -> {result.current_version or '?'}"
    sys.stdout.write(
        f"compat diff against {rev} ({versions}, policy {config.compat.policy}): "
        f"{len(judged)} change(s), {len(refused)} not allowed\n"
    )
    for j in judged:
        mark = "ok     " if j.allowed else "REFUSED"
        kind = "breaking" if j.change.breaking else "additive"
        sys.stdout.write(f"  {mark} {kind:<8} {j.change.describe()}: {j.reason}\n")
    return EXIT_FAIL if refused else EXIT_OK


# ---- lanes, runs, init ----------------------------------------------------------------------


def _lanes_list(args: argparse.Namespace) -> int:
    config = _config(args)
    for lane in config.resolved_lanes():
        extends = f" (extends {lane.chain[-2]})" if len(lane.chain) > 1 else ""
        sys.stdout.write(
            f"{lane.name}{extends}: {len(lane.steps)} steps, {len(lane.controls)} controls, "
            f"{len(lane.kpis)} KPIs - {lane.description}\n"
        )
    return EXIT_OK


def _lanes_show(args: argparse.Namespace) -> int:
    lane = _config(args).resolve(args.lane)
    if args.format == "json":
        sys.stdout.write(canonical_json(lane.to_json()))
        return EXIT_OK
    out = [f"lane {lane.name}: {lane.description}"]
    if len(lane.chain) > 1:
        out.append(f"  extends: {' -> '.join(reversed(lane.chain[:-1]))}")
    for kind in ("steps", "controls", "kpis"):
        out.append(f"  {kind}:")
        for item in getattr(lane, kind):
            out.append(f"    {item.id:<32} from {item.origin}")
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def _lanes_validate(args: argparse.Namespace) -> int:
    config = load_config(
        Path(args.path) if args.path else (Path(args.config) if args.config else None)
    )
    names = ", ".join(config.lanes)
    sys.stdout.write(f"{config.path}: ok ({len(config.lanes)} lanes: {names})\n")
    return EXIT_OK


def _recommend_config(args: argparse.Namespace) -> Config:
    """lanes.toml when there is one; else the lanes `lane-tasks init` would write."""
    if args.config:
        return _config(args)
    try:
        path = find_config()
    except ConfigError:
        # start-up cost: loaded only when this command runs
        from lane_tasks.adopt.init_repo import default_lanes_toml

        root = Path.cwd()
        return parse_config(default_lanes_toml(root), root / "lanes.toml")
    return load_config(path)


def _lanes_recommend(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.adopt.recommend import BASELINE, ask, constraints_from, recommend

    config = _recommend_config(args)
    constraints = constraints_from(args.constraint, args.teams, args.audit)
    flags = bool(args.constraint) or args.teams is not None or args.audit is not None
    if not flags and sys.stdin.isatty():

        def read(prompt: str) -> str:
            sys.stderr.write(prompt)
            sys.stderr.flush()
            return sys.stdin.readline()

        constraints = ask(read) or (BASELINE,)
    rec = recommend(config, constraints)
    source = config.path.name if config.path.is_file() else "the lanes `lane-tasks init` writes"
    if args.format == "json":
        sys.stdout.write(canonical_json({**rec.to_json(), "lanes_from": source}))
    else:
        sys.stdout.write(f"{rec.lane}\n  why: {rec.reason}\n  lanes from: {source}\n")
    return EXIT_OK


def _lanes_docs(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.docs.lanes_page import first_difference, render_lanes_md
    from lane_tasks.steps.drift import LANES_DOC

    config = _config(args)
    if args.out_dir:
        return _docs_dir(config, args)
    text = render_lanes_md(config)
    if args.check:
        path = Path(args.out) if args.out else config.root / LANES_DOC
        shown = args.out or LANES_DOC
        fix = f"run `lane-tasks lanes docs --out {shown}`"
        if not path.is_file():
            sys.stdout.write(f"{shown}: does not exist ({fix})\n")
            return EXIT_FAIL
        diff = first_difference(text, path.read_text(encoding="utf-8", errors="replace"))
        if diff is not None:
            line, found, expected = diff
            sys.stdout.write(
                f"{shown}:{line}: differs from lanes.toml: found {found!r}, "
                f"expected {expected!r} ({fix})\n"
            )
            return EXIT_FAIL
        sys.stdout.write(f"{shown}: matches lanes.toml\n")
    elif args.out:
        atomic_write(output_path(args, args.out), text)
        sys.stdout.write(f"wrote {args.out}\n")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _docs_dir(config: Config, args: argparse.Namespace) -> int:
    """`lanes docs --out-dir DIR`: lanes.md and the role quickstarts, written or checked."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.docs.lanes_page import first_difference, render_docs

    if args.out:
        raise ConfigError("give --out or --out-dir, not both", key="--out-dir")
    base = output_path(args, args.out_dir, "--out-dir", directory=True)
    stale = 0
    for rel, text in render_docs(config).items():
        shown = f"{args.out_dir.rstrip('/')}/{rel}"
        path = base / rel
        if not args.check:
            atomic_write(path, text)
            sys.stdout.write(f"wrote {shown}\n")
            continue
        fix = f"run `lane-tasks lanes docs --out-dir {args.out_dir}`"
        if not path.is_file():
            sys.stdout.write(f"{shown}: does not exist ({fix})\n")
            stale += 1
            continue
        diff = first_difference(text, path.read_text(encoding="utf-8", errors="replace"))
        if diff is not None:
            line, found, expected = diff
            sys.stdout.write(
                f"{shown}:{line}: differs from lanes.toml: found {found!r}, "
                f"expected {expected!r} ({fix})\n"
            )
            stale += 1
        else:
            sys.stdout.write(f"{shown}: matches lanes.toml\n")
    return EXIT_FAIL if stale else EXIT_OK


def _runs_list(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.evidence.store import list_runs, shown_status
    from lane_tasks.util.durations import elapsed

    config = _config(args)
    rows: list[dict[str, Any]] = []
    for rec in list_runs(config):
        m = rec.manifest or {}
        run = m.get("run") or {}
        rows.append(
            {
                "id": rec.id,
                "lane": m.get("lane"),
                "status": shown_status(m),
                "state": run.get("state"),
                "started_at": run.get("started_at"),
                "duration_s": run.get("duration_s"),
                "commit": (m.get("subject") or {}).get("commit"),
                "steps": {r["id"]: r["status"] for r in m.get("results", [])},
                "problem": rec.problem,
            }
        )
    if args.format == "json":
        sys.stdout.write(canonical_json(rows))
        return EXIT_OK
    if not rows:
        sys.stdout.write("no runs yet (run a lane: nox -s <lane>)\n")
    else:  # the run id is its UTC start (20261202T051256Z): said once, in the header
        head = f"{'RUN (UTC START)':<23}  {'LANE':<10} {'STATUS':<11} {'TOOK':>10}  {'COMMIT':<12}"
        sys.stdout.write(f"{head}  STEPS\n")
    for r in rows:
        steps = " ".join(f"{k}={v}" for k, v in r["steps"].items())
        commit = (r["commit"] or "-")[:12]
        took = r["duration_s"]
        took = elapsed(took) if isinstance(took, int | float) else "-"
        sys.stdout.write(
            f"{r['id']}  {r['lane'] or '-':<10} {r['status']:<11} {took:>10}  {commit}  {steps}"
            f"{'  ' + r['problem'] if r['problem'] else ''}\n"
        )
    return EXIT_OK


def _ownership_show(args: argparse.Namespace) -> int:
    """The ownership matrix the ownership-matrix control judges: one row per item."""
    # start-up cost: loaded only when this command runs
    from lane_tasks.governance import NO_CONTACT, UNDEFINED, ownership_matrix

    config = _config(args)
    matrix = ownership_matrix(config, config.resolve(args.lane) if args.lane else None)
    if args.format == "json":
        sys.stdout.write(canonical_json([r.to_json() for r in matrix.rows]))
        return EXIT_OK
    shown = {UNDEFINED: "undefined team", NO_CONTACT: "NO CONTACT"}
    sys.stdout.write(f"{'kind':<8} {'id':<28} {'team':<16} contact\n")
    for r in matrix.rows:
        team = r.team or "UNOWNED"
        contact = r.contact or shown.get(r.problem or "", "-")
        sys.stdout.write(f"{r.kind:<8} {r.id:<28} {team:<16} {contact}\n")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    # start-up cost: loaded only when this command runs
    from lane_tasks.adopt.init_repo import init_repo

    report = init_repo(Path(args.path).resolve(), lane=args.lane, force=args.force)
    for line in report.choices:
        sys.stdout.write(f"init: {line}\n")
    for path in report.written:
        sys.stdout.write(f"wrote {path}\n")
    for path, why in report.kept:
        sys.stdout.write(f"kept {path}: {why}\n")
    if not report.written and report.complete:
        sys.stdout.write("nothing to do: this repository has adopted lane-tasks already\n")
    for command in report.next_commands:
        sys.stdout.write(f"next: {command}\n")
    return EXIT_OK


# ---- parser ---------------------------------------------------------------------------------


def add_record_sign_key(parser: argparse.ArgumentParser, whose: str) -> None:
    parser.add_argument(
        "--sign-key",
        metavar="KEYFILE",
        help=f"{whose} ed25519 private key (PEM, PKCS8): also write the record's signed DSSE "
        "envelope beside it (<record>.dsse.json)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lane-tasks",
        description="Release-confidence lanes (startup, scale, regulated) for Python projects.",
    )
    parser.add_argument("--version", action="version", version=f"lane-tasks {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="lanes.toml, or a pyproject.toml with [tool.lane-tasks] (default: the first of "
        "them found upward from the cwd)",
    )
    parser.add_argument(
        "--color",
        choices=COLOR_CHOICES,
        help="colour and a live status line on stderr (default auto: at a terminal, unless "
        "NO_COLOR or CI is set; FORCE_COLOR forces colour)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    gate = sub.add_parser("gate", help="run a gate (fast, release)")
    gsub = gate.add_subparsers(dest="gate", metavar="GATE", parser_class=_Parser)
    gsub.required = True
    fast = gsub.add_parser("fast", help="run the quick checks from [gate.fast.checks]")
    _output_options(fast, formats=("json", "text", "sarif", "junit"))
    fast.add_argument("--jobs", "-j", type=int, help="checks run at once (default: CPUs)")
    fast.add_argument("--fail-fast", action="store_true", help="stop the other checks on a failure")
    fast.add_argument(
        "--check", action="append", metavar="ID", help="run only this check (repeatable)"
    )
    fast.add_argument(
        "--no-cache",
        action="store_true",
        help="run every check, even those whose inputs have not changed since they last ran",
    )
    fast.set_defaults(func=_run_step_cmd("gate-fast"))
    release = gsub.add_parser("release", help="release preflight for this commit")
    _output_options(release, formats=("json", "text", "sarif", "junit"))
    release.add_argument(
        "--version", help="the version you mean to release (must be the project's)"
    )
    release.add_argument(
        "--offline", action="store_true", help="build without isolation (no network needed)"
    )
    release.set_defaults(func=_run_step_cmd("gate-release"))

    doctor = sub.add_parser("doctor", help="check the repository is set up for the lanes")
    _output_options(doctor, formats=("json", "text", "sarif"))
    doctor.set_defaults(func=_run_step_cmd("doctor"))

    drift = sub.add_parser("drift", help="canonical-path drift")
    dsub = drift.add_subparsers(dest="drift", metavar="ACTION", parser_class=_Parser)
    dsub.required = True
    dcheck = dsub.add_parser("check", help="find drift between lanes.toml, nox, CI and docs")
    _output_options(dcheck, formats=("json", "text", "sarif"))
    dcheck.set_defaults(func=_run_step_cmd("drift-check"))

    cindex = sub.add_parser(
        "contract-index",
        help="index every artifact of a run (alone: build; `verify`: check an index)",
    )
    _output_options(cindex)
    cindex.add_argument(
        "--sign-key",
        metavar="KEYFILE",
        help="ed25519 private key (PEM, PKCS8): also write a signed DSSE envelope",
    )
    cindex.set_defaults(func=_run_step_cmd("contract-index"))
    cisub = cindex.add_subparsers(dest="contract_index", metavar="[verify]", parser_class=_Parser)
    civ = cisub.add_parser(
        "verify", help="recompute every digest; report missing, modified and unexpected files"
    )
    civ.add_argument(
        "--index",
        metavar="FILE",
        help="the index or its in-toto statement (default: build/contract-index.json)",
    )
    civ.add_argument(
        "--public-key",
        metavar="KEYFILE",
        help="ed25519 public key (PEM): check the DSSE signature over the statement",
    )
    civ.add_argument("--format", choices=("json", "text"), default="text", help="output format")
    civ.set_defaults(func=_contract_index_verify)

    export = sub.add_parser(
        "export",
        help="an artifact in another format (SARIF, JUnit, GitLab Code Quality, text), "
        "without re-running its step",
    )
    export.add_argument("artifact", metavar="ARTIFACT", help="e.g. build/gate-fast.json")
    export.add_argument(
        "--format", required=True, choices=("sarif", "junit", "codequality", "text")
    )
    export.add_argument("--out", metavar="FILE", help="write it here (atomically)")
    add_out_guard(export)
    export.set_defaults(func=_export)

    controls = sub.add_parser("controls", help="verify or list controls")
    csub = controls.add_subparsers(dest="controls", metavar="ACTION", parser_class=_Parser)
    csub.required = True
    verify = csub.add_parser("verify", help="verify a lane's controls from a run's evidence")
    _output_options(verify)
    verify.set_defaults(func=_controls_verify)
    for a in verify._actions:
        if a.dest == "lane":
            a.required = True
            a.help = "the lane whose controls (own and inherited) to verify"
        if a.dest == "run_id":
            a.help = "the run to verify and record into (default: the newest run)"
    clist = csub.add_parser("list", help="every control: what it checks and how to satisfy it")
    clist.add_argument("--format", choices=("json", "text"), default="text")
    clist.set_defaults(func=_controls_list)

    compat = sub.add_parser("compat", help="the API/CLI/schema compatibility snapshot and its diff")
    compsub = compat.add_subparsers(dest="compat", metavar="ACTION", parser_class=_Parser)
    compsub.required = True
    csnap = compsub.add_parser(
        "snapshot",
        help="write the compat snapshot (source project: your package's public API, console "
        "scripts and schemas; else lane-tasks' own), or --check it",
    )
    csnap.add_argument(
        "--out", metavar="PATH", help="write it here (default: [compat] snapshot in lanes.toml)"
    )
    csnap.add_argument(
        "--check", action="store_true", help="exit 1 when the file differs from the live surface"
    )
    add_out_guard(csnap)
    csnap.set_defaults(func=_compat_snapshot)
    cdiff = compsub.add_parser(
        "diff", help="changes since the latest release tag's snapshot, each judged by the policy"
    )
    cdiff.add_argument(
        "--against", metavar="TAG", help="compare with this tag or commit (default: latest release)"
    )
    cdiff.add_argument("--format", choices=("json", "text"), default="text", help="output format")
    cdiff.set_defaults(func=_compat_diff)

    rel = sub.add_parser("release", help="release decisions")
    relsub = rel.add_subparsers(dest="release", metavar="ACTION", parser_class=_Parser)
    relsub.required = True
    decide = relsub.add_parser("decide", help="record a go/no-go decision by a release owner")
    decide.add_argument("--version", required=True, help="the version decided on")
    decide.add_argument("--decision", required=True, choices=("go", "no-go"))
    decide.add_argument("--owner", required=True, help="one of project.release_owners")
    decide.add_argument("--reason", help="why (recorded)")
    decide.add_argument(
        "--override-reason", help="go although the preflight did not pass (recorded)"
    )
    decide.add_argument("--preflight", metavar="FILE", help="default: build/release-preflight.json")
    add_record_sign_key(decide, "the owner's")
    decide.set_defaults(func=_release_decide)
    checklist = relsub.add_parser(
        "checklist",
        help="attach the release checklist of a version, built from a run and the decision",
    )
    checklist.add_argument("--version", required=True, help="the version cut")
    checklist.add_argument(
        "--run-id", help="the run whose artifacts are the evidence (default: the newest run)"
    )
    checklist.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="write it even when an item is not done (recorded as not done)",
    )
    add_record_sign_key(checklist, "a release owner's")
    checklist.set_defaults(func=_release_checklist)
    add_rollback(relsub)

    lanes = sub.add_parser("lanes", help="show and validate lanes.toml")
    lsub = lanes.add_subparsers(dest="lanes", metavar="ACTION", parser_class=_Parser)
    lsub.required = True
    llist = lsub.add_parser("list", help="the lanes, resolved")
    llist.set_defaults(func=_lanes_list)
    lshow = lsub.add_parser("show", help="one lane with every item and the lane it came from")
    lshow.add_argument("lane")
    lshow.add_argument("--format", choices=("json", "text"), default="text")
    lshow.set_defaults(func=_lanes_show)
    lval = lsub.add_parser("validate", help="validate lanes.toml (exit 2 with file:line on error)")
    lval.add_argument("path", nargs="?")
    lval.set_defaults(func=_lanes_validate)
    ldocs = lsub.add_parser("docs", help="render docs/lanes.md from lanes.toml (or --check it)")
    ldocs.add_argument("--out", metavar="FILE", help="write it here (default: print it)")
    ldocs.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the file (--out, default docs/lanes.md) differs from lanes.toml",
    )
    ldocs.add_argument(
        "--out-dir",
        metavar="DIR",
        help="write (or --check) DIR/lanes.md and the role quickstarts DIR/quickstart/<role>.md",
    )
    add_out_guard(ldocs)
    ldocs.set_defaults(func=_lanes_docs)
    lrec = lsub.add_parser(
        "recommend", help="the smallest lane that meets your constraints, and why"
    )
    lrec.add_argument(
        "--constraint",
        action="append",
        choices=("fast-onboarding", "cross-team", "audit"),
        help="a constraint you must meet (repeatable)",
    )
    lrec.add_argument("--teams", type=int, metavar="N", help="how many teams release this way")
    lrec.add_argument(
        "--audit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether releases must be audit-ready with strict escalation",
    )
    lrec.add_argument("--format", choices=("json", "text"), default="text")
    lrec.set_defaults(func=_lanes_recommend)

    ksub = add_commands(sub, _Parser)  # history, events, triage, kpi, dashboard
    kreview = ksub.add_parser(
        "review", help="record a KPI review (UTC time, reviewer, the KPI values seen)"
    )
    kreview.add_argument("--reviewer", required=True, help="who reviewed (kpi.reviewers if set)")
    kreview.add_argument("--notes", help="what was noticed or decided (recorded)")
    kreview.add_argument(
        "--lane",
        help="the lane whose KPIs were reviewed (default: the default lane, if it has "
        "weekly-kpi-review, else the first lane that has it)",
    )
    add_record_sign_key(kreview, "the reviewer's")
    kreview.add_argument("--now", help=argparse.SUPPRESS)  # tests: an ISO 8601 UTC time
    kreview.set_defaults(func=_kpi_review)

    runs = sub.add_parser("runs", help="the run store")
    rsub = runs.add_subparsers(dest="runs", metavar="ACTION", parser_class=_Parser)
    rsub.required = True
    rlist = rsub.add_parser("list", help="kept runs, newest first")
    rlist.add_argument("--format", choices=("json", "text"), default="text")
    rlist.set_defaults(func=_runs_list)

    owners = sub.add_parser("ownership", help="the team ownership matrix")
    osub = owners.add_subparsers(dest="ownership", metavar="ACTION", parser_class=_Parser)
    osub.required = True
    oshow = osub.add_parser(
        "show", help="every gate check, step and control with its team and contact"
    )
    oshow.add_argument("--lane", help="only this lane's items (default: every lane's)")
    oshow.add_argument("--format", choices=("json", "text"), default="text")
    oshow.set_defaults(func=_ownership_show)

    init = sub.add_parser("init", help="adopt lane-tasks in a repository (lanes.toml + noxfile.py)")
    init.add_argument("path", nargs="?", default=".")
    init.add_argument("--lane", choices=("startup", "scale", "regulated"), default="startup")
    init.add_argument(
        "--force",
        action="store_true",
        help="rewrite an existing lanes.toml (the noxfile is only ever added to)",
    )
    init.set_defaults(func=_init)
    apply_help(parser)  # each command's description and example: lane_tasks/cli_help.py
    return parser


def _open_closed_std_streams() -> None:
    """A standard stream closed by the caller (`lane-tasks … >&-`, a service without stdin)
    reads as /dev/null: else writing the report is a traceback, and the next file opened
    would take the free descriptor 0-2 and be inherited as a tool's stdin or stdout."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, encoding="utf-8", closefd=False))  # noqa: SIM115


def main(argv: Sequence[str] | None = None, *, config: Config | None = None) -> int:
    """The `lane-tasks` command. `config`: lanes.toml already loaded by the caller (the nox
    sessions), used when the command's --config names the same file."""
    _open_closed_std_streams()
    unsupported = platform_problem(os.name)
    if unsupported is not None:
        sys.stderr.write(f"lane-tasks: error: {unsupported}\n")
        return unsupported.exit_code
    install()  # SIGTERM as well as SIGINT stops the tools and leaves a partial artifact
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asks for completions; else never imported
        import argcomplete  # start-up cost

        argcomplete.autocomplete(parser)  # answers on fd 8 and exits
    args = parser.parse_args(argv)
    args.loaded_config = config
    if args.color:
        set_color(args.color)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except LaneTasksError as exc:
        sys.stderr.write(f"lane-tasks: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("lane-tasks: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAIL
    except OSError as exc:  # a read-only, full or missing directory: one line, exit 3
        problem = os_problem(exc)
        sys.stderr.write(f"lane-tasks: error: {problem}\n")
        return problem.exit_code
