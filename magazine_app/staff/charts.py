"""Server-rendered SVG bar charts: no JavaScript, no library, nothing for the CSP to
block. Colours come from staff.css classes; each bar has a <title> (hover tooltip) and
the chart an accessible name; the same figures are also in a table and the CSV."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720  # viewBox units; the SVG scales to its container (min-width in staff.css)
MAX_STEP = 56


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    highlight: set[str] | None = None,
    height: int = 180,
    label_every: int | None = None,
) -> Markup:
    """Vertical bars scaled to the largest value; x labels thinned to stay legible."""
    n = max(len(bars), 1)
    width = WIDTH
    left, bottom, top = 36, 22, 12
    plot_w, plot_h = width - left - 6, height - bottom - top
    peak = max((v for _, v in bars), default=0) or 1
    step = min(plot_w / n, MAX_STEP)  # a few bars stay bars, not slabs
    gap = min(4.0, step * 0.2)
    every = label_every or max(1, round(n / (plot_w / 28)))
    highlight = highlight or set()
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
        f'<line class="chart__axis" x1="{left}" y1="{top + plot_h}" '
        f'x2="{width - 6}" y2="{top + plot_h}"/>',
        f'<text class="chart__tick" x="{left - 4}" y="{top + 4}" text-anchor="end">'
        f"{_fmt(peak)}</text>",
        f'<text class="chart__tick" x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(bars):
        h = 0 if value <= 0 else max(1.0, plot_h * value / peak)
        x = left + i * step + gap / 2
        y = top + plot_h - h
        cls = "chart__bar chart__bar--hi" if label in highlight else "chart__bar"
        parts.append(
            f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{max(step - gap, 1):.1f}" '
            f'height="{h:.1f}"><title>{escape(label)} : {_fmt(value)}{escape(unit)}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text class="chart__tick" x="{x + (step - gap) / 2:.1f}" '
                f'y="{height - 6}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated label is escaped


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"
