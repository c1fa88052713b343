"""Regenerate lane_tasks/schemas/*.json (the artifact contracts, and lanes-toml.schema.json from
lane_tasks/config/keys.py) and the key table of docs/architecture.md (between its
`<!-- keys:start -->` and `<!-- keys:end -->` markers, also from config/keys.py). Run after
changing a kind or a lanes.toml key.

The schemas are committed files: the contract is what ships, and tests check that these files
match this generator, so the common envelope cannot drift between kinds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

VERSION = "1.0"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lane_tasks" / "schemas"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
KEYS_START, KEYS_END = "<!-- keys:start -->", "<!-- keys:end -->"

STATUS = {"enum": ["pass", "fail", "error", "skip"]}
STR = {"type": "string"}
NULLABLE_STR = {"type": ["string", "null"]}

RESULT_BASE: dict[str, Any] = {
    "id": STR,
    "status": STATUS,
    "message": STR,
    "owner": NULLABLE_STR,
    "exit_code": {"type": ["integer", "null"]},
    "excerpt": STR,
    "fix": NULLABLE_STR,
    "duration_s": {"type": "number", "minimum": 0},
}
RESULT_REQUIRED = ["id", "status", "message", "owner", "exit_code", "excerpt", "fix"]

POSITIVE_OR_NULL = {"type": ["integer", "null"], "minimum": 1}
# a check's tool report (lanes.toml `report`), read after the check: what it held, bounded
FINDING = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rule", "message", "path", "line", "column", "level"],
    "properties": {
        "rule": NULLABLE_STR,
        "message": STR,
        "path": NULLABLE_STR,
        "line": POSITIVE_OR_NULL,
        "column": POSITIVE_OR_NULL,
        "level": {"enum": ["error", "warning", "note"]},
    },
}
TEST_CASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "classname", "time", "status", "message", "detail"],
    "properties": {
        "name": STR,
        "classname": STR,
        "time": {"type": ["number", "null"], "minimum": 0},
        "status": STATUS,
        "message": STR,
        "detail": STR,
    },
}
REPORT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "path"],
    "properties": {
        "format": {"enum": ["sarif", "junit", "ruff-json"]},
        "path": STR,
        "tool": STR,
        "problem": STR,
        # test cases that failed or errored, dropped ones included (a check that exits 0
        # with any is a fail); optional, additive
        "failed": {"type": "integer", "minimum": 1},
        "dropped": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "findings": {"type": "integer", "minimum": 1},
                "tests": {"type": "integer", "minimum": 1},
            },
        },
    },
}

KINDS: dict[str, dict[str, Any]] = {
    "gate-fast": {
        "title": "gate fast: the project's quick checks",
        "result": {
            "cmd": {"type": "array", "items": STR, "minItems": 1},
            "error_kind": {"enum": ["environment"]},
            "cached": {"const": True},
            "log": STR,
            "report": REPORT,
            "findings": {"type": "array", "items": FINDING, "maxItems": 500},
            "tests": {"type": "array", "items": TEST_CASE, "maxItems": 2000},
        },
        "result_required": ["cmd"],
        # what the artifact covered: the checks it ran and the whole configured gate, each
        # with a sha256 of their lanes.toml entries; only the whole gate is evidence
        "top": {
            "coverage": {
                "type": "object",
                "additionalProperties": False,
                "required": ["checks", "digest", "configured", "configured_digest"],
                "properties": {
                    "checks": {"type": "array", "items": STR},
                    "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "configured": {"type": "array", "items": STR},
                    "configured_digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
            },
        },
    },
    "gate-release": {
        "title": "gate release: release preflight",
        "result": {
            "severity": {"enum": ["error", "warning", "info"]},
            "family": STR,
            "description": STR,
            "error_kind": {"enum": ["environment"]},
        },
        "result_required": ["severity", "family", "description"],
        # candidate: a release candidate (a version above the newest tag, tagged on HEAD, or
        # asked for with --version), else a commit between releases; additive, so optional
        "top": {
            "version": NULLABLE_STR,
            "candidate": {"type": "boolean"},
            "candidate_reason": STR,
            # the files the build made (empty when it did not run or failed): what a release
            # decision, the reproducibility control and the SBOM name
            "dists": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "kind", "sha256"],
                    "properties": {
                        "name": STR,
                        "kind": {"enum": ["sdist", "wheel"]},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                },
            },
        },
        "top_required": ["version"],
    },
    "doctor": {
        "title": "doctor: repository readiness",
        "result": {
            "severity": {"enum": ["error", "warning", "info"]},
            "family": STR,
            "description": STR,
            "error_kind": {"enum": ["environment"]},
        },
        "result_required": ["severity", "family", "description"],
    },
    "drift-check": {
        "title": "drift check: canonical-path drift",
        "result": {},
        "top": {
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "path", "line", "found", "expected", "message", "waived"],
                    "properties": {
                        "id": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
                        "path": STR,
                        "line": {"type": ["integer", "null"], "minimum": 1},
                        "found": STR,
                        "expected": STR,
                        "message": STR,
                        "waived": NULLABLE_STR,
                    },
                },
            },
        },
        "top_required": ["findings"],
    },
    "contract-index": {
        "title": "contract index: every artifact of a run",
        "result": {},
        "top": {
            "indexed_run": NULLABLE_STR,
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "path",
                        "kind",
                        "schema",
                        "schema_version",
                        "sha256",
                        "size",
                        "step",
                        "lane",
                        "commit",
                    ],
                    "properties": {
                        "path": STR,
                        "kind": {"enum": ["artifact", "dist"]},
                        "schema": NULLABLE_STR,
                        "schema_version": NULLABLE_STR,
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "size": {"type": "integer", "minimum": 0},
                        "step": NULLABLE_STR,
                        "lane": NULLABLE_STR,
                        "commit": {"type": ["string", "null"], "pattern": "^[0-9a-f]{40,64}$"},
                    },
                },
            },
            "schemas": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "version", "path", "sha256"],
                    "properties": {
                        "id": STR,
                        "version": STR,
                        "path": STR,
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                },
            },
        },
        "top_required": ["indexed_run", "entries", "schemas"],
    },
    "controls": {
        "title": "controls: a lane's controls verified from a run's evidence",
        "result": {"origin": STR, "title": STR, "evidence": STR},
        "result_required": ["origin", "title", "evidence"],
        "top": {"verified_run": NULLABLE_STR},
        "top_required": ["verified_run"],
    },
    "run-manifest": {
        "title": "run manifest: what one lane run produced",
        "result": {"artifact": STR},
        "result_required": ["artifact"],
        "top": {
            "artifacts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["path", "sha256", "size", "step"],
                    "properties": {
                        "path": STR,
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "size": {"type": "integer", "minimum": 0},
                        "step": STR,
                    },
                },
            },
            "retention": {
                "type": "object",
                "additionalProperties": False,
                "required": ["keep"],
                "properties": {"keep": {"type": "integer", "minimum": 1}},
            },
            # who ran it and where: what `history import` of a manifest needs
            "repository": NULLABLE_STR,
            "actor": NULLABLE_STR,
            "ci": NULLABLE_STR,
            # the process whose life is the run's (nox): a `running` run whose process has
            # ended was killed, not still going
            "pid": {"type": "integer", "minimum": 1},
        },
        "top_required": ["artifacts", "retention", "run"],
        "run_state": True,
    },
}


def schema(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    run_props: dict[str, Any] = {
        "id": NULLABLE_STR,
        "started_at": {"type": "string", "format": "date-time"},
        "duration_s": {"type": "number", "minimum": 0},
    }
    if spec.get("run_state"):
        run_props["state"] = {"enum": ["running", "complete", "interrupted"]}
    props: dict[str, Any] = {
        "schema": {"const": f"lane-tasks/{kind}"},
        "schema_version": {"const": VERSION},
        "tool": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "version"],
            "properties": {"name": {"const": "lane-tasks"}, "version": STR},
        },
        "lane": NULLABLE_STR,
        "step": STR,
        "reason": {"enum": ["interrupted"]},
        "subject": {
            "type": "object",
            "additionalProperties": False,
            "required": ["commit", "dirty"],
            "properties": {
                "commit": {"type": ["string", "null"], "pattern": "^[0-9a-f]{40,64}$"},
                "dirty": {"type": "boolean"},
            },
        },
        "status": STATUS,
        "summary": {
            "type": "object",
            "additionalProperties": False,
            "required": ["pass", "fail", "error", "skip"],
            # `warn` (optional, additive): the problems whose severity is not `error`
            "properties": {s: {"type": "integer", "minimum": 0} for s in (*STATUS["enum"], "warn")},
        },
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": RESULT_REQUIRED + spec.get("result_required", []),
                "properties": {**RESULT_BASE, **spec["result"]},
            },
        },
        "run": {
            "type": "object",
            "additionalProperties": False,
            "required": list(run_props),
            "properties": run_props,
        },
        **spec.get("top", {}),
    }
    required = ["schema", "schema_version", "tool", "lane", "step", "subject", "status"]
    required += ["summary", "results", *spec.get("top_required", [])]
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"urn:lane-tasks:schema:{kind}:{VERSION}",
        "title": f"lane-tasks {spec['title']} (v{VERSION})",
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": props,
    }


SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
COMMIT = {"type": ["string", "null"], "pattern": "^[0-9a-f]{40,64}$"}

# Records are tracked evidence written by people's decisions, not step artifacts: no envelope.
RECORDS: dict[str, dict[str, Any]] = {
    "release-decision": {
        "title": "release decision: a named owner's go/no-go for a version",
        "properties": {
            "version": STR,
            "commit": COMMIT,
            "decision": {"enum": ["go", "no-go"]},
            "owner": {"type": "string", "minLength": 1},
            "reason": NULLABLE_STR,
            "decided_at": {"type": "string", "format": "date-time"},
            "preflight": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "required": ["path", "sha256", "status", "commit"],
                # version and gate_fast (its gate-fast-evidence status): what the
                # release-owner control re-judges a go by; absent in older records
                "properties": {
                    "path": STR,
                    "sha256": SHA256,
                    "status": STATUS,
                    "commit": COMMIT,
                    "version": NULLABLE_STR,
                    "gate_fast": {"enum": ["pass", "fail", "error", "skip", None]},
                },
            },
            "override_reason": NULLABLE_STR,
            "evidence_problem": NULLABLE_STR,
            "superseded": {"type": "array", "items": {"type": "object"}},
        },
    },
    "kpi-review": {
        "title": "KPI review: a named reviewer's look at the lane's KPIs",
        "properties": {
            "reviewed_at": {"type": "string", "format": "date-time"},
            "reviewer": {"type": "string", "minLength": 1},
            "lane": STR,
            "notes": NULLABLE_STR,
            "kpis": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "title", "value", "status", "reason"],
                    "properties": {
                        "id": STR,
                        "title": STR,
                        "value": {"type": ["number", "null"]},
                        "status": {"type": "string", "minLength": 1},
                        "reason": NULLABLE_STR,
                        "unit": STR,
                        "display": STR,
                        "sample": {"type": "integer", "minimum": 0},
                        "window": {"type": "object"},
                    },
                },
            },
        },
    },
    "triage": {
        "title": "triage: a named owner looked at a failed run",
        "properties": {
            "run_id": {"type": "string", "minLength": 1},
            "repository": {"type": "string", "minLength": 1},
            "lane": NULLABLE_STR,
            "run_status": {"enum": ["fail", "error"]},
            "run_started_at": {"type": "string", "format": "date-time"},
            "owner": {"type": "string", "minLength": 1},
            "note": NULLABLE_STR,
            "triaged_at": {"type": "string", "format": "date-time"},
        },
    },
    "rollback": {
        "title": "rollback: a released version was yanked or superseded",
        "properties": {
            "version": STR,
            "commit": COMMIT,
            "owner": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
            "rolled_back_at": {"type": "string", "format": "date-time"},
            "decision_sha256": SHA256,
        },
    },
    "release-checklist": {
        "title": "release checklist: every item of a version cut, linked to its evidence",
        "properties": {
            "version": STR,
            "commit": COMMIT,
            "run_id": NULLABLE_STR,
            "created_at": {"type": "string", "format": "date-time"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "done", "evidence", "note"],
                    "properties": {
                        "id": STR,
                        "done": {"type": "boolean"},
                        "evidence": {
                            "type": ["object", "null"],
                            "additionalProperties": False,
                            "required": ["path", "sha256"],
                            "properties": {
                                "path": {"type": "string", "minLength": 1},
                                "sha256": SHA256,
                            },
                        },
                        "note": STR,
                    },
                },
            },
        },
    },
}


def record_schema(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    props = {
        "schema": {"const": f"lane-tasks/{kind}"},
        "schema_version": {"const": VERSION},
        "tool": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "version"],
            "properties": {"name": {"const": "lane-tasks"}, "version": STR},
        },
        **spec["properties"],
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": f"urn:lane-tasks:schema:{kind}:{VERSION}",
        "title": f"lane-tasks {spec['title']} (v{VERSION})",
        "type": "object",
        "additionalProperties": False,
        "required": list(props),
        "properties": props,
    }


def render() -> dict[Path, str]:
    docs = {kind: schema(kind, spec) for kind, spec in KINDS.items()}
    docs |= {kind: record_schema(kind, spec) for kind, spec in RECORDS.items()}
    out = {
        OUT / f"{kind}-{VERSION}.json": json.dumps(doc, indent=2, sort_keys=True) + "\n"
        for kind, doc in docs.items()
    }
    # lanes.toml for editors (Taplo / Even Better TOML): from the reader's own key tables
    from lane_tasks.config.keys import SCHEMA_FILE, key_table_markdown, lanes_toml_schema

    out[OUT / SCHEMA_FILE] = json.dumps(lanes_toml_schema(), indent=2) + "\n"
    out[ARCHITECTURE] = with_key_table(
        ARCHITECTURE.read_text(encoding="utf-8"), key_table_markdown()
    )
    return out


def with_key_table(text: str, table: str) -> str:
    """`text` with the part between the key-table markers replaced by `table`; the rest of the
    page is written by hand."""
    start, end = text.find(KEYS_START), text.find(KEYS_END)
    if start < 0 or end < start:
        sys.exit(f"{ARCHITECTURE}: needs the markers {KEYS_START} and {KEYS_END}, in that order")
    return f"{text[: start + len(KEYS_START)]}\n{table}{text[end:]}"


if __name__ == "__main__":
    for path, text in render().items():
        if "--check" in sys.argv:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                sys.exit(f"{path} is stale: run python tools/gen_schemas.py")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
