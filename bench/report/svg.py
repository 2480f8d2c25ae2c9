"""SVG drawing for the report's charts: scales with round ticks, d3-style numbers, axes, legends, marks.

Why not Vega: the HTML report used to render its charts with vl-convert, whose start (0.4 s) and
seven SVGs (0.5 s) held the GIL for half of every report, plus Altair's import (0.3 s). These few
chart kinds need only linear and band scales, so they are drawn here as strings, in milliseconds.

Everything that comes from a run (model names, prompt ids, answers' metadata) goes through
:func:`esc`: a model's output is written by an adversary, and a name like ``</text><script>`` must
stay text. Every mark carries a ``<title>`` (the browser's tooltip, as the app's charts have) and
``data-*`` attributes naming what it shows, so tests can read a chart back.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FONT = "system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif"
TEXT = "#374151"
MUTED = "#6B7280"
GRID = "#E5E7EB"
AXIS = "#9CA3AF"
INK = "#1B2333"
FONT_PX = 11
LINE_PX = 13  # one line of 11 px text
#: average glyph width of the sans-serif fonts above, in em: layout reserves room from it
GLYPH_EM = 0.6


def esc(text: object) -> str:
    """``text`` safe inside an SVG element or a double-quoted attribute."""
    return html.escape(str(text), quote=True)


def text_px(text: str, size: float = FONT_PX) -> float:
    """A generous estimate of ``text``'s rendered width: room is reserved from it, nothing is cut by it."""
    return len(text) * size * GLYPH_EM


# ---- numbers ------------------------------------------------------------------------------------
def number(value: float, spec: str = ",.3~r") -> str:
    """``value`` as d3-format writes it for the specs the charts use (``,.3~r``, ``,d``, ``,.0f``, ``.1f``).

    ``~r``: that many significant digits, trailing zeros dropped (0.30000000000000004 -> ``0.3``);
    ``,``: thousands separated. Ticks read the same in the report as in the app's Altair charts.
    """
    grouped = spec.startswith(",")
    body = spec.lstrip(",")
    if body == "d":
        text = f"{round(value):{',' if grouped else ''}d}"
    elif body.endswith("f"):
        text = f"{value:{',' if grouped else ''}.{int(body[1:-1])}f}"
    else:  # ".3~r"
        digits = int(body[1:].rstrip("r").rstrip("~"))
        if value == 0 or not math.isfinite(value):
            return "0" if value == 0 else str(value)
        decimals = digits - 1 - math.floor(math.log10(abs(value)))  # negative: round to tens, hundreds...
        text = f"{round(value, decimals):{',' if grouped else ''}.{max(decimals, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return "−" + text[1:] if text.startswith("-") else text  # a real minus sign, as d3 writes it


def tick_step(low: float, high: float, count: int) -> float:
    """d3's tick increment: 1, 2 or 5 times a power of ten, about ``count`` steps over [low, high]."""
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    error = raw / power
    factor = (
        10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    )
    return factor * power


@dataclass
class Linear:
    """A linear scale from a data domain onto pixels; :meth:`nice` rounds the domain out to its ticks."""

    low: float
    high: float
    start: float  # pixel of ``low``
    end: float  # pixel of ``high``

    @classmethod
    def fit(cls, values: Iterable[float], start: float, end: float, zero: bool, count: int) -> Linear:
        """A nice scale over ``values`` (and 0 when ``zero``), about ``count`` ticks."""
        finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        if zero:
            low, high = min(low, 0.0), max(high, 0.0)
        if high == low and zero and low == 0:  # nothing but zeros (a model of no size): 0 to 1, no minus
            high = 1.0
        elif high == low:  # one value: a tenth of it either side, so it sits mid-axis
            pad = abs(low) * 0.1 or 1.0
            low, high = low - pad, high + pad
        for _ in range(10):  # d3's nice: round out, re-pick the step on the wider domain, until it holds
            step = tick_step(low, high, count)
            wider = math.floor(low / step) * step, math.ceil(high / step) * step
            if wider == (low, high):
                break
            low, high = wider
        return cls(low, high, start, end)

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self, count: int) -> list[float]:
        step = tick_step(self.low, self.high, count)
        first, last = math.ceil(self.low / step - 1e-9), math.floor(self.high / step + 1e-9)
        return [round(i * step, 12) for i in range(first, last + 1)]


