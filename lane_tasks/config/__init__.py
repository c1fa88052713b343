"""lanes.toml -> Config: load, validate (file:line, key, did-you-mean) and resolve `extends`.

A lane inherits every step, control and KPI of the lane it extends and may only add to them:
re-listing an inherited id, or trying to drop one, is an error. Every error is one line,
`lanes.toml:LINE: KEY: problem`, raised as ConfigError (exit 2).

The package: `model` (Config and the lanes), `settings` (one dataclass per table), `lines`
(key -> line), `reader` (typed access and its errors), the `tables_*` parsers (one function
per table), `load` (find, read, assemble), `deprecations` (the registry file) and `keys`
(every key, declared once as data). This module re-exports the names other modules import, so
`from lane_tasks.config import X` stays the API.
"""

from __future__ import annotations

from lane_tasks.config.deprecations import load_deprecations
from lane_tasks.config.lines import PYPROJECT, TOOL_TABLE, config_table, key_lines, key_name
from lane_tasks.config.load import (
    CONFIG_NAME,
    MAX_CONFIG_CHARS,
    config_in,
    find_config,
    load_config,
    parse_config,
)
from lane_tasks.config.model import Config, Item, LaneSpec, ResolvedLane
from lane_tasks.config.settings import (
    ARTIFACTS_DIR,
    CHECKLIST_DECISION,
    COMPAT_POLICIES,
    COMPAT_SOURCES,
    DEFAULT_CHECKLIST,
    DEFAULT_DRIFT_DOCS,
    DEFAULT_SEVERITY_LEVELS,
    DEFAULT_TAG_PATTERN,
    NOX_BACKENDS,
    REPORT_FORMATS,
    REPORT_PLACEHOLDER,
    ChecklistSettings,
    CheckSpec,
    CompatSettings,
    Deprecation,
    DeprecationSettings,
    DoctorSettings,
    DriftSettings,
    GateFastSettings,
    GateReleaseSettings,
    HistorySettings,
    KpiSettings,
    NoxSettings,
    ProjectSettings,
    ReleaseSettings,
    RunsSettings,
    SeverityLevel,
    SigningSettings,
    SupportSettings,
    Team,
    TeamOwnership,
    Waiver,
)

__all__ = [
    "ARTIFACTS_DIR",
    "CHECKLIST_DECISION",
    "COMPAT_POLICIES",
    "COMPAT_SOURCES",
    "CONFIG_NAME",
    "DEFAULT_CHECKLIST",
    "DEFAULT_DRIFT_DOCS",
    "DEFAULT_SEVERITY_LEVELS",
    "DEFAULT_TAG_PATTERN",
    "MAX_CONFIG_CHARS",
    "NOX_BACKENDS",
    "PYPROJECT",
    "REPORT_FORMATS",
    "REPORT_PLACEHOLDER",
    "TOOL_TABLE",
    "CheckSpec",
    "ChecklistSettings",
    "CompatSettings",
    "Config",
    "Deprecation",
    "DeprecationSettings",
    "DoctorSettings",
    "DriftSettings",
    "GateFastSettings",
    "GateReleaseSettings",
    "HistorySettings",
    "Item",
    "KpiSettings",
    "LaneSpec",
    "NoxSettings",
    "ProjectSettings",
    "ReleaseSettings",
    "ResolvedLane",
    "RunsSettings",
    "SeverityLevel",
    "SigningSettings",
    "SupportSettings",
    "Team",
    "TeamOwnership",
    "Waiver",
    "config_in",
    "config_table",
    "find_config",
    "key_lines",
    "key_name",
    "load_config",
    "load_deprecations",
    "parse_config",
]
