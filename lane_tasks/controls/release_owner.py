"""release-owner: a named release owner decided on every release."""

from __future__ import annotations

from lane_tasks.controls.base import (
    Control,
    ControlContext,
    Verdict,
    register,
    tags_since_adoption,
)
from lane_tasks.evidence import record_signature
from lane_tasks.releases.decision import decision_path, go_record_problem, load_decision


@register
class ReleaseOwner(Control):
    """Every release tag after the lane's adoption point has a `go` decision record naming a
    release owner, for the tagged commit or for an ancestor of it that differs from it only
    under the evidence directory (the decision record itself is committed after the go). The
    record must also hold by the rules `release decide` applies: a go over a preflight that did
    not pass (or a recorded evidence problem) needs its override reason, and a record dated in
    the future is no decision yet. When lanes.toml lists [signing.keys], each record must be
    signed, unchanged, by its owner."""

    id = "release-owner"
    evidence = "git release tags and <evidence_dir>/releases/<version>/decision.json"
    fix = (
        "before tagging, run `lane-tasks release decide --version X --decision go --owner NAME` "
        "on the commit you release, commit the record, and tag that commit"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        config = ctx.config
        root = config.root
        since = tags_since_adoption(config)
        if since.adopted is None:
            return Verdict("fail", since.problem or "the adoption point is unknown")
        adopted, tags = since.adopted, since.tags
        if not tags:
            return Verdict("pass", f"no release tags since the adoption point {adopted[:12]}")
        problems = []
        for tag in tags:
            path = decision_path(config, tag.version)
            rel = path.relative_to(root).as_posix()
            record, problem = load_decision(path)
            if record is None:
                problems.append(f"{tag.name}: decision record {rel} {problem}")
                continue
            if why := record_signature.verify(config, path, (record["owner"],)):
                problems.append(f"{tag.name}: {why}")
                continue
            why = go_record_problem(config, record, version=tag.version, commit=tag.commit)
            if why:
                problems.append(f"{tag.name}: tagged although {rel} {why}")
        if problems:
            return Verdict("fail", "; ".join(problems))
        names = ", ".join(t.name for t in tags)
        return Verdict("pass", f"{len(tags)} release tag(s) with a go by a named owner: {names}")
