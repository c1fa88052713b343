"""util/redact in-process: scrubbing, redaction, excerpts, without the subprocess runner."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lane_tasks.util import procs, redact


def test_redact_imports_no_lane_tasks_module() -> None:
    tree = ast.parse(Path(redact.__file__).read_text(encoding="utf-8"))
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in modules if m.startswith("lane_tasks")]


def test_procs_reexports_the_same_functions() -> None:
    for name in ("scrub", "redact", "secret_values", "excerpt", "cut_tail", "printable"):
        assert getattr(procs, name) is getattr(redact, name)


def test_scrub_replaces_secret_environment_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "hunter2-abcdef")
    assert redact.scrub("login hunter2-abcdef ok") == "login *** ok"
    assert "hunter2-abcdef" in redact.secret_values()


def test_secret_values_ignores_short_and_plain_names() -> None:
    env = {"PASSWORD": "abc", "HOME": "/home/x", "DB_PASSWORD": "longer-one"}
    assert redact.secret_values(env) == ["longer-one"]


def test_redact_patterns() -> None:
    assert redact.redact("password=swordfish1") == "password=***"
    assert redact.redact("https://user:pw1234@host/x") == "https://user:***@host/x"
    assert redact.redact("tok ghp_" + "a" * 30 + " end") == "tok *** end"
    assert redact.redact("abc", ["abc"]) == redact.REDACTED


def test_excerpt_normalises_root_and_durations(tmp_path: Path) -> None:
    out = f"\x1b[31m{tmp_path}/a.py:1: E1\x1b[0m in 1.5s\n"
    assert redact.excerpt(out, root=tmp_path, stable=True) == "a.py:1: E1 in <duration>"


def test_cut_tail_does_not_leak_a_cut_word() -> None:
    assert redact.cut_tail("secretvalue rest", 8) == "… rest"


def test_log_text_keeps_carriage_returns() -> None:
    assert redact.log_text("a\rb\x1b[0m") == "a\rb"
