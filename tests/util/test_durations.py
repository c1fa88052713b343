"""util/durations: `<int><unit>` as lanes.toml writes it, read and written back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lane_tasks.util.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "value"),
    [("30s", timedelta(seconds=30)), ("15m", timedelta(minutes=15)), ("4h", timedelta(hours=4)),
     ("2d", timedelta(days=2)), ("1w", timedelta(weeks=1))],
)  # fmt: skip
def test_durations_round_trip(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value
    assert format_duration(value) == text


@pytest.mark.parametrize("text", ["", "15", "m", "1.5h", "-1h", "1y", "15 minutes", "1h30m"])
def test_bad_durations_name_the_form(text: str) -> None:
    with pytest.raises(ValueError, match="<integer><unit>"):
        parse_duration(text)
