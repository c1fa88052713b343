"""The KPI trend charts: inline SVG line charts with their value and time axes.

It exists because drawing is its own job: scaling a trend to a frame, choosing round axis
tops (`_axis_max`, `_TIME_STEPS` for durations), formatting values per KPI unit (`_fmt`) and
marking a period without enough data as a gap, never a zero. The KPI cards in `sections` call
`_chart` and `_fmt`; nothing here knows about the rest of the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lane_tasks.dashboard.fragments import _e, _maps, _num, _text


def _fmt(value: float, unit: str | None) -> str:
    """A KPI value for an axis label (points use the model's own `display`)."""
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    if unit == "seconds":
        if value < 90:
            return f"{value:.0f} s"
        if value < 90 * 60:
            return f"{value / 60:.0f} min"
        if value < 48 * 3600:
            return f"{value / 3600:.1f} h".replace(".0 h", " h")
        return f"{value / 86400:.1f} d".replace(".0 d", " d")
    suffix = "/wk" if unit == "per-week" else ""
    return f"{value:.2f}".rstrip("0").rstrip(".") + suffix


# Round durations for a time axis: 1 min ... 1 week, in seconds.
_TIME_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def _axis_max(value: float, unit: str | None) -> float:
    """The top of a chart's axis: a round number a little above the largest value, so the
    line never sits on the frame and the labels read at a glance."""
    if unit == "ratio":
        return max(1.0, value)
    value *= 1.05
    if unit == "seconds":
        for step in _TIME_STEPS:
            if value <= step:
                return float(step)
    return _nice_ceiling(value)


def _nice_ceiling(value: float) -> float:
    """The smallest 1/2/2.5/5 x 10^n at or above value."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power + 1e-12:
            return step * power
    return 10 * power


def _chart(kpi: Mapping[str, Any], anchor: str, title: str) -> str:
    """An inline SVG line chart of the trend; a period without a value is a gap, not a zero."""
    trend = _maps(kpi.get("trend"))
    unit = _text(kpi.get("unit"))
    floor = _num(kpi.get("min_sample"))

    def plotted(point: Mapping[str, Any]) -> float | None:
        """No point below kpi.min_sample: the headline is unknown there too."""
        sample = _num(point.get("sample"))
        if point.get("below_min") is True or (
            floor is not None and sample is not None and sample < floor
        ):
            return None
        return _num(point.get("value"))

    points = [(_text(p.get("period")) or "?", plotted(p), p) for p in trend]
    values = [v for _, v, _ in points if v is not None]
    if not values:
        some = any((_num(p.get("sample")) or 0) > 0 for _, _, p in points)
        if not points:
            note = "no trend yet"
        elif floor is not None and some:
            note = (
                f"no trend yet: none of {len(points)} periods had enough data "
                f"(kpi.min_sample = {floor:g})"
            )
        elif floor is not None:
            note = f"no trend yet: no data in any of {len(points)} periods"
        else:
            note = f"no trend yet: none of {len(points)} periods had enough data"
        return f'<p class="no-trend">{_e(note)}</p>'

    width, height = 320, 128
    left, right, top, bottom = 44, 10, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    low = min(0.0, min(values))
    high = _axis_max(max(values), unit)
    if high <= low:
        high = low + 1.0
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0.0

    def x_at(i: int) -> float:
        return left + i * step if len(points) > 1 else left + plot_w / 2

    def y_at(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    def label(period: str, value: float | None, point: Mapping[str, Any]) -> str:
        if value is None:
            few = _num(point.get("sample"))
            if few and (point.get("below_min") is True or _num(point.get("value")) is not None):
                below = f" < kpi.min_sample {floor:g}" if floor is not None else ""
                return f"{period}: too little data (sample {few:g}{below})"
            return f"{period}: no data"
        shown = _text(point.get("display")) or _fmt(value, unit)
        sample = _text(point.get("sample"))
        return f"{period}: {shown}" + (f" (sample {sample})" if sample else "")

    parts: list[str] = []
    for frac in (0.0, 0.5, 1.0):
        tick = low + (high - low) * frac
        y = y_at(tick)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 3.5:.1f}" text-anchor="end">'
            f"{_e(_fmt(tick, unit))}</text>"
        )
    band = max(6.0, min(24.0, step * 0.6 if step else 24.0))
    segments: list[list[tuple[float, float]]] = [[]]
    for i, (period, value, point) in enumerate(points):
        if value is None:
            x0 = max(float(left), x_at(i) - band / 2)
            x1 = min(float(left + plot_w), x_at(i) + band / 2)
            parts.append(
                f'<rect class="gap" data-gap="{_e(period)}" x="{x0:.1f}" '
                f'y="{top}" width="{x1 - x0:.1f}" height="{plot_h}"><title>'
                f"{_e(label(period, value, point))}</title></rect>"
            )
            segments.append([])
        else:
            segments[-1].append((x_at(i), y_at(value)))
    base = y_at(max(low, 0.0))
    for segment in segments:
        if len(segment) < 2:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        parts.append(
            f'<polygon class="area" points="{segment[0][0]:.1f},{base:.1f} {coords} '
            f'{segment[-1][0]:.1f},{base:.1f}"/><polyline class="line" points="{coords}"/>'
        )
    last = max(i for i, (_, v, _) in enumerate(points) if v is not None)
    for i, (period, value, point) in enumerate(points):
        if value is not None:
            css = "pt last" if i == last else "pt"
            parts.append(
                f'<circle class="{css}" cx="{x_at(i):.1f}" cy="{y_at(value):.1f}" '
                f'r="{4.5 if i == last else 3}"><title>{_e(label(period, value, point))}'
                "</title></circle>"
            )
    ticks = sorted({0, len(points) - 1} | ({(len(points) - 1) // 2} if len(points) >= 5 else set()))
    for i in ticks:
        anchor_at = "start" if i == 0 and len(points) > 1 else "middle"
        if i == len(points) - 1 and len(points) > 1:
            anchor_at = "end"
        x = x_at(i) - (4 if anchor_at == "end" else 0)
        parts.append(
            f'<text class="axis" x="{max(x, 0):.1f}" y="{height - 6}" text-anchor="{anchor_at}">'
            f"{_e(points[i][0])}</text>"
        )
    desc = "; ".join(label(period, value, point) for period, value, point in points)
    return (
        f'<svg class="chart" data-chart="{_e(_text(kpi.get("id")) or "")}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{anchor}-t {anchor}-d">'
        f'<title id="{anchor}-t">{_e(title)}: trend per period</title>'
        f'<desc id="{anchor}-d">{_e(desc)}</desc>{"".join(parts)}</svg>'
    )
