"""gate release's checks of the wheel as users get it: installed into a fresh virtual
environment, every top-level package or module it provides imports from there, every console
script answers `--help`, and the project's own smoke command ([gate.release] smoke) passes
against it, run from an empty directory.

These are what break real releases that build and pass `twine check`: a package-data file or a
module left out of the wheel, an entry point naming a function that moved. The environment is
made offline (util.venvs): the wheel goes in with pypa/installer, its dependencies are the ones
installed beside lane-tasks, and a dependency missing there is an error of the machine, not a
failure of the project. Imports run with `python -I` from an empty directory, so the source
tree cannot stand in for the wheel, and each module must come from the new environment.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from lane_tasks.steps.base import StepContext
from lane_tasks.steps.checks import Check, Outcome
from lane_tasks.util.procs import ProcResult, ProcSpec, excerpt, run_one, tool_env
from lane_tasks.util.venvs import env_paths, seeing_venv

__all__ = [
    "InstalledWheel",
    "Smoke",
    "applicable",
    "console_scripts",
    "importable",
    "unmet_requirements",
]

_IMPORT = r"""
import importlib, json, os, sys, traceback
prefix = os.path.realpath(sys.prefix)
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name)
    except BaseException as exc:
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        print(json.dumps({"module": name, "error": last}))
        continue
    where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), "")
    inside = os.path.realpath(where).startswith(prefix + os.sep) if where else True
    print(json.dumps({"module": name, "error": None, "file": where, "inside": inside}))
"""
"""Run in the new environment: imports each module named, one JSON line each."""


_PROBE = r"""
import atexit, json, os, sys
_out = os.environ.get("LANE_TASKS_SMOKE_IMPORTS")
_names = os.environ.get("LANE_TASKS_SMOKE_MODULES")
def _record():
    seen = {}
    for name in (_names or "").split(","):
        module = sys.modules.get(name)
        if module is not None:
            where = getattr(module, "__file__", None)
            where = where or next(iter(getattr(module, "__path__", [])), "")
            seen[name] = os.path.realpath(where) if where else ""
    if seen:
        with open(_out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(seen) + "\n")
if _out:
    atexit.register(_record)
"""
"""Loaded by every interpreter of the fresh environment (a `.pth` line): while the smoke
command runs, it records where each of the wheel's top-level modules was imported from."""
PROBE_ENV = ("LANE_TASKS_SMOKE_IMPORTS", "LANE_TASKS_SMOKE_MODULES")


def _plant_probe(python: Path) -> None:
    site = Path(env_paths(python.parent.parent)["purelib"])
    (site / "_lane_tasks_smoke_probe.py").write_text(_PROBE, encoding="utf-8")
    (site / "_lane_tasks_smoke_probe.pth").write_text(
        "import _lane_tasks_smoke_probe\n", encoding="utf-8"
    )


def importable(names: list[str]) -> list[str]:
    """The top-level packages and modules a wheel's file list provides (a namespace package:
    the packages and modules one level down), in order."""
    tops: dict[str, None] = {}
    dirs: dict[str, set[str]] = {}
    for name in names:
        first, _, rest = name.partition("/")
        if first.endswith((".dist-info", ".data")) or first == "__pycache__":
            continue
        if not rest:
            stem = first.split(".")[0]
            if first.endswith((".py", ".so", ".pyd")) and stem.isidentifier():
                tops[stem] = None
            continue
        dirs.setdefault(first, set()).add(rest)
    for top, inner in sorted(dirs.items()):
        if not top.isidentifier():
            continue
        if "__init__.py" in inner or any(i.startswith("__init__.") for i in inner):
            tops[top] = None
            continue
        for rest in sorted(inner):  # a namespace package: what lies one level down
            sub, _, below = rest.partition("/")
            stem = sub.split(".")[0] if not below else sub
            if (below.startswith("__init__.") or sub.endswith(".py")) and stem.isidentifier():
                tops[f"{top}.{stem}"] = None
    return list(tops)


