"""The deprecation registry, read when a control needs it (lanes.toml's items or a file)."""

from __future__ import annotations

from pathlib import Path

from lane_tasks.config.load import toml
from lane_tasks.config.model import Config
from lane_tasks.config.reader import Reader
from lane_tasks.config.settings import Deprecation
from lane_tasks.config.tables_compat import deprecation_items
from lane_tasks.errors import ConfigError


def load_deprecations(config: Config) -> tuple[Deprecation, ...]:
    """The deprecation registry: lanes.toml's items, or those of `[deprecations] file` (read
    now, so a broken file fails the controls that need it, not every command). ConfigError
    with file:line on a bad file."""
    settings = config.deprecations
    if settings.file is None:
        return settings.items
    path = config.root / settings.file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "no such file (named by deprecations.file in lanes.toml)", path=settings.file
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=settings.file) from None
    data = toml(text, Path(settings.file))  # the same one-line error as lanes.toml's
    r = Reader(Path(settings.file), text)
    r.known(data, [], ["deprecations"])
    t = r.table(data.get("deprecations", {}), ["deprecations"])
    r.known(t, ["deprecations"], ["items"])
    return deprecation_items(r, t, ["deprecations"])
