"""gate release's SBOM: a CycloneDX 1.6 bill of materials of the distributions it built, made
with the CycloneDX project's own library (cyclonedx-python-lib).

What it lists: the project (from the wheel's metadata) and its two distribution files with
their sha256; every dependency the wheel declares (for no extra, markers evaluated here),
resolved against the environment the release is tried in, with what those depend on in turn;
and, as the tools that made it, the build backend and its requirements ([build-system]) and
lane-tasks. A requirement not installed here is listed unresolved (no version), never left
out. Its time is the commit's (SOURCE_DATE_EPOCH) and its serial number is derived from the
distributions' digests, so the same build gives the same bytes.

In a lane run it is kept in the run (`gate-release/sbom.cdx.json`, listed in the manifest, so
the contract index indexes and signs it); it is also written to `<artifacts_dir>/sbom.cdx.json`.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import tomllib
import uuid
import zipfile
from collections import deque
from datetime import UTC, datetime
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from lane_tasks import __version__
from lane_tasks.evidence.store import open_run, record_files
from lane_tasks.project.git import subject
from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Check, Outcome
from lane_tasks.steps.release_dists import EPOCH, source_date_epoch
from lane_tasks.steps.release_install import applicable
from lane_tasks.util.jsonio import atomic_write

__all__ = ["SBOM_NAME", "Sbom", "sbom_json"]

SBOM_NAME = "sbom.cdx.json"


def _installed(name: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def sbom_json(
    *,
    metadata: str,
    dists: list[dict[str, str]],
    build_requires: list[str],
    backend: str | None,
    epoch: int | None,
) -> str:
    """The CycloneDX 1.6 JSON document (see the module docstring for what it holds)."""
    # its serializer logs every field it registers at DEBUG, and nox (in whose process a
    # lane's steps run) shows DEBUG records: hundreds of lines in the middle of the lane
    for noisy in ("py_serializable", "cyclonedx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # start-up cost: only gate release writes an SBOM
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentScope, ComponentType
    from cyclonedx.model.tool import ToolRepository
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    meta = HeaderParser().parsestr(metadata)
    name, version = str(meta["Name"]), str(meta["Version"])

    def purl(n: str, v: str | None) -> PackageURL:
        return PackageURL(type="pypi", name=canonicalize_name(n), version=v)

    def ref(n: str, v: str | None) -> str:
        return str(purl(n, v))

    project = Component(
        name=name,
        version=version,
        type=ComponentType.LIBRARY,
        purl=purl(name, version),
        bom_ref=ref(name, version),
        description=meta["Summary"] or None,
    )
    files = [
        Component(
            name=d["name"],
            type=ComponentType.FILE,
            bom_ref=f"file:{d['name']}",
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=d["sha256"])],
            properties=[Property(name="lane-tasks:distribution", value=d["kind"])],
        )
        for d in dists
    ]
    components: dict[str, Component] = {}
    edges: dict[str, list[str]] = {}

    def resolve(req: Requirement) -> str:
        """The component for `req` (resolved here or not); its bom-ref."""
        dist = _installed(req.name)
        have = dist.version if dist is not None else None
        key = ref(req.name, have)
        if key not in components:
            props = [Property(name="lane-tasks:requirement", value=str(req))]
            if dist is None:
                props.append(Property(name="lane-tasks:resolved", value="not installed here"))
            components[key] = Component(
                name=canonicalize_name(req.name),
                version=have,
                type=ComponentType.LIBRARY,
                purl=purl(req.name, have),
                bom_ref=key,
                scope=ComponentScope.REQUIRED,
                properties=props,
            )
            if dist is not None:
                todo.append((key, dist))
        return key

    todo: deque[tuple[str, importlib.metadata.Distribution]] = deque()
    edges[project.bom_ref.value or ""] = [
        resolve(r) for r in applicable(meta.get_all("Requires-Dist") or [])[0]
    ]
    while todo:
        key, dist = todo.popleft()
        edges[key] = [resolve(r) for r in applicable(dist.requires or [])[0]]

    tools = [
        Component(
            name="lane-tasks",
            version=__version__,
            type=ComponentType.APPLICATION,
            purl=purl("lane-tasks", __version__),
            bom_ref="tool:lane-tasks",
        )
    ]
    for line in build_requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        tool = _installed(req.name)
        props = [Property(name="lane-tasks:requirement", value=str(req))]
        if backend:
            props.append(Property(name="lane-tasks:build-backend", value=backend))
        tools.append(
            Component(
                name=canonicalize_name(req.name),
                version=tool.version if tool is not None else None,
                type=ComponentType.LIBRARY,
                purl=purl(req.name, tool.version if tool is not None else None),
                bom_ref=f"tool:{canonicalize_name(req.name)}",
                properties=props,
            )
        )

    seed = " ".join(sorted(d["sha256"] for d in dists)) or f"{name} {version}"
    bom = Bom(
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"lane-tasks:sbom:{seed}"),
        metadata=BomMetaData(
            component=project,
            tools=ToolRepository(components=tools),
            timestamp=datetime.fromtimestamp(epoch, UTC) if epoch is not None else None,
        ),
        components=[*files, *components.values()],
    )
    by_ref = {c.bom_ref.value: c for c in [project, *components.values()]}
    for src, targets in edges.items():
        bom.register_dependency(by_ref[src], [by_ref[t] for t in targets])
    for f in files:
        bom.register_dependency(project, [f])
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


class Sbom(Check):
    """A CycloneDX SBOM of the built distributions is written (and kept in the lane's run,
    where the contract index indexes and signs it)."""

    id = "sbom"
    doing = "writing the SBOM"
    family = "packaging"
    requires = ("build",)
    fix = 'install the SBOM library beside lane-tasks (pip install "lane-tasks[release]")'

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        try:
            import cyclonedx  # noqa: F401  # start-up cost: only when gate release runs
        except ImportError:
            return Outcome(
                "error",
                "module 'cyclonedx' (cyclonedx-python-lib) is not installed for lane-tasks",
                error_kind="environment",
            )
        wheel: Path = facts["dists"][1]
        with zipfile.ZipFile(wheel) as whl:
            info = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = whl.read(info).decode("utf-8", "replace")
        try:
            pyproject = tomllib.loads((ctx.root / "pyproject.toml").read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            pyproject = {}
        system = pyproject.get("build-system", {})
        epoch = source_date_epoch(ctx.root).get(EPOCH)
        text = sbom_json(
            metadata=metadata,
            dists=facts["dist_digests"],
            build_requires=[str(r) for r in system.get("requires", [])],
            backend=system.get("build-backend"),
            epoch=int(epoch) if epoch else None,
        )
        written = [ctx.config.artifacts_path() / SBOM_NAME]
        if ctx.run_id:
            at = subject(ctx.root, (ctx.config.artifacts_dir,)).to_json()
            written.append(open_run(ctx.config, ctx.run_id, at) / "gate-release" / SBOM_NAME)
        for path in written:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        if ctx.run_id:
            record_files(
                ctx.config, ctx.run_id, step="gate-release", names=[f"gate-release/{SBOM_NAME}"]
            )
        listed = json.loads(text).get("components", [])
        libraries = [c for c in listed if c.get("type") == "library"]
        unresolved = sum(1 for c in libraries if "version" not in c)
        kept = " and kept in the run" if ctx.run_id else ""
        return Outcome(
            "pass",
            f"CycloneDX 1.6 SBOM of {len(listed) - len(libraries)} distribution file(s) and "
            f"{len(libraries)} dependencies ({unresolved} not installed here): "
            f"{ctx.config.shown(written[0])}{kept}",
        )