@dataclass
class Band:
    """Equal bands for categories (models, prompts), in order, with padding between them."""

    names: Sequence[str]
    start: float
    step: float
    padding: float = 0.2

    def top(self, name: str) -> float:
        return self.start + self.names.index(name) * self.step

    def inner(self, name: str) -> tuple[float, float]:
        """The padded band of ``name``: (start pixel, width)."""
        width = self.step * (1 - self.padding)
        return self.top(name) + (self.step - width) / 2, width

    def middle(self, name: str) -> float:
        return self.top(name) + self.step / 2


# ---- marks --------------------------------------------------------------------------------------
def _attrs(data: dict[str, object] | None) -> str:
    return "".join(f' data-{k}="{esc(v)}"' for k, v in (data or {}).items())


def _title(tip: str) -> str:
    return f"<title>{esc(tip)}</title>" if tip else ""


def point(
    x: float, y: float, shape: str, color: str, size: float = 70, tip: str = "", data: dict | None = None
) -> str:
    """A filled symbol of ``size`` px² (as Vega sizes them): circle, triangle-up or cross."""
    r = math.sqrt(size / math.pi)
    style = f'fill="{color}" fill-opacity="0.9" stroke="{INK}" stroke-width="0.4"{_attrs(data)}'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.2f}" {style}>{_title(tip)}</circle>'
    if shape == "triangle-up":
        s = math.sqrt(size * 4 / math.sqrt(3)) / 2  # half the side of an equilateral triangle of that area
        d = f"M{x:.1f},{y - s:.1f}L{x + s:.1f},{y + s * 0.8:.1f}L{x - s:.1f},{y + s * 0.8:.1f}Z"
    else:  # cross
        a, b = r * 1.2, r * 0.4
        d = (f"M{x - a:.1f},{y - b:.1f}H{x - b:.1f}V{y - a:.1f}H{x + b:.1f}V{y - b:.1f}H{x + a:.1f}"
             f"V{y + b:.1f}H{x + b:.1f}V{y + a:.1f}H{x - b:.1f}V{y + b:.1f}H{x - a:.1f}Z")  # fmt: skip
    return f'<path d="{d}" {style}>{_title(tip)}</path>'


def rect(
    x: float, y: float, w: float, h: float, color: str, opacity: float = 1.0, tip: str = "",
    data: dict | None = None,
) -> str:  # fmt: skip
    w, h = max(w, 0.0), max(h, 0.0)
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="2" fill="{color}"'
            f' fill-opacity="{opacity}"{_attrs(data)}>{_title(tip)}</rect>')  # fmt: skip


def line(
    x1: float, y1: float, x2: float, y2: float, color: str = GRID, width: float = 1.0, opacity: float = 1.0,
    tip: str = "", data: dict | None = None,
) -> str:  # fmt: skip
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}"'
            f' stroke-width="{width}" stroke-opacity="{opacity}"{_attrs(data)}>{_title(tip)}</line>')  # fmt: skip


def text(
    x: float, y: float, words: str, anchor: str = "start", size: float = FONT_PX, color: str = TEXT,
    weight: str = "normal", rotate: float = 0, baseline: str = "middle",
) -> str:  # fmt: skip
    turn = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
    bold = ' font-weight="bold"' if weight != "normal" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="{baseline}"'
            f' font-size="{size}" fill="{color}"{bold}{turn}>{esc(words)}</text>')  # fmt: skip


def wrapped(x: float, y: float, lines: Sequence[str], anchor: str = "end") -> str:
    """Several lines centred on ``y`` (a model name wraps at its " · ": model, then run)."""
    first = y - (len(lines) - 1) * LINE_PX / 2
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + i * LINE_PX:.1f}">{esc(part)}</tspan>'
        for i, part in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" dominant-baseline="middle" font-size="{FONT_PX}" fill="{TEXT}">{spans}</text>'


def series_lines(name: str) -> list[str]:
    return str(name).split(" · ")


