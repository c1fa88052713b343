"""A registry of small checks, in the style of repo-review, shared by doctor and gate release.

A check is a class whose docstring is its description, with a family, a severity, the checks it
`requires` and a fix hint; `check()` takes the step context and a shared `facts` dict and returns
an Outcome, never printing. The runner starts every check whose requirements are settled, so
independent checks (a build backend call, a `twine check`) run at the same time; results come
back in registry order whatever order they finished in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from lane_tasks import console
from lane_tasks.catalog.checks import CheckInfo
from lane_tasks.evidence.artifacts import Result
from lane_tasks.evidence.status import is_warning, status_of

if TYPE_CHECKING:
    from lane_tasks.steps.base import StepContext

__all__ = ["Check", "CheckRegistry", "Outcome", "verdict"]


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str = ""
    excerpt: str = ""
    exit_code: int | None = None
    error_kind: str | None = None
    """`environment` when the machine, not the project, is the problem (missing tool)."""
    fix: str | None = None
    """This outcome's own fix, when the check's general one would mislead (a backend error
    found while reading the version is not fixed by bumping it)."""


class Check:
    """Base class; subclasses set the class attributes and implement `check`."""

    id: ClassVar[str]
    family: ClassVar[str]
    severity: ClassVar[str] = "error"
    requires: ClassVar[tuple[str, ...]] = ()
    fix: ClassVar[str]
    doing: ClassVar[str] = ""
    """What a person is told while it runs ("building sdist and wheel"); "" for a quick check."""

    def check(self, ctx: StepContext, facts: dict[str, Any]) -> Outcome:
        raise NotImplementedError

    @classmethod
    def description(cls) -> str:
        return " ".join((cls.__doc__ or "").split())


class CheckRegistry:
    """Checks by id, in registration order (which is also their report order)."""

    def __init__(self, catalog: Mapping[str, CheckInfo]) -> None:
        self.checks: dict[str, type[Check]] = {}
        self.catalog = catalog
        """The ids this registry may hold (lane_tasks.catalog.checks): lanes.toml names them."""

    def register(self, cls: type[Check]) -> type[Check]:
        info = self.catalog.get(cls.id)
        if info is None or info.family != cls.family:
            raise KeyError(f"check {cls.id!r} (family {cls.family!r}) is not in the catalog")
        if cls.id in self.checks:
            raise KeyError(f"check {cls.id!r} registered twice")
        unknown = [r for r in cls.requires if r not in self.checks]
        if unknown:
            raise KeyError(f"check {cls.id!r} requires unregistered {unknown}")
        self.checks[cls.id] = cls
        return cls

    def __contains__(self, cid: object) -> bool:
        return cid in self.checks

    def __iter__(self) -> Any:
        return iter(self.checks)

    def run(
        self,
        ctx: StepContext,
        disabled: Mapping[str, str],
        *,
        jobs: int = 4,
        fix_vars: Mapping[str, str] | None = None,
        facts: dict[str, Any] | None = None,
    ) -> list[Result]:
        """Run every check; a check whose requirement did not pass is skipped with the reason,
        a disabled one is skipped with the reason lanes.toml gives. `facts` is what the checks
        learned (the caller may read it afterwards)."""
        facts = {} if facts is None else facts
        fix_vars = fix_vars or {}
        outcomes: dict[str, Outcome] = {}
        pending = list(self.checks)
        console.expect(pending)

        def settle(cid: str, outcome: Outcome) -> None:
            outcomes[cid] = outcome
            console.finished(self._result(cid, outcome, fix_vars))

        running: dict[Future[Outcome], str] = {}
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            while pending or running:
                progressed = True
                while progressed:
                    progressed = False
                    for cid in list(pending):
                        cls = self.checks[cid]
                        if any(r not in outcomes for r in cls.requires):
                            continue
                        pending.remove(cid)
                        progressed = True
                        skipped = _skip(cls, disabled, outcomes)
                        if skipped is not None:
                            settle(cid, skipped)
                        else:
                            console.started(cid, cls.doing)
                            running[pool.submit(_safe, cls().check, ctx, facts)] = cid
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        settle(running.pop(fut), fut.result())
        return [self._result(cid, outcomes[cid], fix_vars) for cid in self.checks]

    def _result(self, cid: str, outcome: Outcome, fix_vars: Mapping[str, str]) -> Result:
        cls = self.checks[cid]
        extra: dict[str, Any] = {"family": cls.family, "description": cls.description()}
        fix = None
        if outcome.status in ("fail", "error"):
            fix = outcome.fix or cls.fix.format(**fix_vars)
        return Result(
            id=cid,
            status=outcome.status,
            message=outcome.message,
            fix=fix,
            excerpt=outcome.excerpt,
            exit_code=outcome.exit_code,
            severity=cls.severity,
            error_kind=outcome.error_kind or None,
            extra=extra,
        )


def _skip(
    cls: type[Check], disabled: Mapping[str, str], outcomes: Mapping[str, Outcome]
) -> Outcome | None:
    if cls.id in disabled:
        return Outcome("skip", f"disabled in lanes.toml: {disabled[cls.id]}")
    blocked = [r for r in cls.requires if outcomes[r].status != "pass"]
    if blocked:
        return Outcome("skip", f"requires {', '.join(blocked)}, which did not pass")
    return None


def _safe(fn: Callable[..., Outcome], *args: Any) -> Outcome:
    try:
        return fn(*args)
    except Exception as exc:  # a broken check is an error of that check, not a crash
        return Outcome("error", f"check crashed: {type(exc).__name__}: {exc}")


def verdict(results: list[Result]) -> str:
    """Severity-aware step status: the one status rule over the results that are not
    warnings (a warning-severity problem fails nothing)."""
    return status_of(r.status for r in results if not is_warning(r.status, r.severity))
