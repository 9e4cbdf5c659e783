"""Small bar charts as inline SVG, drawn on the server from a query's rows.

No JavaScript and nothing fetched from elsewhere: the page works offline and in any
browser, and the chart is in the HTML the tests read. A chart is configured on a canned
query in ``data/metadata.yml``::

    chart: {x: day, y: articles}                    # one bar per row
    chart: {x: period, y: articles, series: agency} # bars stacked by series

Every bar has a ``<title>`` (its exact value, shown on hover).
"""

from __future__ import annotations

from collections import OrderedDict

from markupsafe import Markup, escape

# Ten colours told apart at a glance (d3's category10 without its grey, which is "other"'s).
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#393b79"]
OTHER_COLOUR = "#c7c7c7"
OTHER = "other"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _num(value) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def bar_chart(rows, x: str, y: str, series: str | None = None, title: str = "",
              max_series: int = 10, width: int = 900, height: int = 320) -> Markup:
    """An SVG bar chart of ``rows`` (mappings): one bar per distinct ``x`` value in
    ascending order, stacked by ``series`` when given (the largest ``max_series`` series,
    the rest summed as "other")."""
    rows = [dict(r) for r in rows]
    xs = sorted({str(r.get(x)) for r in rows if r.get(x) is not None})
    stacks: dict[str, OrderedDict] = {v: OrderedDict() for v in xs}
    totals_by_series: dict[str, float] = {}
    for r in rows:
        if r.get(x) is None or (series and r.get(series) is None):
            continue  # a row without a series only puts its x on the axis
        name = str(r.get(series)) if series else y
        totals_by_series[name] = totals_by_series.get(name, 0) + _num(r.get(y))
    names = sorted(totals_by_series, key=lambda n: (-totals_by_series[n], n))
    keep = set(names[:max_series])
    if len(names) > max_series:
        names = names[:max_series] + [OTHER]
    for r in rows:
        if r.get(x) is None or (series and r.get(series) is None):
            continue
        name = str(r.get(series)) if series else y
        name = name if name in keep else OTHER
        stack = stacks[str(r.get(x))]
        stack[name] = stack.get(name, 0) + _num(r.get(y))
    colour = {n: (OTHER_COLOUR if n == OTHER else PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)}

    legend_h = 22 * ((len(names) + 5) // 6) if series else 0
    left, right, top, bottom = 48, 12, 28 + legend_h, 62
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([sum(s.values()) for s in stacks.values()] or [0])
    ymax = _nice_max(peak)
    n = max(len(xs), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.8, 1)
    parts = [Markup(
        '<svg class="newsspider-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet">'
        '<title>{t}</title>').format(w=width, h=height, t=title or y)]
    if title:
        parts.append(Markup('<text class="chart-title" x="{x}" y="16">{t}</text>').format(x=left, t=title))
    # y axis: 5 gridlines
    for i in range(6):
        value = ymax * i / 5
        yy = top + plot_h - plot_h * i / 5
        label = f"{value:g}"
        parts.append(Markup(
            '<line class="grid" x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}"/>'
            '<text class="tick" x="{tx}" y="{ty:.1f}" text-anchor="end">{v}</text>'
        ).format(l=left, r=left + plot_w, y=yy, tx=left - 6, ty=yy + 4, v=label))
    label_every = max(1, round(n / 14))
    for i, xv in enumerate(xs):
        x0 = left + i * slot + (slot - bar_w) / 2
        base = top + plot_h
        for name, value in stacks[xv].items():
            if value <= 0:
                continue
            h = plot_h * value / ymax
            base -= h
            tip = f"{xv}: {value:g}" if not series else f"{xv} · {name}: {value:g}"
            parts.append(Markup(
                '<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{c}" '
                'data-x="{xv}" data-series="{s}" data-value="{v:g}"><title>{tip}</title></rect>'
            ).format(x=x0, y=base, w=bar_w, h=h, c=colour.get(name, "#999"), xv=xv, s=name,
                     v=value, tip=tip))
        if i % label_every == 0:
            cx, cy = left + i * slot + slot / 2, top + plot_h + 14
            parts.append(Markup(
                '<text class="tick" x="{x:.1f}" y="{y:.1f}" text-anchor="end" '
                'transform="rotate(-40 {x:.1f} {y:.1f})">{v}</text>').format(x=cx, y=cy, v=xv))
    parts.append(Markup('<line class="axis" x1="{l}" x2="{r}" y1="{y}" y2="{y}"/>').format(
        l=left, r=left + plot_w, y=top + plot_h))
    if series:
        for i, name in enumerate(names):
            lx, ly = left + (i % 6) * (plot_w / 6), 26 + 22 * (i // 6)
            parts.append(Markup(
                '<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{c}"/>'
                '<text class="legend" x="{tx:.1f}" y="{ty}">{n}</text>'
            ).format(x=lx, y=ly, c=colour[name], tx=lx + 16, ty=ly + 11, n=name))
    if not xs:
        parts.append(Markup('<text class="tick" x="{x}" y="{y}">no rows</text>').format(
            x=left + 10, y=top + plot_h / 2))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def chart_from_config(rows, config: dict, title: str = "") -> Markup:
    return bar_chart(rows, x=config["x"], y=config["y"], series=config.get("series"),
                     title=config.get("title", title), max_series=int(config.get("max_series", 10)))


__all__ = ["bar_chart", "chart_from_config", "escape"]
