"""Geometry for the dashboard's server-drawn SVG charts.

Pure: numbers in, rectangles and tick positions out; ``templates/console/_charts.html``
turns them into ``<svg>`` markup (escaped like any other template output). Every bar
carries a ``<title>`` with its value, and each chart has a text table next to it, so
nothing is conveyed by colour or shape alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # a class naming the series (colour and pattern come from the stylesheet)
    title: str


@dataclass(frozen=True)
class Tick:
    at: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    title: str
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)
    left: int = 40
    bottom: int = 24


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000,
                 20_000, 50_000, 100_000, 1_000_000, 10_000_000):
        if value <= step * 4:
            return float(step * 4 if value > step * 2 else (step * 2 if value > step else step))
    return value


def stacked_columns(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *,
    width: int = 640, height: int = 200, every: int = 7,
) -> Chart:
    """Columns per label, stacked by series ``(css class, legend label, values)``."""
    left, bottom, top = 40, 24, 8
    plot_w, plot_h = width - left - 8, height - bottom - top
    totals = [sum(values[i] for _c, _l, values in series) for i in range(len(labels))]
    peak = _nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(labels))
    bars: list[Bar] = []
    for i, label in enumerate(labels):
        base = 0.0
        for css, name, values in series:
            value = values[i]
            if value:
                h = plot_h * value / peak
                bars.append(Bar(x=left + i * slot + slot * 0.1, y=top + plot_h - base - h,
                                width=max(1.0, slot * 0.8), height=h, css=css,
                                title=f"{label}: {value} {name}"))
                base += h
    y_ticks = [Tick(at=top + plot_h - plot_h * f, text=_fmt(peak * f)) for f in (0, 0.5, 1)]
    x_ticks = [Tick(at=left + i * slot + slot / 2, text=labels[i][5:])
               for i in range(0, len(labels), max(1, every))]
    return Chart(width=width, height=height, title=title, bars=bars, y_ticks=y_ticks, x_ticks=x_ticks,
                 legend=[(css, name) for css, name, _v in series], left=left, bottom=bottom)


def horizontal_bars(title: str, items: Sequence[tuple[str, float]], *, css: str = "series-a",
                    width: int = 640, row: int = 22, unit: str = "") -> Chart:
    """One bar per ``(label, value)``, labels on the left."""
    left = 170
    plot_w = width - left - 60
    peak = max((v for _l, v in items), default=0) or 1
    bars = [Bar(x=left, y=4 + i * row, width=max(1.0, plot_w * value / peak) if value else 0,
                height=row - 6, css=css, title=f"{label}: {_fmt(value)}{unit}")
            for i, (label, value) in enumerate(items)]
    ticks = [Tick(at=4 + i * row + (row - 6) / 2, text=label) for i, (label, _v) in enumerate(items)]
    return Chart(width=width, height=max(row, 8 + row * len(items)), title=title, bars=bars,
                 y_ticks=ticks, left=left)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.1f}"
