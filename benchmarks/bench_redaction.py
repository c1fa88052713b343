"""Benchmark: excerpt redaction over 256 KB of adversarial tool output. Target: < 50 ms.

    python benchmarks/bench_redaction.py [--repeat K] [--json OUT]

Redaction runs after a check has ended, where the check's timeout bounds nothing, so its
time must be linear in the output (one 40 KB line used to cost 11 to 23 s). Each input is
256 KB (the output a check keeps) made of one shape the old patterns backtracked on: one
long line of name characters, repeated keywords, URL delimiters raw, URL-encoded and
JSON-escaped, token prefixes, JWT starts. It measures `redact` and the whole `excerpt` on
each, the median of K runs, and reports the worst input. It asserts nothing (the test suite
checks the growth is linear, as a ratio; speed goals live here). Times are CPU time of
this process (single-threaded: the wall time of an idle machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lane_tasks.util.procs import OUTPUT_LIMIT, excerpt, redact

TARGET_S = 0.050
SHAPES = {
    "one long line": "a",
    "upper case line": "A",
    "keyword run": "token",
    "keyword and space": "password ",
    "key=value pairs": "token=ab ",
    "unclosed quotes": 'token="a',
    "scheme runs": "a://b:",
    "url-encoded delimiters": "a%3A%2F%2Fu%3A",
    "json-escaped delimiters": "a:\\/\\/u:",
    "jwt starts": "eyJaaaaaaaaaaaa-",
    "token prefixes": "ghp_sk-glpat-",
    "bearer words": "bearer ",
    "authorization headers": "authorization: ",
    "escape sequences": "\x1b]",
    "durations": "1.5s ",
    "blank": " ",
}


def inputs() -> dict[str, str]:
    return {
        name: (unit * (OUTPUT_LIMIT // len(unit) + 1))[:OUTPUT_LIMIT]
        for name, unit in SHAPES.items()
    }


def _median(fn: Callable[[str], object], text: str, repeat: int) -> float:
    """Median CPU time of this process: redaction is single-threaded, so on an idle machine
    it is the wall time; on a busy one the wall time measures the other processes too."""
    fn(text)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn(text)
        times.append(time.process_time() - start)
    return statistics.median(times)


def measure(repeat: int = 5) -> dict[str, Any]:
    """Per input: redact and excerpt times (s); and the worst of each."""
    root = Path("/nonexistent")
    per: dict[str, dict[str, float]] = {}
    for name, text in inputs().items():
        per[name] = {
            "redact": _median(redact, text, repeat),
            "excerpt": _median(lambda t: excerpt(t, root=root, stable=True), text, repeat),
        }
    worst = max(per, key=lambda n: per[n]["redact"])
    worst_excerpt = max(per, key=lambda n: per[n]["excerpt"])
    return {
        "bytes": OUTPUT_LIMIT,
        "redact": per[worst]["redact"],
        "redact_worst_input": worst,
        "excerpt": per[worst_excerpt]["excerpt"],
        "excerpt_worst_input": worst_excerpt,
        "per_input": per,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    m = measure(args.repeat)
    for name, t in m["per_input"].items():
        print(
            f"{name:26} redact {t['redact'] * 1000:7.1f} ms   excerpt {t['excerpt'] * 1000:7.1f} ms"
        )
    for what in ("redact", "excerpt"):
        value = m[what]
        verdict = "met" if value < TARGET_S else "NOT met"
        print(
            f"worst {what}: {value * 1000:.1f} ms ({m[what + '_worst_input']}), "
            f"{value / TARGET_S:.2f} of the < {TARGET_S * 1000:.0f} ms target: {verdict}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(m, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
