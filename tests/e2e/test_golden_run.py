"""A golden run of the regulated lane: its stable artifacts are byte-identical to the goldens.

tests/golden/make_golden.py builds a small deterministic project, runs `nox -s regulated` in
it and copies the stable artifacts (drift-check.json, contract-index.json and its in-toto
statement, controls.json) out, through the one normalisation it documents (run ids, and the
digests of the few indexed files no fixed input makes reproducible). The goldens in
tests/golden/regulated/ are that script's output:

- for issue 14 (the re-layering) they were made with the code before it (commit daacfb5), in
  a worktree with its own venv, and the new layout wrote the same bytes;
- for issue 15 they were made anew with this code, an intended change of behaviour: gate
  release's new checks and its `dists` field, the SBOM the contract index now indexes, the
  regulated lane's `reproducible-build` and `sbom` controls, and a project that builds with
  flit-core (whose sdist is reproducible, so it is compared too):

    python tests/golden/make_golden.py tests/golden/regulated

Regenerate them only for an intended change of behaviour, and say so in the commit. The bytes
also depend on the tools the project's checks run (ruff's version is in its SARIF, flit-core's
in the wheel's WHEEL file, tomli-w writes the lanes.toml the commit holds, the SBOM names the
versions installed here): an upgrade of one of those in the test extra may need new goldens.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TESTS_DIR

pytestmark = pytest.mark.e2e

GOLDEN = TESTS_DIR / "golden"
EXPECTED = GOLDEN / "regulated"


def test_stable_artifacts_of_a_golden_run_are_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "regulated"
    r = subprocess.run(
        [sys.executable, str(GOLDEN / "make_golden.py"), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    expected = sorted(p.name for p in EXPECTED.iterdir())
    assert sorted(p.name for p in out.iterdir()) == expected
    assert len(expected) == 4, expected
    diffs = []
    for name in expected:
        old, new = (EXPECTED / name).read_bytes(), (out / name).read_bytes()
        if old != new:
            diff = difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(keepends=True),
                new.decode("utf-8", "replace").splitlines(keepends=True),
                f"golden/{name}",
                f"{name} (this code)",
            )
            diffs.append("".join(diff))
    if diffs:
        pytest.fail(
            "stable artifacts differ from the golden run:\n" + "\n".join(diffs), pytrace=False
        )
