"""The compat-policy and deprecation-windows controls, `compat snapshot` and `compat diff`, on
real git repositories whose snapshots are committed at release tags."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import REPO_ROOT, Templates, commit_all, git, make_project, run_cli, write

from lane_tasks.compat.deprecation_items import covers, has_item
from lane_tasks.compat.diff import Change, diff
from lane_tasks.compat.snapshot import Snapshot, flatten_schema, live_snapshot, render_snapshot

SNAPSHOT = "compat-snapshot.json"

CLI: dict[str, list[str]] = {
    "": ["--help", "--version"],
    "report": ["--format", "--help", "--old-flag"],
    "report show": ["--help", "--id"],
}
FIELDS: dict[str, dict[str, Any]] = {
    "schema": {"type": ["string"], "required": True},
    "results": {"type": ["array"], "required": True},
    "results[]": {"type": ["object"], "required": False},
    "results[].id": {"type": ["string"], "required": True},
    "results[].old_field": {"type": ["string"], "required": False},
    "note": {"type": ["string", "null"], "required": False},
}


def snapshot_doc(
    cli: dict[str, list[str]] | None = None, fields: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "schema": "lane-tasks/compat-snapshot",
        "schema_version": "1.0",
        "cli": CLI if cli is None else cli,
        "schemas": {"report": FIELDS if fields is None else fields},
    }


def configure(root: Path, **tables: Any) -> None:
    """Merge tables into lanes.toml ([compat] source = "file" unless given) and commit."""
    config = tomllib.loads((root / "lanes.toml").read_text())
    config["compat"] = {"source": "file"}
    config.update(tables)
    (root / "lanes.toml").write_text(tomli_w.dumps(config))
    commit_all(root, "lanes: compat")


def set_version(root: Path, version: str) -> None:
    py = root / "pyproject.toml"
    py.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', py.read_text()))


def release(root: Path, version: str, doc: dict[str, Any], *, tag: bool = True) -> None:
    """Commit version + snapshot; tag it v<version> unless `tag` is False."""
    set_version(root, version)
    write(root, SNAPSHOT, json.dumps(doc, indent=2) + "\n")
    commit_all(root, f"release {version}")
    if tag:
        git(root, "tag", f"v{version}")


def compat_project(root: Path, **tables: Any) -> Path:
    """`root` (make_project's project) configured with `tables` and released as v0.1.0."""
    configure(root, **tables)
    release(root, "0.1.0", snapshot_doc())
    return root


@pytest.fixture
def sample(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project."""
    return templates.copy("compat-sample", make_project, tmp_path)


def _released(d: Path) -> Path:
    return compat_project(make_project(d))


@pytest.fixture
def released(templates: Templates, tmp_path: Path) -> Path:
    """A copy of make_project's project with a file snapshot released as v0.1.0."""
    return templates.copy("compat-released", _released, tmp_path)


def control(root: Path, cid: str, lane: str) -> dict[str, Any]:
    r = run_cli(root, "controls", "verify", "--lane", lane, "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout)
    res: dict[str, Any] = next(x for x in doc["results"] if x["id"] == cid)
    return res


def compat_policy(root: Path) -> dict[str, Any]:
    return control(root, "compat-policy", "scale")


def windows(root: Path) -> dict[str, Any]:
    return control(root, "deprecation-windows", "regulated")


def without(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k not in names}


# ---- compat-policy ----------------------------------------------------------------------------


def test_removed_field_fails_naming_it(released: Path) -> None:
    root = released
    release(root, "0.2.0", snapshot_doc(fields=without(FIELDS, "results[].old_field")), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "schema:report:results[].old_field: field removed" in res["message"]
    assert "since v0.1.0" in res["message"]
    assert res["fix"]


def test_removed_field_in_a_major_bump_passes(released: Path) -> None:
    root = released
    release(root, "1.0.0", snapshot_doc(fields=without(FIELDS, "results[].old_field")), tag=False)
    res = compat_policy(root)
    assert res["status"] == "pass", res["message"]
    assert "major version bump 0.1.0 -> 1.0.0" in res["message"]


def test_strict_policy_wants_a_deprecation_even_in_a_major_bump(sample: Path) -> None:
    root = compat_project(sample, compat={"source": "file", "policy": "strict"})
    release(root, "1.0.0", snapshot_doc(fields=without(FIELDS, "results[].old_field")), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "results[].old_field" in res["message"]


def deprecation(item: str, announced: str = "0.1.0", remove: str = "0.3.0") -> dict[str, str]:
    return {
        "item": item,
        "announced_in": announced,
        "remove_in": remove,
        "runbook": "docs/migrations/old.md",
    }


def test_removal_after_a_passed_deprecation_window_passes(sample: Path) -> None:
    entry = deprecation("schema:report:results[].old_field")
    root = compat_project(sample, deprecations={"items": [entry]})
    release(root, "0.3.0", snapshot_doc(fields=without(FIELDS, "results[].old_field")), tag=False)
    res = compat_policy(root)
    assert res["status"] == "pass", res["message"]
    assert "deprecated in 0.1.0, window ended at 0.3.0" in res["message"]


def test_removal_before_the_deprecation_window_ends_fails(sample: Path) -> None:
    entry = deprecation("schema:report:results[].old_field", remove="0.4.0")
    root = compat_project(sample, deprecations={"items": [entry]})
    release(root, "0.3.0", snapshot_doc(fields=without(FIELDS, "results[].old_field")), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "window ends at 0.4.0 (version is 0.3.0)" in res["message"]


def test_removed_cli_option_fails(released: Path) -> None:
    root = released
    cli = {**CLI, "report": ["--format", "--help"]}
    release(root, "0.2.0", snapshot_doc(cli=cli), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "cli:report --old-flag: option removed" in res["message"]


def test_removed_command_is_listed_once_and_a_parent_deprecation_covers_it(released: Path) -> None:
    root = released
    cli = without(CLI, "report", "report show")
    release(root, "0.2.0", snapshot_doc(cli=cli), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert res["message"].startswith("1 breaking change(s)")
    assert "cli:report: command removed" in res["message"]
    configure(root, deprecations={"items": [deprecation("cli:report", remove="0.2.0")]})
    res = compat_policy(root)
    assert res["status"] == "pass", res["message"]
    assert "cli:report (deprecated in 0.1.0, window ended at 0.2.0)" in res["message"]


def test_newly_required_field_fails(released: Path) -> None:
    root = released
    fields = {
        **FIELDS,
        "note": {"type": ["string", "null"], "required": True},
        "results[].added": {"type": ["integer"], "required": True},
    }
    release(root, "0.2.0", snapshot_doc(fields=fields), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "2 breaking change(s)" in res["message"]
    assert "schema:report:note: field newly required" in res["message"]
    added = "schema:report:results[].added: field newly required (new required field)"
    assert added in res["message"]


def test_retyped_field_fails(released: Path) -> None:
    root = released
    fields = {**FIELDS, "results[].id": {"type": ["integer"], "required": True}}
    release(root, "0.2.0", snapshot_doc(fields=fields), tag=False)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "schema:report:results[].id: field type changed (string -> integer)" in res["message"]


def test_additive_changes_pass(released: Path) -> None:
    root = released
    cli = {**CLI, "report": [*CLI["report"], "--new"], "export": ["--help"]}
    fields = {
        **FIELDS,
        "extra": {"type": ["object"], "required": False},
        "extra.inner": {"type": ["string"], "required": True},  # required under a new parent
        "results[].old_field": {"type": ["string"], "required": False},
        "schema": {"type": ["string"], "required": False},
    }
    release(root, "0.2.0", snapshot_doc(cli=cli, fields=fields), tag=False)
    res = compat_policy(root)
    assert res["status"] == "pass", res["message"]
    assert res["message"] == "no breaking change since v0.1.0 (5 additive)"


def test_compared_with_the_latest_release_tag(released: Path) -> None:
    root = released
    smaller = snapshot_doc(fields=without(FIELDS, "results[].old_field"))
    release(root, "1.0.0", smaller)  # the break happened in a major release
    release(root, "1.1.0", smaller, tag=False)
    res = compat_policy(root)
    assert res["status"] == "pass"
    assert res["message"] == "no breaking change since v1.0.0 (0 additive)"


def test_no_release_tag_passes(sample: Path) -> None:
    root = sample
    configure(root)
    release(root, "0.1.0", snapshot_doc(), tag=False)
    res = compat_policy(root)
    assert res["status"] == "pass"
    assert res["message"] == "no release tag to compare with"


def test_tag_predating_the_snapshot_passes(sample: Path) -> None:
    root = sample
    configure(root)
    git(root, "tag", "v0.1.0")
    release(root, "0.2.0", snapshot_doc(), tag=False)
    res = compat_policy(root)
    assert res["status"] == "pass"
    assert "v0.1.0 predates the snapshot" in res["message"]


def test_missing_or_broken_snapshot_fails(sample: Path) -> None:
    root = sample
    configure(root)
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert f"{SNAPSHOT}: no such file" in res["message"]
    write(root, SNAPSHOT, '{"schema": "lane-tasks/compat-snapshot", "schema_version": "1.0"}')
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "'cli' must be an object" in res["message"]


def test_bad_compat_config_is_one_line_exit_2(sample: Path) -> None:
    root = sample
    config = tomllib.loads((root / "lanes.toml").read_text())
    config["compat"] = {"source": "lane-task"}
    (root / "lanes.toml").write_text(tomli_w.dumps(config))
    r = run_cli(root, "compat", "diff")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "compat.source: unknown source 'lane-task' (did you mean 'lane-tasks'?)" in r.stderr


# ---- compat diff --------------------------------------------------------------------------------


def test_diff_shows_every_change_and_exits_1_on_a_refused_one(released: Path) -> None:
    root = released
    cli = {**CLI, "report": ["--format", "--help", "--new"]}
    release(root, "0.2.0", snapshot_doc(cli=cli), tag=False)
    r = run_cli(root, "compat", "diff")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("compat diff against v0.1.0 (0.1.0 -> 0.2.0, policy semver)")
    assert any("REFUSED breaking cli:report --old-flag: option removed" in ln for ln in lines)
    assert any("ok      additive cli:report --new: option added" in ln for ln in lines)

    r = run_cli(root, "compat", "diff", "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["against"] == "v0.1.0"
    assert doc["status"] == "fail"
    by_item = {c["item"]: c for c in doc["changes"]}
    assert by_item["cli:report --old-flag"]["breaking"] is True
    assert by_item["cli:report --old-flag"]["allowed"] is False
    assert by_item["cli:report --new"] == {
        "kind": "option-added",
        "item": "cli:report --new",
        "detail": "",
        "breaking": False,
        "allowed": True,
        "reason": "additive",
    }


def test_diff_against_a_given_tag_and_exit_codes(released: Path) -> None:
    root = released
    release(root, "0.2.0", snapshot_doc(cli={**CLI, "extra": ["--help"]}))
    # against the latest tag: nothing changed since
    r = run_cli(root, "compat", "diff")
    assert r.returncode == 0
    assert "0 change(s), 0 not allowed" in r.stdout
    r = run_cli(root, "compat", "diff", "--against", "v0.1.0", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "pass"
    assert [c["item"] for c in doc["changes"]] == ["cli:extra"]
    r = run_cli(root, "compat", "diff", "--against", "v9.9")
    assert r.returncode == 2
    assert "--against: 'v9.9' is not a tag or commit" in r.stderr


def test_diff_without_a_tag(sample: Path) -> None:
    root = sample
    configure(root)
    release(root, "0.1.0", snapshot_doc(), tag=False)
    r = run_cli(root, "compat", "diff")
    assert r.returncode == 0
    assert r.stdout == "compat diff: no release tag to compare with\n"


# ---- compat snapshot ----------------------------------------------------------------------------


def test_snapshot_out_then_check(tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    r = run_cli(tmp_path, "compat", "snapshot", "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["schema"] == "lane-tasks/compat-snapshot"
    assert "--against" in doc["cli"]["compat diff"]
    assert doc["schemas"]["gate-fast"]["results[].cmd"] == {"type": ["array"], "required": True}
    assert doc["schemas"]["gate-fast"]["results[].cmd[]"] == {"type": ["string"], "required": False}
    r = run_cli(tmp_path, "compat", "snapshot", "--out", str(out), "--check")
    assert r.returncode == 0
    assert "matches" in r.stdout
    del doc["cli"]["compat diff"]
    out.write_text(json.dumps(doc))
    r = run_cli(tmp_path, "compat", "snapshot", "--out", str(out), "--check")
    assert r.returncode == 1
    assert "stale" in r.stdout
    r = run_cli(tmp_path, "compat", "snapshot", "--out", str(tmp_path / "none.json"), "--check")
    assert r.returncode == 1
    assert "does not exist" in r.stdout


def test_snapshot_refuses_to_overwrite_a_file_source_snapshot(sample: Path) -> None:
    root = sample
    configure(root)
    r = run_cli(root, "compat", "snapshot")
    assert r.returncode == 2
    assert "compat.source is 'file'" in r.stderr
    assert not (root / SNAPSHOT).exists()


def test_stale_lane_tasks_snapshot_fails_the_control(sample: Path) -> None:
    root = sample
    configure(root, compat={"source": "lane-tasks"})
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert f"{SNAPSHOT} does not exist" in res["message"]
    assert run_cli(root, "compat", "snapshot").returncode == 0
    commit_all(root, "snapshot")
    assert compat_policy(root)["status"] == "pass"
    doc = json.loads((root / SNAPSHOT).read_text())
    doc["cli"]["gate fast"].remove("--jobs")
    (root / SNAPSHOT).write_text(json.dumps(doc))
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert f"{SNAPSHOT} is stale" in res["message"]


@pytest.mark.e2e
def test_a_stale_snapshot_fails_only_a_release_candidate(sample: Path) -> None:
    """Between releases the lane stays green and says the snapshot needs regenerating; the
    release candidate's run fails on it, since the next release is compared with it."""
    root = sample
    configure(root, compat={"source": "lane-tasks"})
    assert run_cli(root, "compat", "snapshot").returncode == 0
    commit_all(root, "snapshot")
    git(root, "tag", "v0.1.0")
    doc = json.loads((root / SNAPSHOT).read_text())
    doc["cli"]["gate fast"].append("--not-an-option")  # the file no longer matches the CLI
    (root / SNAPSHOT).write_text(json.dumps(doc))
    commit_all(root, "a commit between releases")

    def policy_after_preflight(run_id: str) -> dict[str, Any]:
        r = run_cli(
            root, "gate", "release", "--format", "json", "--run-id", run_id,
            "--out", "build/release-preflight.json", "--offline",
        )  # fmt: skip
        assert "Traceback" not in r.stderr, r.stderr
        r = run_cli(root, "controls", "verify", "--lane", "scale", "--run-id", run_id,
                    "--format", "json")  # fmt: skip
        res: dict[str, Any] = next(
            x for x in json.loads(r.stdout)["results"] if x["id"] == "compat-policy"
        )
        return res

    between = policy_after_preflight("20261201T000000Z-aaaaaa")
    assert between["status"] == "pass", between
    assert f"before the next release: {SNAPSHOT} is stale" in between["message"]
    set_version(root, "0.2.0")
    commit_all(root, "bump: a release candidate")
    candidate = policy_after_preflight("20261201T000001Z-bbbbbb")
    assert candidate["status"] == "fail"
    assert candidate["message"].startswith(f"{SNAPSHOT} is stale")


def test_this_repository_snapshot_is_current() -> None:
    committed = (REPO_ROOT / SNAPSHOT).read_text(encoding="utf-8")
    assert committed == render_snapshot(live_snapshot()), (
        f"{SNAPSHOT} is stale: run `python -m lane_tasks compat snapshot` and commit it"
    )


# ---- units: flattening, diff, coverage ----------------------------------------------------------


def test_flatten_schema() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"const": "x"},
            "b": {
                "type": "array",
                "items": {"type": "object", "required": ["c"], "properties": {"c": {"enum": [1]}}},
            },
        },
    }
    assert flatten_schema(schema) == {
        "a": {"type": ["string"], "required": True},
        "b": {"type": ["array"], "required": False},
        "b[]": {"type": ["object"], "required": False},
        "b[].c": {"type": ["integer"], "required": True},
    }


def test_diff_lists_a_removed_parent_once() -> None:
    fields = {"x": {"type": ["object"], "required": False}, "x.y": FIELDS["schema"]}
    old = Snapshot({"a": (), "a b": ("--z",)}, {"k": fields})
    new = Snapshot({}, {"k": {}})
    assert diff(old, new) == [
        Change("command-removed", "cli:a"),
        Change("field-removed", "schema:k:x"),
    ]
    assert diff(old, Snapshot({}, {})) == [
        Change("command-removed", "cli:a"),
        Change("schema-removed", "schema:k"),
    ]


def test_covers_and_has_item() -> None:
    assert covers("cli:gate", "cli:gate fast --jobs")
    assert not covers("cli:gate", "cli:gateway")
    assert covers("schema:k", "schema:k:a.b")
    assert covers("schema:k:a", "schema:k:a[].b")
    assert not covers("schema:k:a", "schema:k:ab")
    snap = Snapshot({"gate fast": ("--jobs",)}, {"k": {"a": FIELDS["schema"]}})
    assert has_item(snap, "cli:gate fast --jobs")
    assert has_item(snap, "cli:gate fast")
    assert not has_item(snap, "cli:gate fast --old")
    assert has_item(snap, "schema:k:a")
    assert has_item(snap, "schema:k")
    assert not has_item(snap, "schema:k:b")


# ---- deprecation-windows ------------------------------------------------------------------------

RUNBOOK = "docs/migrations/old.md"


def windows_project(root: Path, *entries: dict[str, str], **deprecations: Any) -> Path:
    """`root` (make_project's project) with a runbook and `entries` registered, released."""
    write(root, RUNBOOK, "# Migrating off --old-flag\n\nUse --format instead.\n")
    configure(root, deprecations={"items": list(entries), **deprecations})
    release(root, "0.1.0", snapshot_doc())
    return root


def test_deprecation_windows_pass(sample: Path) -> None:
    root = windows_project(
        sample,
        deprecation("cli:report --old-flag", "0.1.0", "0.3.0"),
        deprecation("schema:report:note", "0.9.0", "1.0.0"),  # a later major is enough
    )
    res = windows(root)
    assert res["status"] == "pass", res["message"]
    assert res["message"].startswith("2 deprecation(s)")


def test_no_deprecations_registered_passes(sample: Path) -> None:
    root = sample
    res = windows(root)
    assert res["status"] == "pass"
    assert res["message"] == "no deprecations registered"


def test_window_below_the_minimum_fails(sample: Path) -> None:
    root = windows_project(
        sample, deprecation("cli:report --old-flag", "0.1.0", "0.2.0"), min_window_minors=2
    )
    res = windows(root)
    assert res["status"] == "fail"
    assert "cli:report --old-flag: window 0.1.0 -> 0.2.0 is 1 minor version(s)" in res["message"]
    assert "below the minimum of 2" in res["message"]


def test_remove_in_not_after_announced_in_fails(sample: Path) -> None:
    root = windows_project(sample, deprecation("cli:report --old-flag", "0.3.0", "0.3.0"))
    res = windows(root)
    assert res["status"] == "fail"
    assert "remove_in 0.3.0 is not after announced_in 0.3.0" in res["message"]


def test_runbook_missing_or_empty_fails(sample: Path) -> None:
    entry = {**deprecation("cli:report --old-flag"), "runbook": "docs/migrations/gone.md"}
    root = windows_project(sample, entry)
    res = windows(root)
    assert res["status"] == "fail"
    assert "runbook docs/migrations/gone.md does not exist" in res["message"]
    write(root, "docs/migrations/gone.md", "\n  \n")
    commit_all(root, "empty runbook")
    res = windows(root)
    assert res["status"] == "fail"
    assert "runbook docs/migrations/gone.md is empty" in res["message"]


def test_uncommitted_runbook_fails(sample: Path) -> None:
    entry = {**deprecation("cli:report --old-flag"), "runbook": "docs/migrations/new.md"}
    root = windows_project(sample, entry)
    write(root, "docs/migrations/new.md", "# Steps\n")
    res = windows(root)
    assert res["status"] == "fail"
    assert "runbook docs/migrations/new.md is not committed" in res["message"]


def test_removed_before_its_window_ends_fails(sample: Path) -> None:
    root = windows_project(sample, deprecation("cli:report --old-flag", "0.1.0", "0.3.0"))
    cli = {**CLI, "report": ["--format", "--help"]}
    release(root, "0.2.0", snapshot_doc(cli=cli), tag=False)
    res = windows(root)
    assert res["status"] == "fail"
    assert "cli:report --old-flag: removed before its window ends" in res["message"]
    assert "version 0.2.0 < remove_in 0.3.0" in res["message"]
    release(root, "0.3.0", snapshot_doc(cli=cli), tag=False)
    res = windows(root)
    assert res["status"] == "pass", res["message"]
    assert "1 removed after their window" in res["message"]


def test_bad_version_string_fails(sample: Path) -> None:
    root = windows_project(sample, deprecation("cli:report --old-flag", "zero.one", "0.3.0"))
    res = windows(root)
    assert res["status"] == "fail"
    assert "announced_in 'zero.one' is not a valid PEP 440 version" in res["message"]


def test_registry_in_a_file(sample: Path) -> None:
    root = sample
    write(root, RUNBOOK, "# Migrating\n")
    entry = deprecation("cli:report --old-flag", "0.1.0", "0.2.0")
    write(root, "deprecations.toml", tomli_w.dumps({"deprecations": {"items": [entry]}}))
    configure(root, deprecations={"file": "deprecations.toml", "min_window_minors": 1})
    release(root, "0.1.0", snapshot_doc())
    assert windows(root)["status"] == "pass"
    (root / "deprecations.toml").write_text(
        '[[deprecations.items]]\nitem = "cli:x"\nannounced = 1\n'
    )
    res = windows(root)
    assert res["status"] == "fail"
    assert "deprecations.toml:1: deprecations.items[0].announced: unknown key" in res["message"]
    assert "did you mean 'announced_in'" in res["message"]


def test_bad_deprecation_entry_is_one_line_exit_2(sample: Path) -> None:
    root = sample
    config = tomllib.loads((root / "lanes.toml").read_text())
    config["deprecations"] = {"items": [{**deprecation("report --old-flag")}]}
    (root / "lanes.toml").write_text(tomli_w.dumps(config))
    r = run_cli(root, "lanes", "validate")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "deprecations.items[0].item: 'report --old-flag' must name 'cli:" in r.stderr


# ---- source = "project": the user's own API, console scripts and schemas ------------------------

CORE = '''
"""Core functions."""

__all__ = ["Greeter", "greet", "shout"]


def greet(name: str, punct: str = "!") -> str:
    """Greet."""
    return f"hello {name}{punct}"


def shout(text: str, *, times: int = 1) -> str:
    """Shout."""
    return text.upper() * times


def unexported(x: int) -> int:
    """Not in __all__."""
    return x


def _private(x: int) -> int:
    return x


class Greeter:
    """Greets."""

    def __init__(self, name: str) -> None:
        self.name = name

    def greet(self, punct: str = "!") -> str:
        """Greet."""
        return greet(self.name, punct)
'''

CLI_SRC = '''
"""The command line."""

import argparse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hello")
    p.add_argument("--loud", action="store_true")
    sub = p.add_subparsers(dest="cmd")
    g = sub.add_parser("greet")
    g.add_argument("--name", "-n", default="world")
    return p


def main() -> int:
    parser().parse_args()
    return 0
'''

CLICK_SRC = '''
"""A click command line."""

import click


@click.group()
@click.option("--verbose/--quiet", default=False)
def main(verbose: bool) -> None:
    """Tool."""


@main.command()
@click.option("--count", "-c", type=int, default=1)
def run(count: int) -> None:
    """Run it."""
'''


def project_with_api(tmp_path: Path, lane: str = "scale") -> Path:
    """A src-layout package with public functions, a class, an argparse and a click console
    script, adopted with init (which generates and writes the snapshot)."""
    from helpers import make_git_repo

    from lane_tasks.adopt.init_repo import init_repo

    root = make_git_repo(tmp_path / "hello")
    write(
        root,
        "pyproject.toml",
        """
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "hello"
        version = "0.1.0"
        description = "Says hello."
        readme = "README.md"
        license = "MIT"
        requires-python = ">=3.11"

        [project.scripts]
        hello = "hello.cli:main"
        hello-click = "hello.clicli:main"
        """,
    )
    write(root, "README.md", "# hello\n")
    write(root, "CHANGELOG.md", "# Changelog\n\n## 0.1.0\n\n- First.\n")
    write(
        root,
        "src/hello/__init__.py",
        '"""hello."""\n\nfrom hello.core import Greeter, greet, shout\n\n'
        '__all__ = ["Greeter", "greet", "shout"]\n',
    )
    write(root, "src/hello/core.py", CORE)
    write(root, "src/hello/cli.py", CLI_SRC)
    write(root, "src/hello/clicli.py", CLICK_SRC)
    write(root, "src/hello/_internal.py", "def hidden() -> None:\n    pass\n")
    write(root, "schemas/greeting.schema.json", json.dumps(GREETING_SCHEMA))
    git(root, "add", "-A")
    init_repo(root, lane=lane)
    commit_all(root, "initial")
    return root


@pytest.fixture
def api_project(templates: Templates, tmp_path: Path) -> Path:
    """A copy of `project_with_api`'s project (lane scale)."""
    return templates.copy("compat-api-project", project_with_api, tmp_path)


GREETING_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}, "lang": {"type": "string"}},
}


def _load(root: Path, module: str) -> Any:
    import importlib.util
    import sys

    path = root / "src" / Path(*module.split(".")).with_suffix(".py")
    spec = importlib.util.spec_from_file_location(f"_t_{module}_{id(root)}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _signature_params(func: Any, *, drop_self: bool = False) -> list[dict[str, Any]]:
    import inspect

    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional-only",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional or keyword",
        inspect.Parameter.KEYWORD_ONLY: "keyword-only",
        inspect.Parameter.VAR_POSITIONAL: "variadic positional",
        inspect.Parameter.VAR_KEYWORD: "variadic keyword",
    }
    params = list(inspect.signature(func).parameters.values())[1 if drop_self else 0 :]
    return [
        {
            "kind": kinds[p.kind],
            "name": p.name,
            "required": p.default is inspect.Parameter.empty
            and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD),
        }
        for p in params
    ]


def _argparse_options(parser: Any) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


def test_project_snapshot_is_the_real_api_cli_and_schemas(api_project: Path) -> None:
    import argparse

    root = api_project
    config = tomllib.loads((root / "lanes.toml").read_text())
    assert config["compat"]["source"] == "project"
    assert config["compat"]["packages"] == ["hello"]
    assert config["compat"]["schemas"] == ["schemas/greeting.schema.json"]
    doc = json.loads((root / SNAPSHOT).read_text())
    core = _load(root, "hello.core")
    api = doc["api"]
    # what __all__ exports, with the real signatures; nothing private or unexported
    for name in core.__all__:
        assert f"hello.{name}" in api and f"hello.core.{name}" in api
    assert api["hello.greet"]["params"] == _signature_params(core.greet)
    assert api["hello.shout"]["params"] == _signature_params(core.shout)
    assert api["hello.Greeter"]["params"] == _signature_params(
        core.Greeter.__init__, drop_self=True
    )
    assert api["hello.Greeter.greet"]["params"] == _signature_params(
        core.Greeter.greet, drop_self=True
    )
    assert not [n for n in api if "_private" in n or "_internal" in n or "unexported" in n]
    # the argparse script: every option of the real parser and its sub-command
    cli = _load(root, "hello.cli")
    parser = cli.parser()
    assert set(doc["cli"]["hello"]) == _argparse_options(parser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(doc["cli"]["hello greet"]) == _argparse_options(sub.choices["greet"])
    # the click script: the real command's options
    clicli = _load(root, "hello.clicli")
    click_opts = {o for p in clicli.main.params for o in (*p.opts, *p.secondary_opts)}
    assert set(doc["cli"]["hello-click"]) == click_opts | {"--help"}
    run_opts = {o for p in clicli.main.commands["run"].params for o in p.opts}
    assert set(doc["cli"]["hello-click run"]) == run_opts | {"--help"}
    # the declared schema, flattened
    assert doc["schemas"]["schemas/greeting.schema.json"] == flatten_schema(GREETING_SCHEMA)
    # `compat snapshot --check` agrees with what init wrote
    r = run_cli(root, "compat", "snapshot", "--check")
    assert r.returncode == 0, r.stdout + r.stderr


def test_removed_public_function_is_breaking_at_the_next_run(api_project: Path) -> None:
    root = api_project
    git(root, "tag", "v0.1.0")
    assert compat_policy(root)["status"] == "pass"
    core = root / "src/hello/core.py"
    core.write_text(core.read_text().replace('"greet", "shout"', '"greet"'))
    init = root / "src/hello/__init__.py"
    init.write_text(init.read_text().replace(", shout", "").replace(', "shout"', ""))
    set_version(root, "0.2.0")
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "is stale" in res["message"] and "lane-tasks compat snapshot" in res["message"]
    assert run_cli(root, "compat", "snapshot").returncode == 0
    commit_all(root, "drop shout")
    res = compat_policy(root)
    assert res["status"] == "fail", res["message"]
    assert "api:hello.shout: public name removed" in res["message"]
    assert "api:hello.core.shout: public name removed" in res["message"]
    assert "since v0.1.0" in res["message"]


def test_parameter_made_required_and_option_removed_are_breaking(api_project: Path) -> None:
    root = api_project
    git(root, "tag", "v0.1.0")
    core = root / "src/hello/core.py"
    core.write_text(
        core.read_text().replace(
            'punct: str = "!") -> str:\n    """Greet."""\n    return f',
            'punct: str) -> str:\n    """Greet."""\n    return f',
        )
    )
    cli = root / "src/hello/cli.py"
    cli.write_text(
        cli.read_text().replace('    p.add_argument("--loud", action="store_true")\n', "")
    )
    assert run_cli(root, "compat", "snapshot").returncode == 0
    set_version(root, "0.2.0")
    commit_all(root, "break")
    r = run_cli(root, "compat", "diff", "--format", "json")
    assert r.returncode == 1, r.stderr
    kinds = {c["item"]: c["kind"] for c in json.loads(r.stdout)["changes"]}
    assert kinds["api:hello.greet(punct)"] == "param-required"
    assert kinds["cli:hello --loud"] == "option-removed"
    set_version(root, "1.0.0")
    commit_all(root, "major")
    assert compat_policy(root)["status"] == "pass"


def test_empty_snapshot_is_refused(sample: Path) -> None:
    root = sample
    configure(root)
    release(root, "0.1.0", snapshot_doc(cli={}, fields={}) | {"schemas": {}})
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "checks nothing" in res["message"]
    assert "lane-tasks compat snapshot" in res["message"]


def test_project_snapshot_problems_fail_the_control(api_project: Path) -> None:
    root = api_project
    config = tomllib.loads((root / "lanes.toml").read_text())
    config["compat"]["schemas"] = ["nothing/*.json"]
    (root / "lanes.toml").write_text(tomli_w.dumps(config))
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "'nothing/*.json' matches no file" in res["message"]
    config["compat"]["schemas"] = []
    (root / "lanes.toml").write_text(tomli_w.dumps(config))
    cli = root / "src/hello/cli.py"
    cli.write_text(
        cli.read_text().replace("import argparse", "import argparse\nraise SystemExit(4)")
    )
    res = compat_policy(root)
    assert res["status"] == "fail"
    assert "`hello --help`" in res["message"] and "exited 4" in res["message"]


def test_api_diff_units() -> None:
    def fn(*params: tuple[str, str, bool]) -> dict[str, Any]:
        return {
            "kind": "function",
            "params": [{"name": n, "kind": k, "required": r} for n, k, r in params],
        }

    pk, kw = "positional or keyword", "keyword-only"
    old = Snapshot(
        {},
        {},
        {
            "m": {"kind": "module"},
            "m.f": fn(("a", pk, True), ("b", pk, False)),
            "m.C": {"kind": "class", "params": []},
            "m.C.x": {"kind": "attribute"},
        },
    )
    new = Snapshot(
        {},
        {},
        {"m": {"kind": "module"}, "m.f": fn(("b", pk, False), ("a", kw, True), ("c", kw, False))},
    )
    by = {c.item: c for c in diff(old, new)}
    assert by["api:m.C"].kind == "name-removed" and "api:m.C.x" not in by
    assert by["api:m.f(a)"].kind == "param-rekinded" and by["api:m.f(a)"].breaking
    assert by["api:m.f(b)"].kind == "param-moved"
    assert by["api:m.f(c)"].kind == "param-added" and not by["api:m.f(c)"].breaking
    assert covers("api:m", "api:m.f(a)") and covers("api:m.f", "api:m.f(a)")
    assert not covers("api:m.f", "api:m.fg")
    assert has_item(old, "api:m.f(b)") and not has_item(new, "api:m.C")
    # an api section round-trips; without one, the 1.0 format is unchanged
    from lane_tasks.compat.snapshot import parse_snapshot

    assert parse_snapshot(render_snapshot(new), "x").api == new.api
    assert "api" not in json.loads(render_snapshot(Snapshot({"": ("--help",)}, {})))
