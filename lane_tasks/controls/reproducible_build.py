"""reproducible-build: this run's release preflight rebuilt the distributions and got the same
bytes, for the commit under test."""

from __future__ import annotations

from lane_tasks.controls.base import Control, ControlContext, Verdict, passing_step, register

STEP = "gate-release"
CHECK = "reproducible"


@register
class ReproducibleBuild(Control):
    """This run's gate-release artifact is passing evidence for HEAD, lists the sdist and the
    wheel it built with their sha256, and its `reproducible` check passed: a second build with
    the same SOURCE_DATE_EPOCH gave byte-identical files, whose digests its message names."""

    id = "reproducible-build"
    evidence = "the run's release-preflight artifact: its dists and its reproducible result"
    fix = (
        "run the lane's gate release with [gate.release] reproducible on (the default in a lane "
        "with this control) and make the build deterministic"
    )

    def verify(self, ctx: ControlContext) -> Verdict:
        doc, failed = passing_step(ctx, STEP)
        if failed is not None or doc is None:
            return failed or Verdict("fail", f"{STEP}: no artifact")
        head = doc["subject"]["commit"]
        dists = doc.get("dists") or []
        kinds = sorted(str(d.get("kind")) for d in dists)
        if kinds != ["sdist", "wheel"]:
            return Verdict(
                "fail", f"{STEP} lists {kinds or 'no'} distributions, not an sdist and a wheel"
            )
        result = next((r for r in doc.get("results", []) if r.get("id") == CHECK), None)
        if result is None or result.get("status") != "pass":
            status = "missing" if result is None else result.get("status")
            said = f": {result.get('message')}" if result else ""
            return Verdict("fail", f"the {CHECK} check did not pass ({status}){said}")
        unnamed = [d["name"] for d in dists if d["sha256"][:12] not in str(result.get("message"))]
        if unnamed:
            return Verdict(
                "fail", f"the {CHECK} result does not name the digest of {', '.join(unnamed)}"
            )
        listed = ", ".join(f"{d['name']} {d['sha256'][:12]}" for d in dists)
        return Verdict("pass", f"rebuilt identically for {str(head)[:12]}: {listed}")
