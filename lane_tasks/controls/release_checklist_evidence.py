"""release-checklist-evidence: every version cut carries a complete, untampered checklist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lane_tasks.catalog import STEPS
from lane_tasks.config import CHECKLIST_DECISION, Config
from lane_tasks.controls.base import Control, ControlContext, Verdict, register, tags_since_adoption
from lane_tasks.evidence import record_signature
from lane_tasks.evidence.artifacts import read_artifact, sha256_file
from lane_tasks.project.git import Tag, evidence_only_change
from lane_tasks.releases.checklist import checklist_path, item_problem, load_checklist
from lane_tasks.releases.decision import go_record_problem, load_decision
from lane_tasks.util.clock import future_problem

__all__ = ["ReleaseChecklistEvidence"]


@register
class ReleaseChecklistEvidence(Control):
    """Every release tag after the adoption point has <evidence_dir>/releases/<version>/
    checklist.json that validates, is for the tagged commit (or an ancestor that differs from
    it only under the evidence directory, where the checklist is committed), marks every item
    of [release] checklist done, and links each item's evidence by a path inside the repository
    whose file still has the recorded sha256 (a changed byte is reported as tampered). What
    each linked file says is verified as `release checklist` verified it: a step item's file is
    that step's artifact, passing by its own results, for the checklist's commit (the release
    preflight for this version, gate fast the whole gate); the decision item's is a go by a
    release owner for this version that `release decide`'s rules support. A checklist or
    decision dated in the future is no evidence. When lanes.toml lists [signing.keys], each
    checklist must be signed, unchanged, by a release owner."""

    id = "release-checklist-evidence"
    evidence = (
        "git release tags, <evidence_dir>/releases/<version>/checklist.json and the files it "
        "links (working tree)"
    )
    fix = (
        "after the go decision, run `lane-tasks release checklist --version X` on the run of the "
        "commit you tag, and commit the checklist and its evidence/ copies"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        since = tags_since_adoption(config)
        if since.adopted is None:
            return Verdict("fail", since.problem or "the adoption point is unknown")
        if not since.tags:
            return Verdict("pass", f"no release tags since the adoption point {since.adopted[:12]}")
        problems = [p for tag in since.tags for p in _problems(config, tag)]
        if problems:
            return Verdict("fail", "; ".join(problems))
        names = ", ".join(t.name for t in since.tags)
        return Verdict(
            "pass",
            f"{len(since.tags)} release tag(s) with a complete checklist "
            f"({', '.join(config.checklist.items)}) and matching evidence: {names}",
        )


def _problems(config: Config, tag: Tag) -> list[str]:
    path = checklist_path(config, tag.version)
    rel = path.relative_to(config.root).as_posix()
    doc, problem = load_checklist(path)
    if doc is None:
        return [f"{tag.name}: checklist {rel} {problem}"]
    if why := record_signature.verify(config, path, config.release_owners):
        return [f"{tag.name}: {why}"]
    out = []
    late = future_problem(doc["created_at"], "created_at")
    if late:
        out.append(f"{tag.name}: {rel} {late}")
    if doc["version"] != str(tag.version):
        out.append(f"{tag.name}: {rel} is for version {doc['version']}")
    why = evidence_only_change(config.root, doc["commit"], tag.commit, config.evidence_dir)
    if why:
        out.append(
            f"{tag.name}: {rel} is for commit {str(doc['commit'])[:12]}, "
            f"the tag is on {tag.commit[:12]}: {why}"
        )
    items: dict[str, dict[str, Any]] = {i["id"]: i for i in doc["items"]}
    for item_id in config.checklist.items:
        item = items.get(item_id)
        if item is None:
            out.append(f"{tag.name}: item '{item_id}' is not in {rel}")
        elif not item["done"]:
            out.append(f"{tag.name}: item '{item_id}' not done ({item['note']})")
        elif item["evidence"] is None:
            out.append(f"{tag.name}: item '{item_id}' is done but links no evidence")
    for item in doc["items"]:
        link = item["evidence"]
        if link is None:
            continue
        target = Path(link["path"])
        if target.is_absolute() or ".." in target.parts:
            out.append(f"{tag.name}: item '{item['id']}' links outside the repository")
            continue
        file = config.root / target
        if not file.is_file():
            out.append(f"{tag.name}: item '{item['id']}' evidence {link['path']} is missing")
        elif sha256_file(file) != link["sha256"]:
            out.append(
                f"{tag.name}: item '{item['id']}' evidence {link['path']} was tampered with "
                "(its sha256 differs from the checklist)"
            )
        elif item["done"] and (why := _says(config, tag, doc, item["id"], file)):
            out.append(f"{tag.name}: item '{item['id']}' evidence {link['path']} {why}")
    return out


def _says(config: Config, tag: Tag, doc: dict[str, Any], item_id: str, file: Path) -> str | None:
    """Why the file an item links does not say what the item needs, or None: the digest only
    proves the bytes are the ones linked, not that they are evidence of this item (the rules
    `release checklist` applied, re-applied)."""
    if item_id == CHECKLIST_DECISION:
        record, problem = load_decision(file)
        if record is None:
            return f"is no valid decision record ({problem})"
        if why := record_signature.verify(config, file, (record["owner"],)):
            return why  # the frozen copy keeps the owner's envelope beside it
        why = go_record_problem(config, record, version=tag.version, commit=tag.commit)
        return None if why is None else f"is no go for it: the record {why}"
    if item_id not in STEPS:
        return None
    artifact, problem = read_artifact(file)
    if artifact is None or problem:
        shown = (problem or "").replace(str(file), "")
        return f"is no valid {item_id} artifact{shown}"
    why = item_problem(
        config, item_id, artifact, version=tag.version, commit=doc["commit"], current=False
    )
    return None if why is None else f"is no evidence: {why}"
