# PYTHON_ARGCOMPLETE_OK
"""`python -m lane_tasks` is the same front door as the `lane-tasks` script."""

from __future__ import annotations

import sys

from lane_tasks.cli import main

if __name__ == "__main__":
    sys.exit(main())
