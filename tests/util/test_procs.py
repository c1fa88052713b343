"""util/procs: tools run as subprocesses, their output captured within bounds."""

from __future__ import annotations

import sys
from pathlib import Path

from lane_tasks.util.procs import OUTPUT_LIMIT, ProcSpec, cut_tail, run_one


def test_output_cut_at_the_limit_does_not_leak_a_partial_secret(tmp_path: Path) -> None:
    # one secret straddles the point where the kept tail of the output starts
    script = (
        "import sys; w = sys.stdout.write; "
        f"w('x' * ({OUTPUT_LIMIT} - 10) + ' password=' + 'S3CRETVALUE' * 20 + ' end\\n'); "
        f"w('y ' * ({OUTPUT_LIMIT} // 2 - 100))"
    )
    r = run_one(ProcSpec(id="big", cmd=(sys.executable, "-c", script), cwd=tmp_path, timeout=60))
    assert r.outcome == "exited", r.detail
    assert "S3CRET" not in r.output and "CRETVALUE" not in r.output
    assert r.output.startswith("… end")
    assert cut_tail("abc def", 100, cut=True) == "… def"
