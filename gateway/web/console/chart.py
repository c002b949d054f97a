"""The dashboard's chart: messages acknowledged and messages dead per hour, as inline SVG.

No script and no library: one ``<svg>`` with a pair of bars per hour (acknowledged, dead), a
horizontal grid with round steps, and the hour (Asia/Ho_Chi_Minh) under every few bars. Tests and
tools find ``#throughput-chart``, one ``g.hour`` per hour with ``data-hour`` (ISO 8601), holding a
``rect`` per series with ``data-series`` and ``data-count``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gateway.ops.activity import HourCount
from gateway.ops.times import OPERATOR_TZ, shown
from gateway.web.console.markup import Markup, html, join

WIDTH, HEIGHT = 960, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
SERIES = (("acked", "Acknowledged by the portal", "#2f9e44"), ("dead", "Dead", "#e03131"))


def _scale(largest: int) -> tuple[int, int]:
    """The top of the axis and its step: round numbers, about four lines."""
    if largest <= 4:
        return 4, 1
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return math.ceil(largest / step) * step, step


def throughput_chart(hours: Sequence[HourCount]) -> Markup:
    """The chart of ``hours`` (oldest first)."""
    if not hours:
        return Markup("")
    top, step = _scale(max(max(h.acked, h.dead) for h in hours))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(hours)
    bar = max(1.0, slot * 0.38)
    label_every = max(1, math.ceil(len(hours) / 12))
    parts: list[Markup] = []
    for value in range(0, top + 1, step):
        y = TOP + plot_h - plot_h * value / top
        parts.append(
            html(
                '<g class="grid"><line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/></g>'
                '<text x="{tx}" y="{ty}" text-anchor="end">{v}</text>',
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y=f"{y:.1f}",
                tx=LEFT - 6,
                ty=f"{y + 4:.1f}",
                v=value,
            )
        )
    for i, hour in enumerate(hours):
        x = LEFT + slot * i + (slot - 2 * bar) / 2
        rects = []
        for j, (key, label, colour) in enumerate(SERIES):
            count = hour.acked if key == "acked" else hour.dead
            h = plot_h * count / top
            rects.append(
                html(
                    '<rect data-series="{key}" data-count="{count}" x="{x}" y="{y}" width="{w}" height="{h}" '
                    'fill="{fill}"><title>{title}</title></rect>',
                    key=key,
                    count=count,
                    x=f"{x + j * bar:.1f}",
                    y=f"{TOP + plot_h - h:.1f}",
                    w=f"{bar:.1f}",
                    h=f"{h:.1f}",
                    fill=colour,
                    title=f"{label}: {count} in the hour from {_clock(hour)}",
                )
            )
        tick = Markup("")
        if (len(hours) - 1 - i) % label_every == 0:
            tick = html(
                '<text x="{x}" y="{y}" text-anchor="middle">{t}</text>',
                x=f"{LEFT + slot * i + slot / 2:.1f}",
                y=HEIGHT - 8,
                t=_clock(hour),
            )
        parts.append(
            html(
                '<g class="hour" data-hour="{when}">{rects}{tick}</g>',
                when=shown(hour.start),
                rects=join(rects),
                tick=tick,
            )
        )
    parts.append(
        html(
            '<g class="axis"><line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/></g>',
            x1=LEFT,
            x2=WIDTH - RIGHT,
            y=TOP + plot_h,
        )
    )
    legend = join(
        html('<span><span class="swatch" style="background:{c}"></span>{label}</span>', c=colour, label=label)
        for _, label, colour in SERIES
    )
    return html(
        '<svg id="throughput-chart" role="img" aria-label="{aria}" viewBox="0 0 {w} {h}" width="100%" '
        'style="max-width:{w}px">{parts}</svg><div class="legend">{legend}</div>',
        aria=f"Messages acknowledged and dead per hour, last {len(hours)} hours",
        w=WIDTH,
        h=HEIGHT,
        parts=join(parts),
        legend=legend,
    )


def _clock(hour: HourCount) -> str:
    return hour.start.astimezone(OPERATOR_TZ).strftime("%H:00")