def console_scripts(entry_points: str) -> list[str]:
    """The console script names an `entry_points.txt` declares."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(entry_points)
    return sorted(parser["console_scripts"]) if parser.has_section("console_scripts") else []


def applicable(lines: list[str]) -> tuple[list[Requirement], list[str]]:
    """The requirements among `lines` (Requires-Dist values) that apply here for no extra,
    and the lines that are no valid requirement."""
    reqs, invalid = [], []
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            invalid.append(line)
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            reqs.append(req)
    return reqs, invalid


def unmet_requirements(metadata: str) -> list[str]:
    """The wheel's Requires-Dist (for no extra) that the outer environment does not satisfy."""
    reqs, invalid = applicable(HeaderParser().parsestr(metadata).get_all("Requires-Dist") or [])
    unmet = [f"{line} (not a valid requirement)" for line in invalid]
    for req in reqs:
        try:
            have = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(f"{req} (not installed)")
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            unmet.append(f"{req} ({have} installed)")
    return unmet


def _install(wheel: Path, env: Path, python: Path) -> None:
    """pypa/installer puts the wheel into `env` (RECORD checked, scripts made for `python`)."""
    # start-up cost: only gate release installs
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    paths = env_paths(env)
    scheme = {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "headers": str(Path(paths["include"]) / "site"),
        "scripts": paths["scripts"],
        "data": paths["data"],
    }
    destination = SchemeDictionaryDestination(
        scheme, interpreter=str(python), script_kind="posix", bytecode_optimization_levels=()
    )
    with WheelFile.open(wheel) as source:
        source.validate_record(validate_contents=True)
        install(source, destination, additional_metadata={"INSTALLER": b"lane-tasks\n"})


