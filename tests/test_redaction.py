"""Redaction of excerpts: linear time on any output, and the secret shapes it must catch.

Redaction runs after a check has ended, where the check's timeout no longer bounds anything:
a quadratic pattern turned one 40 KB line into 20 s (issue 12 part 10).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lane_tasks import cli
from lane_tasks.config import MAX_CONFIG_CHARS
from lane_tasks.util.procs import OUTPUT_LIMIT, ProcSpec, cut_tail, excerpt, redact, run_one

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
    for fn in (redact, lambda t: excerpt(t, root=Path("/nonexistent"), stable=True)):
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
    out = redact(text)
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
    out = excerpt(" ".join(values.values()), root=Path("/nonexistent"))
    assert not any(v in out for v in values.values()), out
    # and the same names in a tool's own output
    text = "cookie: sessid=abc123def credential=hunter22 auth_token xyzw9876 Author: Jane"
    out = redact(text)
    assert not any(s in out for s in ("abc123def", "hunter22", "xyzw9876")), out
    assert "Author: Jane" in out


def test_secret_cut_at_the_kept_tail_is_not_leaked() -> None:
    secret = "s3cret-value-that-is-long"
    text = "x" * 10 + " password=" + secret + " tail"
    cut = cut_tail(text, len(secret) + 2)  # cuts inside the secret, its name is gone
    assert "value" not in cut
    assert cut == "… tail"
    assert cut_tail("ab cd", 2) == "cd"
    assert cut_tail("ab cd", 10) == "ab cd"


def test_unclosed_quote_value_is_redacted() -> None:
    assert redact('password="hunter22') == 'password="***'
    assert redact("password='hunter22'") == "password='***'"


def test_huge_lanes_toml_is_refused_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "lanes.toml").write_text(
        '[project]\nname = "' + "a" * (MAX_CONFIG_CHARS + 1) + '"\n', encoding="utf-8"
    )
    start = time.process_time()
    code = cli.main(["--config", str(root / "lanes.toml"), "lanes", "validate"])
    assert time.process_time() - start < 2  # it was 30 s and 2.4 GB for 20 MB
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "lanes.toml" in err and "too large" in err


def test_output_cut_at_the_limit_does_not_leak_a_partial_secret(tmp_path: Path) -> None:
    # one secret straddles the point where the kept tail of the output starts
    script = (
        "import sys; w = sys.stdout.write; "
        f"w('x' * ({OUTPUT_LIMIT} - 10) + ' password=' + 'S3CRETVALUE' * 20 + ' end\\n'); "
        f"w('y ' * ({OUTPUT_LIMIT} // 2 - 100))"
    )
    r = run_one(ProcSpec(id="big", cmd=(sys.executable, "-c", script), cwd=tmp_path, timeout=60))
    assert r.outcome == "exited", r.detail
    assert "S3CRET" not in r.output and "CRETVALUE" not in r.output
    assert r.output.startswith("… end")
    assert cut_tail("abc def", 100, cut=True) == "… def"
