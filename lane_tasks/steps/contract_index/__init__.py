"""The contract-index step: an index of every artifact a run produced, and its verification.

Three jobs, a module each: `build` makes the index (and registers the step's runner, so
importing this package registers it), `attestation` writes it as an in-toto statement and
optionally a signed DSSE envelope, `verify` checks the files against an index (and the
signature). Import names from the module that holds them.
"""

from __future__ import annotations

from lane_tasks.steps.contract_index import build

__all__ = ["build"]
