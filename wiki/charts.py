"""Charts for the admins' feedback pages, laid out here so that the template
(``includes/_bar_chart.html``) only prints numbers into an inline SVG.

A chart is a bar chart (counts a day or a week) or a line chart (a share in
per cent), with a y axis of round numbers and its unit, an x axis of dates,
and the same figures as rows of a table for screen readers and for anyone
who wants the exact numbers. Nothing is drawn by script: the SVG is plain
markup, and the page needs no library.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

# The whole SVG (viewBox units, which are pixels at the natural size).
CHART_WIDTH = 720
CHART_HEIGHT = 170
# Room around the plot for the y axis' numbers and title (left) and the x
# axis' dates and title (below).
PLOT_LEFT = 56
PLOT_RIGHT = 8
PLOT_TOP = 10
PLOT_BOTTOM = 40
PLOT_WIDTH = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
PLOT_HEIGHT = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
# About this many dates along the x axis: more would overlap at 720 px.
X_TICKS = 7
# About this many numbers up the y axis, 0 included.
Y_TICKS = 5
PERCENT_TICKS = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    """One chart: what ``_bar_chart.html`` draws. ``bars`` for a bar chart,
    ``lines`` (runs of points; a period without data breaks the line) for a
    line chart. ``headers`` and ``rows`` are the table of the same figures."""

    title: str
    summary: str
    y_title: str
    x_title: str
    first_day: datetime.date
    last_day: datetime.date
    highest: int
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    headers: list[str]
    rows: list[list[str]]
    # The periods the chart covers, in words ("5 Sep 2026 to 3 Dec 2026").
    span: str
    bars: list[Bar] = field(default_factory=list)
    lines: list[list[Point]] = field(default_factory=list)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_left: int = PLOT_LEFT
    plot_top: int = PLOT_TOP
    plot_width: int = PLOT_WIDTH
    plot_height: int = PLOT_HEIGHT

    @property
    def plot_right(self) -> int:
        return self.plot_left + self.plot_width

    @property
    def plot_bottom(self) -> int:
        return self.plot_top + self.plot_height

    @property
    def is_line(self) -> bool:
        return bool(self.lines) or not self.bars

    # Where the axes' numbers and titles go (the template cannot add).
    @property
    def y_tick_label_x(self) -> int:
        return self.plot_left - 6

    @property
    def x_tick_label_y(self) -> int:
        return self.plot_bottom + 16

    @property
    def x_title_x(self) -> int:
        return self.plot_left + self.plot_width // 2

    @property
    def x_title_y(self) -> int:
        return self.height - 4

    @property
    def y_title_x(self) -> int:
        return -(self.plot_top + self.plot_height // 2)

    @property
    def polylines(self) -> list[str]:
        """Each run of points as an SVG ``points`` attribute."""
        return [" ".join(f"{point.x},{point.y}" for point in run) for run in self.lines]

    @property
    def points(self) -> list[Point]:
        return [point for run in self.lines for point in run]


def round_top(highest: int) -> tuple[int, int]:
    """The top of a count axis and the step between its numbers: the
    smallest 1, 2 or 5 times a power of ten that gives at most ``Y_TICKS``
    numbers from 0 and reaches ``highest`` (at least 1, so an empty chart
    still has an axis)."""
    highest = max(highest, 1)
    rough = highest / (Y_TICKS - 1)
    magnitude = 10 ** max(math.floor(math.log10(rough)), 0)
    for multiple in (1, 2, 5, 10):
        step = multiple * magnitude
        if step * (Y_TICKS - 1) >= highest:
            break
    return step * math.ceil(highest / step), step


def _short_date(day: datetime.date) -> str:
    return f"{day.day} {day:%b}"


def _long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _span(periods: list[datetime.date], period_name: str) -> str:
    text = f"{_long_date(periods[0])} to {_long_date(periods[-1])}"
    return text if period_name == "Day" else f"{period_name.lower()} {text}"


def _x_ticks(periods: list[datetime.date], slot: float) -> list[Tick]:
    every = max(math.ceil(len(periods) / X_TICKS), 1)
    return [
        Tick(position=round(PLOT_LEFT + (index + 0.5) * slot, 2), label=_short_date(day))
        for index, day in enumerate(periods)
        if index % every == 0
    ]


def count_chart(
    title: str,
    periods: list[datetime.date],
    values: dict,
    *,
    unit: str,
    period_name: str,
) -> Chart:
    """A bar chart of ``values`` (period start -> count) over ``periods``
    (the first day of each day or week, oldest first), counted in ``unit``
    ("views", "votes"). ``period_name`` names a period in the table and the
    x axis ("Day", "Week starting")."""
    highest = max((values.get(day, 0) for day in periods), default=0)
    top, step = round_top(highest)
    slot = PLOT_WIDTH / len(periods)
    bars = []
    for index, day in enumerate(periods):
        value = values.get(day, 0)
        height = PLOT_HEIGHT * value / top
        bars.append(
            Bar(
                x=round(PLOT_LEFT + index * slot + 0.5, 2),
                y=round(PLOT_TOP + PLOT_HEIGHT - height, 2),
                width=round(max(slot - 1, 1), 2),
                height=round(height, 2),
                label=f"{day.isoformat()}: {value} {unit}",
            )
        )
    busiest = max(periods, key=lambda day: values.get(day, 0))
    summary = (
        f"{title}, {_span(periods, period_name)}: "
        f"{sum(values.get(day, 0) for day in periods)} {unit} in all"
        + (
            f", most ({highest}) in the {period_name.lower()} {_long_date(busiest)}"
            if highest
            else ""
        )
        + "."
    )
    return Chart(
        title=title,
        summary=summary,
        y_title=unit.capitalize(),
        x_title=period_name,
        first_day=periods[0],
        last_day=periods[-1],
        highest=highest,
        y_ticks=[
            Tick(position=round(PLOT_TOP + PLOT_HEIGHT * (1 - value / top), 2), label=str(value))
            for value in range(0, top + 1, step)
        ],
        x_ticks=_x_ticks(periods, slot),
        headers=[period_name, unit.capitalize()],
        rows=[[_long_date(day), str(values.get(day, 0))] for day in periods],
        span=_span(periods, period_name),
        bars=bars,
    )


def percent_chart(
    title: str, periods: list[datetime.date], yes: dict, total: dict, *, period_name: str
) -> Chart:
    """A line chart of the share of "yes" answers (per cent) in each period,
    with the number of answers it is a share of in the table and in each
    point's tooltip. A period without answers has no point and breaks the
    line: 0 answers is not 0% useful."""
    slot = PLOT_WIDTH / len(periods)
    lines: list[list[Point]] = [[]]
    rows = []
    for index, day in enumerate(periods):
        votes = total.get(day, 0)
        if not votes:
            rows.append([_long_date(day), "0", "–"])
            if lines[-1]:
                lines.append([])
            continue
        percent = 100.0 * yes.get(day, 0) / votes
        rows.append([_long_date(day), str(votes), f"{percent:.0f}%"])
        lines[-1].append(
            Point(
                x=round(PLOT_LEFT + (index + 0.5) * slot, 2),
                y=round(PLOT_TOP + PLOT_HEIGHT * (1 - percent / 100), 2),
                label=f"Week of {day.isoformat()}: {percent:.0f}% useful, {votes} vote"
                + ("s" if votes != 1 else ""),
            )
        )
    lines = [run for run in lines if run]
    answered = [row for row in rows if row[1] != "0"]
    if answered:
        summary = (
            f"{title}, {_span(periods, period_name)}: "
            f"{answered[0][2]} in the first week with votes, {answered[-1][2]} in the last."
        )
    else:
        summary = f"{title}, {_span(periods, period_name)}: no votes."
    return Chart(
        title=title,
        summary=summary,
        y_title="% useful",
        x_title=period_name,
        first_day=periods[0],
        last_day=periods[-1],
        highest=100,
        y_ticks=[
            Tick(position=round(PLOT_TOP + PLOT_HEIGHT * (1 - value / 100), 2), label=f"{value}%")
            for value in PERCENT_TICKS
        ],
        x_ticks=_x_ticks(periods, slot),
        headers=[period_name, "Votes", "% useful"],
        rows=rows,
        span=_span(periods, period_name),
        lines=lines,
    )
