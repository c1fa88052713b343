"""util/redact in-process: scrubbing, redaction, excerpts, without the subprocess runner; the
secret shapes redaction must catch, and its linear time on any output.

Redaction runs after a check has ended, where the check's timeout no longer bounds anything:
a quadratic pattern turned one 40 KB line into 20 s (issue 12 part 10).
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ---- redaction in linear time, and the secret shapes it must catch (issue 12 part 10) -------

# Pieces the old patterns backtracked on: name characters, keyword starts, URL delimiters in
# their raw, URL-encoded and JSON-escaped forms, token prefixes, escape sequences.
PIECES = [
    "a", "A", "1", "-", ".", "_", " ", "=", ":", '"', "'", "\n", "\r", "/", "@",
    "token", "password", "secret", "auth", "cookie", "api_key", "bearer ", "authorization: ",
    "://", "a://b:", "%3A", "%2F", "%40", "\\/", "\\u0040", "\\u003a",
    "eyJ", "eyJaaaaaaaaaaaa", "ghp_", "sk-", "glpat-", "pypi-", "AKIA", "0x", "1.5s ",
    "\x1b[", "\x1b]", "/tmp/",
]  # fmt: skip


def _cpu(fn: object, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        fn(text)  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    return max(best, 1e-4)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=4))
def test_redaction_is_linear_on_adversarial_output(pieces: list[str]) -> None:
    unit = "".join(pieces)
    small = unit * (16_384 // len(unit) + 1)
    large = small * 4
    for fn in (redact.redact, lambda t: redact.excerpt(t, root=Path("/nonexistent"), stable=True)):
        ratio = _cpu(fn, large) / _cpu(fn, small)
        # linear is 4; the quadratic patterns gave 16 and more
        assert ratio < 10, (repr(unit), ratio)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ('{"url": "https:\\/\\/user:s3cretpw@host\\/x"}', "s3cretpw"),
        ('"https://user:s3cretpw\\u0040host"', "s3cretpw"),
        ('"https:\\u002f\\u002fuser\\u003as3cretpw\\u0040host"', "s3cretpw"),
        ("next=https%3A%2F%2Fuser%3As3cretpw%40host%2Fx", "s3cretpw"),
        ("https://user:p%40ss%3Aw0rd@host/x", "w0rd"),
        ("HTTPS://USER:S3CRETPW@HOST", "S3CRETPW"),
    ],
)
def test_url_encoded_password_is_redacted(text: str, leak: str) -> None:
    out = redact.redact(text)
    assert leak not in out
    assert "***" in out
    assert "host" in out.lower()  # only the password goes


def test_cookie_env_value_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "SESSION_COOKIE": "c00kie-value-1",
        "AWS_CREDENTIALS": "cred-value-22",
        "NPM_AUTH": "auth-value-333",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    out = redact.excerpt(" ".join(values.values()), root=Path("/nonexistent"))
    assert not any(v in out for v in values.values()), out
    # and the same names in a tool's own output
    text = "cookie: sessid=abc123def credential=hunter22 auth_token xyzw9876 Author: Jane"
    out = redact.redact(text)
    assert not any(s in out for s in ("abc123def", "hunter22", "xyzw9876")), out
    assert "Author: Jane" in out


def test_secret_cut_at_the_kept_tail_is_not_leaked() -> None:
    secret = "s3cret-value-that-is-long"
    text = "x" * 10 + " password=" + secret + " tail"
    cut = redact.cut_tail(text, len(secret) + 2)  # cuts inside the secret, its name is gone
    assert "value" not in cut
    assert cut == "… tail"
    assert redact.cut_tail("ab cd", 2) == "cd"
    assert redact.cut_tail("ab cd", 10) == "ab cd"


def test_unclosed_quote_value_is_redacted() -> None:
    assert redact.redact('password="hunter22') == 'password="***'
    assert redact.redact("password='hunter22'") == "password='***'"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("password=correcthorse", "correcthorse"),
        ("PASSWORD: 'correcthorse'", "correcthorse"),
        ("api_key = abcdef123456", "abcdef123456"),
        ("Authorization: Bearer abc.def.ghi123", "abc.def.ghi123"),
        ("push https://user:pa55word@host.example/repo.git", "pa55word"),
        ("token " + "ghp_" + "x" * 36, "ghp_"),
        ("pypi-" + "A" * 40, "pypi-AAAA"),
        ("AKIA" + "ABCDEFGHIJKLMNOP", "AKIAABCD"),
    ],
)
def test_redact_hides_each_secret_shape(text: str, leak: str) -> None:
    out = redact.redact(text)
    assert leak not in out
    assert "***" in out


def test_redact_secret_env_values_only() -> None:
    env = {
        "MY_TOKEN": "v4lue-of-token",
        "HOME": "/root",
        "DB_PASSWORD": "pw-1234",
        "SHORT_KEY": "ab",
    }
    secrets = redact.secret_values(env)
    assert set(secrets) == {"v4lue-of-token", "pw-1234"}
    assert redact.redact("a v4lue-of-token b pw-1234 c /root", secrets) == "a *** b *** c /root"


def test_excerpt_normalises_paths_ansi_and_durations(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    out = (
        f"\x1b[1m{root}/pkg/mod.py:3: error\x1b[0m\n/tmp/xyz123/file.py broke\n1 failed in 0.42s\n"
    )
    stable = redact.excerpt(out, root=root, stable=True)
    assert stable == "pkg/mod.py:3: error\n<tmp> broke\n1 failed in <duration>"
    assert "0.42s" in redact.excerpt(out, root=root, stable=False)


def test_excerpt_keeps_the_last_lines() -> None:
    out = "\n".join(f"line {i}" for i in range(100))
    lines = redact.excerpt(out, root=Path("/nonexistent"), lines=5).splitlines()
    assert lines == [f"line {i}" for i in range(95, 100)]
