"""Artifacts in other tools' formats: SARIF for code-scanning UIs, JUnit XML for CI test
reports, GitLab Code Quality (CodeClimate JSON) for merge-request widgets, a Markdown summary
for the CI job page.

`render_export` is the one place a `--format` becomes text, so every command that takes
`--format` renders the same format the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "render_export"]

FORMATS = ("json", "text", "sarif", "junit", "codequality")


def render_export(fmt: str, doc: Mapping[str, Any], *, config_path: Path | None = None) -> str:
    """The artifact `doc` as `fmt`. For SARIF and Code Quality, `config_path` (lanes.toml)
    gives the repository root, against which file references in excerpts are resolved, and
    the lines at which checks are defined; without it, results are located only by what the
    artifact itself holds."""
    # start-up cost: only the asked-for format is loaded
    from lane_tasks.evidence.artifacts import canonical_json

    if fmt == "json":
        return canonical_json(doc)
    if fmt == "text":
        # start-up cost: only the asked-for format is loaded
        from lane_tasks.exports.text import render_text

        return render_text(dict(doc))
    if fmt == "sarif":
        # start-up cost: only the asked-for format is loaded
        from lane_tasks.exports.sarif import ConfigLocator, to_sarif

        rules = None
        if "findings" in doc:
            # start-up cost: only the asked-for format is loaded
            from lane_tasks.catalog.checks import RULES

            rules = RULES
        root = config_path.parent.resolve() if config_path is not None else None
        locate = ConfigLocator.for_config(config_path, root) if config_path and root else None
        return canonical_json(to_sarif(doc, rules, root=root, locate=locate))
    if fmt == "junit":
        # start-up cost: only the asked-for format is loaded
        from lane_tasks.exports.junit import to_junit

        return to_junit(doc)
    if fmt == "codequality":
        # start-up cost: only the asked-for format is loaded
        from lane_tasks.exports.codequality import to_codequality
        from lane_tasks.exports.sarif import ConfigLocator

        root = config_path.parent.resolve() if config_path is not None else None
        locate = ConfigLocator.for_config(config_path, root) if config_path and root else None
        return canonical_json(to_codequality(doc, root=root, locate=locate))
    raise ValueError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
