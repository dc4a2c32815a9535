"""Charts drawn on the server as SVG: a person reads them at a glance, and no script draws them.

Only SVG presentation attributes are used (no ``style``), so the page's CSP needs no
``'unsafe-inline'``; the colours come from the console's stylesheet through classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | int | Decimal
    shown: str | None = None  # the value as written beside the bar (¥1,234.00, 85.0%)
    tone: str = "primary"  # a class: primary, good, warn, bad, muted


def _fitted(label: str, width: int) -> str:
    """The label as it fits its column (a Chinese character about 13 px, a Latin one or digit about 7.5);
    a longer one is cut with "…" and keeps its whole text as the tooltip."""
    def size(text: str) -> float:
        return sum(13 if ord(c) > 0x2E7F else 7.5 for c in text)

    if size(label) <= width - 8:
        return escape(label)
    cut = label
    while cut and size(cut) > width - 21:
        cut = cut[:-1]
    return f"{escape(cut)}…<title>{escape(label)}</title>"


def bar_chart(title: str, bars: Sequence[Bar], *, width: int = 360, label_width: int = 140) -> Markup:
    """Horizontal bars, one a row, each with its label and its value written out."""
    row, value_width = 28, 80
    height = row * max(len(bars), 1) + 36
    peak = max((float(b.value) for b in bars), default=0.0) or 1.0
    span = width - label_width - value_width
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text class="chart-title" x="0" y="16">{escape(title)}</text>']
    if not bars:
        parts.append('<text class="chart-empty" x="0" y="44">暂无数据</text>')
    for i, bar in enumerate(bars):
        y = 28 + i * row
        length = max(span * float(bar.value) / peak, 0 if float(bar.value) == 0 else 2)
        shown = bar.shown if bar.shown is not None else f"{bar.value}"
        parts.append(f'<text class="chart-label" x="0" y="{y + 15}">{_fitted(bar.label, label_width)}</text>')
        parts.append(f'<rect class="bar bar-{escape(bar.tone)}" x="{label_width}" y="{y + 3}" '
                     f'width="{length:.1f}" height="{row - 10}" rx="2"/>')
        parts.append(f'<text class="chart-value" x="{label_width + length + 6:.1f}" y="{y + 15}">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def share_chart(title: str, bars: Sequence[Bar], *, width: int = 360) -> Markup:
    """One stacked bar showing how a whole divides (families by status), with a legend."""
    total = sum(float(b.value) for b in bars)
    height = 40 + 22 * len(bars) + 10
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text class="chart-title" x="0" y="16">{escape(title)}</text>']
    x = 0.0
    for bar in bars:
        length = width * float(bar.value) / total if total else 0
        parts.append(f'<rect class="bar bar-{escape(bar.tone)}" x="{x:.1f}" y="24" width="{length:.1f}" height="14"/>')
        x += length
    if not total:
        parts.append(f'<rect class="bar bar-muted" x="0" y="24" width="{width}" height="14"/>')
    for i, bar in enumerate(bars):
        y = 52 + i * 22
        share = f"{100 * float(bar.value) / total:.1f}%" if total else "—"
        shown = bar.shown if bar.shown is not None else f"{bar.value}"
        parts.append(f'<rect class="bar bar-{escape(bar.tone)}" x="0" y="{y}" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="18" y="{y + 11}">{escape(bar.label)}：{escape(shown)}（{share}）</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
