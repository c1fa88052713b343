"""A program's history merged from many repositories' exports says what its parts say: one
`history import` of several exports gives the KPIs that importing them one by one gives, and
each KPI is its parts' KPIs combined (samples add up; a mean is its parts' weighted mean). The
fast import path (rows batched per table, the history asked row by row only for repositories
it already holds) must not change a number."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from helpers import commit_all, make_project, run_cli
from history_data import NOW, generated

PARTS = 3


def _project(root: Path) -> Path:
    root = make_project(root)
    data = tomllib.loads((root / "lanes.toml").read_text())
    data["kpi"] = {"min_sample": 2}
    (root / "lanes.toml").write_text(tomli_w.dumps(data))
    commit_all(root, "kpi settings")
    return root


def _exports(tmp: Path) -> list[Path]:
    """The generated history as the export of PARTS programs' repositories: org-k/app and
    org-k/lib instead of acme/app and acme/lib (their record keys and triage records too)."""
    text = generated().write(tmp / "h.jsonl").read_text()
    out = []
    for k in range(PARTS):
        part = tmp / f"org-{k}.history.jsonl"
        part.write_text(text.replace('"acme/', f'"org-{k}/').replace('\\"acme/', f'\\"org-{k}/'))
        out.append(part)
    return out


def _import(root: Path, *files: Path) -> None:
    r = run_cli(root, "history", "import", *map(str, files))
    assert r.returncode == 0, r.stderr


def _kpis(root: Path, *args: str) -> dict[str, dict[str, Any]]:
    r = run_cli(root, "kpi", "--all", "--format", "json", "--now", NOW, *args)
    assert r.returncode == 0, r.stderr
    return {k["id"]: k for k in json.loads(r.stdout)["kpis"]}


def test_merged_exports_give_their_parts_kpis(tmp_path: Path) -> None:
    files = _exports(tmp_path)
    at_once = _project(tmp_path / "at-once")
    _import(at_once, *files)
    one_by_one = _project(tmp_path / "one-by-one")
    for f in files:
        _import(one_by_one, f)
    _import(one_by_one, *files)  # again: adds nothing, changes nothing
    merged = _kpis(at_once)
    assert merged == _kpis(one_by_one)

    parts = []
    for k, f in enumerate(files):
        alone = _project(tmp_path / f"part-{k}")
        _import(alone, f)
        parts.append(_kpis(alone))
        # the merged history, filtered to one repository, is that repository alone
        for repo in (f"org-{k}/app", f"org-{k}/lib"):
            assert _kpis(at_once, "--repo", repo) == _kpis(alone, "--repo", repo)

    for kpi_id, m in merged.items():
        got = [p[kpi_id] for p in parts]
        assert m["sample"] == sum(p["sample"] for p in got), kpi_id
        known = [p for p in got if p["value"] is not None]
        if not known:
            assert m["value"] is None, kpi_id
            continue
        if kpi_id == "median-release-decision-time":  # the parts are alike: so is the median
            assert m["value"] == known[0]["value"]
        else:  # a mean (or a share) of all samples: the parts' weighted mean
            weighted = sum(p["value"] * p["sample"] for p in known) / m["sample"]
            assert abs(m["value"] - weighted) < 1e-9, kpi_id
        for key, n in m["detail"].items():
            assert n == sum(p["detail"][key] for p in got), (kpi_id, key)