# ---- the canvas ---------------------------------------------------------------------------------
@dataclass
class Canvas:
    """One chart: a plot area of ``plot_w`` x ``plot_h`` px inside margins, the marks drawn in order."""

    width: int
    plot_h: int
    left: int
    top: int
    bottom: int
    right: int = 16
    parts: list[str] = field(default_factory=list)

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def height(self) -> int:
        return self.top + self.plot_h + self.bottom

    def add(self, *marks: str) -> None:
        self.parts.extend(marks)

    def x_axis(self, scale: Linear, title: str, spec: str, count: int) -> None:
        """Ticks, labels and grid under (and across) the plot, the title below them."""
        base = self.top + self.plot_h
        for tick in scale.ticks(count):
            x = scale(tick)
            self.add(line(x, self.top, x, base))
            tick_mark = line(x, base, x, base + 5, AXIS, data={"tick": "x", "value": f"{tick:.12g}"})
            self.add(tick_mark, text(x, base + 15, number(tick, spec), "middle"))
        self.add(line(self.left, base, self.left + self.plot_w, base, AXIS))
        self.add(text(self.left + self.plot_w / 2, base + 34, title, "middle", weight="bold"))

    def y_axis(self, scale: Linear, title: str, spec: str, count: int) -> None:
        """Ticks, labels and grid left of (and across) the plot, the title turned along it."""
        widest = 0.0
        for tick in scale.ticks(count):
            y, label = scale(tick), number(tick, spec)
            widest = max(widest, text_px(label))
            self.add(line(self.left, y, self.left + self.plot_w, y))
            tick_mark = line(
                self.left - 5, y, self.left, y, AXIS, data={"tick": "y", "value": f"{tick:.12g}"}
            )
            self.add(tick_mark, text(self.left - 8, y, label, "end"))
        self.add(line(self.left, self.top, self.left, self.top + self.plot_h, AXIS))
        mid = self.top + self.plot_h / 2
        self.add(text(self.left - widest - 20, mid, title, "middle", weight="bold", rotate=-90))

    def series_axis(self, band: Band) -> None:
        """Every series named left of its band, wrapped at " · ", never cut."""
        for name in band.names:
            self.add(wrapped(self.left - 8, band.middle(name), series_lines(name)))
        self.add(line(self.left, self.top, self.left, self.top + self.plot_h, AXIS))

    def color_legend(self, domain: Sequence[str], colors: dict[str, str], y: float) -> None:
        """A swatch and the name of each series, in as many columns as fit the width."""
        widest, columns = _legend_grid(domain, self.width)
        for i, name in enumerate(domain):
            x = 16 + (i % columns) * widest
            row_y = y + (i // columns) * 18
            self.add(point(x + 5, row_y, "circle", colors[name], 60), text(x + 14, row_y, str(name)))

    def shape_legend(self, phases: Sequence[str], shapes: dict[str, str], y: float) -> None:
        """``Request ● warm ▲ cold``: what each symbol means, above the plot."""
        self.add(text(self.left, y, "Request", weight="bold"))
        x = self.left + text_px("Request") + 12
        for phase in phases:
            self.add(point(x + 5, y, shapes[phase], "#9CA3AF", 60), text(x + 14, y, phase))
            x += 14 + text_px(phase) + 16

    def render(self, label: str) -> str:
        """The ``<svg>``, sized in pixels with a viewBox so a page can scale it down."""
        w, h = self.width, self.height
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"'
            f' role="img" aria-label="{esc(label)}" font-family="{FONT}">'
            f'<rect width="{w}" height="{h}" fill="#ffffff"/>{"".join(self.parts)}</svg>'
        )


def legend_rows(domain: Sequence[str], width: int) -> int:
    """How many rows :meth:`Canvas.color_legend` takes for ``domain`` at ``width``."""
    return math.ceil(len(domain) / _legend_grid(domain, width)[1]) if domain else 0


def _legend_grid(domain: Sequence[str], width: int) -> tuple[float, int]:
    """(column width, columns) of a colour legend: as many columns of the widest entry as fit."""
    widest = max((text_px(str(n)) for n in domain), default=0) + 28
    return widest, max(1, min(len(domain), int((width - 16) // widest)))


def message(words: str, width: int) -> str:
    """A chart with nothing to draw says why, in the chart's place."""
    canvas = Canvas(width, 80, left=0, top=0, bottom=0, right=0)
    canvas.add(text(width / 2, 40, words, "middle", 14, MUTED))
    return canvas.render(words)