class InstalledWheel(Check):
    """The built wheel installs into a fresh environment; each top-level package or module it
    provides imports from there, and each console script answers `--help`."""

    id = "installed-wheel"
    doing = "installing the wheel into a fresh environment"
    family = "packaging"
    requires = ("build",)
    fix = (
        "include what the wheel lacks (package data, modules) in your build configuration, "
        "or fix the entry point; reproduce with `pip install <wheel>` in a new venv"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        wheel: Path = facts["dists"][1]
        with zipfile.ZipFile(wheel) as whl:
            names = whl.namelist()
            info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = whl.read(f"{info}/METADATA").decode("utf-8", "replace")
            ep = f"{info}/entry_points.txt"
            scripts = console_scripts(whl.read(ep).decode()) if ep in names else []
        unmet = unmet_requirements(metadata)
        if unmet:
            return Outcome(
                "error",
                "cannot try the wheel offline: lane-tasks' environment lacks its dependencies "
                + "; ".join(unmet),
                error_kind="environment",
                fix="install the project's dependencies beside lane-tasks (`pip install -e .`)",
            )
        env: Path = facts["scratch"] / "wheel-env"  # gone with the step (gate_release.run)
        python = seeing_venv(env)
        try:
            _install(wheel, env, python)
        except Exception as exc:  # installer's own errors: a bad RECORD, a clash
            return Outcome("fail", f"{wheel.name} does not install: {exc}")
        facts["wheel_python"] = python
        modules = importable(names)
        facts["wheel_modules"] = modules
        problems = self._imports(ctx, python, modules) + self._scripts(ctx, env, scripts)
        if problems:
            return Outcome("fail", "; ".join(problems))
        said = f"{len(modules)} top-level import(s) ({', '.join(modules)})"
        if scripts:
            said += f" and {len(scripts)} console script(s) ({', '.join(scripts)}) answer --help"
        return Outcome("pass", f"installed {wheel.name} into a fresh environment: {said}")

    def _imports(self, ctx: StepContext, python: Path, modules: list[str]) -> list[str]:
        if not modules:
            return ["the wheel provides no package or module to import"]
        res = _run_in(ctx, self.id, [str(python), "-I", "-c", _IMPORT, *modules])
        if res.outcome != "exited" or res.exit_code != 0:
            return [f"the import check did not finish: {res.detail or res.exit_code}"]
        problems = []
        for line in res.output.splitlines():
            try:
                said = json.loads(line)
            except ValueError:
                continue  # a module that prints on import
            if not isinstance(said, dict) or "module" not in said:
                continue
            if said["error"]:
                problems.append(f"import {said['module']} fails: {said['error']}")
            elif not said["inside"]:
                problems.append(
                    f"import {said['module']} found {said['file']}, not the installed wheel"
                )
        return problems

    def _scripts(self, ctx: StepContext, env: Path, scripts: list[str]) -> list[str]:
        problems = []
        for name in scripts:
            res = _run_in(ctx, self.id, [str(env / "bin" / name), "--help"])
            if res.outcome != "exited" or res.exit_code != 0:
                said = excerpt(res.output, root=ctx.root, stable=ctx.stable).strip()
                last = said.splitlines()[-1] if said else res.detail
                code = f"exit {res.exit_code}" if res.outcome == "exited" else res.outcome
                problems.append(f"console script `{name} --help` fails ({code}): {last}")
        return problems


class Smoke(Check):
    """[gate.release] smoke, run against the installed wheel from an empty directory:
    `{python}` is the fresh environment's interpreter, `{project}` the repository."""

    id = "smoke"
    doing = "running the smoke command against the installed wheel"
    family = "packaging"
    requires = ("installed-wheel",)
    fix = (
        "fix what the smoke command reports; it ran against the installed wheel, so a file "
        "missing from the wheel fails here even when the tests pass in the source tree"
    )

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        cmd = ctx.config.release.smoke
        if not cmd:
            return Outcome(
                "skip",
                'no smoke command: set [gate.release] smoke, e.g. ["{python}", "-m", "pytest", '
                '"{project}/tests"], to run your tests against the installed wheel',
            )
        python: Path = facts["wheel_python"]
        modules: list[str] = facts["wheel_modules"]
        _plant_probe(python)
        record = facts["scratch"] / "smoke-imports.jsonl"
        probe = dict(zip(PROBE_ENV, (str(record), ",".join(modules)), strict=True))
        argv = [a.replace("{python}", str(python)).replace("{project}", str(ctx.root)) for a in cmd]
        res = _run_in(ctx, self.id, argv, probe)
        shown = " ".join(cmd)
        text = excerpt(res.output, root=ctx.root, stable=ctx.stable)
        if res.outcome == "exited" and res.exit_code == 0:
            return _imported_from(ctx, record, python.parent.parent, modules, shown)
        if res.outcome == "exited":
            return Outcome("fail", f"`{shown}` failed (exit {res.exit_code})", text, res.exit_code)
        return Outcome("error", res.detail, text)


def _imported_from(
    ctx: StepContext, record: Path, env: Path, modules: list[str], shown: str
) -> Outcome:
    """The passing smoke command's verdict from where it imported the wheel's modules: each
    from the fresh environment, and at least one (a smoke that never imports the wheel, or
    imports the source tree through pytest's `pythonpath`, tested nothing of it)."""
    seen: dict[str, set[str]] = {}
    with contextlib.suppress(OSError):
        for line in record.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                for name, where in json.loads(line).items():
                    seen.setdefault(name, set()).add(where)
    prefix = str(env.resolve()) + os.sep
    outside = sorted(
        f"{name} from {ctx.config.shown(Path(w))}"
        for name, wheres in seen.items()
        for w in wheres
        if not w.startswith(prefix)
    )
    if outside:
        return Outcome(
            "fail",
            f"`{shown}` passed, but imported {'; '.join(outside)}, not the installed wheel",
            fix="keep the source tree off sys.path in the smoke command (for pytest: "
            "`-o pythonpath=` over a `pythonpath` setting, and no `__init__.py` in tests/)",
        )
    if not seen:
        return Outcome(
            "fail",
            f"`{shown}` passed, but never imported {', '.join(modules)} with {{python}}: "
            "it tried nothing of the installed wheel",
            fix="make the smoke command import the package with {python} (its tests, a "
            "console script, `{python} -c 'import pkg'`)",
        )
    return Outcome(
        "pass",
        f"`{shown}` passed against the installed wheel (imported {', '.join(sorted(seen))} "
        "from it)",
        exit_code=0,
    )


def _run_in(
    ctx: StepContext, check_id: str, argv: list[str], extra: dict[str, str] | None = None
) -> ProcResult:
    """`argv` from an empty temporary directory, with no PYTHONPATH: nothing of the source
    tree is importable unless the command itself names it."""
    env = tool_env(extra)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    cwd = Path(tempfile.mkdtemp(prefix="lane-tasks-smoke-"))
    try:
        return run_one(
            ProcSpec(
                id=check_id,
                cmd=tuple(argv),
                cwd=cwd,
                timeout=ctx.config.release.timeout,
                env=env,
            )
        )
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
