"""sbom: this run's release preflight left a CycloneDX SBOM of the very files it built."""

from __future__ import annotations

import json

from lane_tasks.controls.base import Control, ControlContext, Verdict, passing_step, register
from lane_tasks.evidence.artifacts import sha256_file

STEP = "gate-release"
KEPT = "gate-release/sbom.cdx.json"


@register
class SoftwareBillOfMaterials(Control):
    """This run's gate-release artifact is passing evidence for HEAD and keeps a CycloneDX
    SBOM in the run, listed in the manifest with its sha256, whose subject is the project
    version the artifact names and whose file components carry the sha256 of each
    distribution the artifact lists."""

    id = "sbom"
    evidence = "the run's release-preflight artifact and its kept gate-release/sbom.cdx.json"
    fix = (
        "run the lane's gate release with the SBOM library installed "
        '(pip install "lane-tasks[release]") and do not edit the run'
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        doc, failed = passing_step(ctx, STEP)
        if failed is not None or doc is None:
            return failed or Verdict("fail", f"{STEP}: no artifact")
        assert ctx.manifest is not None and ctx.run_path is not None
        listed = {str(a.get("path")): a for a in ctx.manifest.get("artifacts", [])}
        kept = ctx.run_path / KEPT
        if KEPT not in listed or not kept.is_file():
            return Verdict("fail", f"run {ctx.run_id} keeps no {KEPT}")
        if sha256_file(kept) != listed[KEPT].get("sha256"):
            return Verdict("fail", f"{KEPT} does not match its sha256 in the manifest")
        try:
            sbom = json.loads(kept.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return Verdict("fail", f"{KEPT} is not JSON: {exc}")
        if not isinstance(sbom, dict) or sbom.get("bomFormat") != "CycloneDX":
            return Verdict("fail", f"{KEPT} is not a CycloneDX document")
        component = sbom.get("metadata", {}).get("component", {})
        if component.get("version") != doc.get("version"):
            return Verdict(
                "fail",
                f"{KEPT} is about version {component.get('version')}, "
                f"the preflight about {doc.get('version')}",
            )
        hashes = {
            c.get("name"): {h.get("content") for h in c.get("hashes", [])}
            for c in sbom.get("components", [])
            if isinstance(c, dict) and c.get("type") == "file"
        }
        dists = doc.get("dists") or []
        if not dists:
            return Verdict("fail", f"{STEP} lists no distributions")
        wrong = [d["name"] for d in dists if d["sha256"] not in hashes.get(d["name"], set())]
        if wrong:
            return Verdict("fail", f"{KEPT} does not carry the sha256 of {', '.join(wrong)}")
        names = ", ".join(d["name"] for d in dists)
        return Verdict(
            "pass",
            f"CycloneDX {sbom.get('specVersion')} SBOM of {component.get('name')} "
            f"{component.get('version')} names {names} by sha256",
        )
