"""The contract-index step: an index of every artifact a run produced, and its verification.

Four modules: `files` lists the files an index covers, `build` makes the index (and registers
the step's runner, so importing it registers it; `lane_tasks.steps.runners` does),
`attestation` writes it as an in-toto statement and optionally a signed DSSE envelope,
`verify` checks the files against an index (and the signature). This package imports none of
them: verify loads without the step's runner (start-up cost). Import names from the module
that holds them.
"""
