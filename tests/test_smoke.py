from __future__ import annotations

import lane_tasks


def test_version() -> None:
    assert lane_tasks.__version__
