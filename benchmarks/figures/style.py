"""What every figure shares: the Agg canvas and seaborn theme, palettes, labels, panel grids,
footnotes, tick formatters and saving to PNG + PDF.

Figures are ``matplotlib.figure.Figure`` objects on the non-interactive Agg canvas, built without
pyplot: nothing is registered in pyplot's global figure list (no leaks, no ``plt.close``, no
``plt.show``), no window can open, and the caller's pyplot backend is left alone (a notebook keeps
its inline backend).
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.frames import GENERIC_LEAVES, axis_path, require_columns
from simcore.errors import ConfigError
from simcore.files import atomic_write
from simcore.results import STATUS, STRATEGY

TREATED_COLOURS = {"treated": "#d95f02", "not treated": "#b3b3b3"}
# y labels of the per-axis figures, with units; also the start of their captions in the report
METRIC_LABELS = {
    "net_value": "true net value ($)",
    "roi": "ROI (true net value per $ spent)",
    "treated": "customers treated",
    "spend": "spend ($)",
    "est_net_value": "estimated net value ($)",
    "optimizer_curse": "optimizer's curse: estimated - true net value ($)",
    "share_of_attainable": "share of the attainable value",
}
DOLLAR_METRICS = ("net_value", "spend", "est_net_value", "optimizer_curse")


def new_figure(width: float, height: float, constrained: bool = True) -> Figure:
    """An empty figure (inches) on the Agg canvas; ``constrained``: let matplotlib's constrained
    layout place titles, labels and outside legends."""
    fig = Figure(figsize=(width, height), layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


@contextmanager
def theme() -> Iterator[None]:
    """seaborn's look for the figure built inside, without changing the caller's global rcParams.
    Mathtext is off: dollar signs in labels ("net value ($) vs budget ($)") are currency, not math."""
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85), \
            matplotlib.rc_context({"text.parse_math": False}):
        yield


def strategy_palette(strategies: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One stable colour per strategy, shared by every figure of a report."""
    colours = sns.color_palette("tab10" if len(strategies) <= 10 else "husl", len(strategies))
    return dict(zip(strategies, colours))


@dataclass(frozen=True)
class StrategyStyle:
    """How one strategy is drawn in every line figure: colour (the :func:`strategy_palette` one),
    marker and dash style (distinct per strategy, so coinciding lines stay distinguishable), hollow
    markers and a higher zorder for the reference strategy (drawn on top of any line it coincides with)."""

    colour: tuple[float, float, float]
    marker: str
    linestyle: str | tuple[int, tuple[int, ...]]
    hollow: bool
    zorder: float

    def line(self) -> dict[str, object]:
        """Keyword arguments of ``Axes.plot`` for this strategy's line."""
        face = "none" if self.hollow else self.colour
        return {"color": self.colour, "marker": self.marker, "linestyle": self.linestyle, "zorder": self.zorder,
                "markersize": 8.0 if self.hollow else 4.5, "markerfacecolor": face, "markeredgecolor": self.colour,
                "markeredgewidth": 1.6 if self.hollow else 0.8, "linewidth": 2.2 if self.hollow else 1.5}


MARKERS = ("s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p", "d")
DASHES = ((0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (8, 3)), (0, (2, 3)))


def strategy_styles(strategies: Sequence[str], reference: str | None = None) -> dict[str, StrategyStyle]:
    """One stable :class:`StrategyStyle` per strategy (config order): the reference strategy (``milp``
    in a sweep) solid with large hollow circles, on top; every other strategy its own filled marker
    and dash pattern, so two lines that coincide (milp and lagrangian) both show: the reference's
    hollow circles around the other's markers."""
    palette = strategy_palette(strategies)
    out, k = {}, 0
    for strategy in strategies:
        if strategy == reference:
            out[strategy] = StrategyStyle(palette[strategy], "o", "-", True, 3.0)
            continue
        out[strategy] = StrategyStyle(palette[strategy], MARKERS[k % len(MARKERS)], DASHES[k % len(DASHES)],
                                      False, 2.0)
        k += 1
    return out


def action_palette(actions: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """One colour per CONTACT action (channel != 'none'), in catalog order."""
    require_columns(actions, ("action_id", "channel"), "actions")
    ids = [a for a, c in zip(actions["action_id"], actions["channel"]) if c != "none"]
    return dict(zip(ids, sns.color_palette("Set2" if len(ids) <= 8 else "husl", len(ids))))


def action_name(actions: pd.DataFrame, action_id: str) -> str:
    """The catalog's display name of ``action_id`` (the id itself when the catalog has none)."""
    names = dict(zip(actions["action_id"], actions["name"]))
    return str(names.get(action_id, action_id))


def axis_label(axis: str, with_path: bool = True) -> str:
    """An axis column as an x label with its unit: ``axis.scenario.constraints.budget.limit`` ->
    ``budget.limit ($)  [scenario.constraints.budget.limit]`` (``with_path``) or ``budget.limit ($)``;
    the last part of the path, two when the last is a generic field (``limit``)."""
    name = axis_path(axis)
    parts = name.split(".")
    short = ".".join(parts[-2:]) if parts[-1] in GENERIC_LEAVES and len(parts) > 1 else parts[-1]
    money = any(p in ("budget", "cost") or p.endswith("_cost") for p in short.split("."))
    unit = " ($)" if money else ""
    return f"{short}{unit}  [{name}]" if with_path and short != name else f"{short}{unit}"


def skipped_note(skipped: pd.DataFrame, what: str = "rows") -> str:
    """One line naming the strategies whose rows were left out and why, e.g.
    ``not plotted (no plan, never drawn as zero): nba_rules not_applicable (1 rows)``; '' when
    nothing was skipped."""
    if skipped.empty:
        return ""
    parts = []
    for (strategy, status), group in skipped.groupby([STRATEGY, STATUS], sort=False):
        parts.append(f"{strategy} {status} ({len(group)} {what})")
    return "not plotted (no plan, never drawn as zero): " + "; ".join(parts)


def _cells(n: int, max_cols: int, blocks: int) -> tuple[int, int, list[int]]:
    """(rows, cols, flat indices of the used cells) for n panels in ``blocks`` equal blocks, each
    block starting on a new row and wrapping at ``max_cols``."""
    per = math.ceil(max(n, 1) / blocks)
    cols = min(per, max_cols)
    block_rows = math.ceil(per / cols)
    cells = [(b * block_rows + i // cols) * cols + i % cols for b in range(blocks) for i in range(per)]
    return blocks * block_rows, cols, cells[:max(n, 1)]


def _panels(fig: Figure, rows: int, cols: int, cells: list[int], sharex: bool, sharey: bool) -> list[Axes]:
    """The axes of the used cells of a rows x cols grid; the unused cells are removed."""
    axs = list(fig.subplots(rows, cols, squeeze=False, sharex=sharex, sharey=sharey).ravel())
    for i, ax in enumerate(axs):
        if i not in cells:
            fig.delaxes(ax)
    return [axs[i] for i in cells]


def grid(n: int, width: float, height: float, max_cols: int, sharey: bool = False,
         blocks: int = 1) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure with n panels (each ``width`` x ``height`` inches) in rows of at
    most ``max_cols``; ``blocks``: split the panels into that many equal blocks, each starting on a
    new row (one block per facet, so a row never mixes two facets)."""
    rows, cols, cells = _cells(n, max_cols, blocks)
    fig = new_figure(width * cols, height * rows + 0.6)
    return fig, _panels(fig, rows, cols, cells, sharex=False, sharey=sharey)


def grid_with_strips(n: int, width: float, height: float, max_cols: int,
                     strip: bool) -> tuple[Figure, list[Axes], list[Axes | None]]:
    """:func:`grid` with, under each of the n panels when ``strip``, a small panel sharing its x axis
    (for strategies drawn on their own y scale). Returns (figure, main panels, strips or Nones); the
    main panels are the figure's first axes."""
    if not strip:
        fig, axs = grid(n, width, height, max_cols)
        return fig, axs, [None] * len(axs)
    cols = min(max(n, 1), max_cols)
    rows = math.ceil(max(n, 1) / cols)
    fig = new_figure(width * cols, (height + 1.3) * rows + 0.6)
    spec = fig.add_gridspec(2 * rows, cols, height_ratios=[3.2, 1.0] * rows)
    mains = [fig.add_subplot(spec[2 * (i // cols), i % cols]) for i in range(max(n, 1))]
    strips = [fig.add_subplot(spec[2 * (i // cols) + 1, i % cols], sharex=ax) for i, ax in enumerate(mains)]
    return fig, mains, list(strips)


def fixed_grid(n: int, width: float, height: float, max_cols: int, margins: tuple[float, float, float, float]
               = (1.0, 1.3, 0.65, 0.75)) -> tuple[Figure, list[Axes]]:
    """Like :func:`grid` (shared x and y) but with fixed margins in inches (left, right, top,
    bottom) and no layout engine: for many panels a constrained layout is about a third of the time
    a figure takes to render, and the margins a shared-axis grid needs are known in advance."""
    rows, cols, cells = _cells(n, max_cols, 1)
    left, right, top, bottom = margins
    fig_w, fig_h = width * cols + left + right, height * rows + top + bottom
    fig = new_figure(fig_w, fig_h, constrained=False)
    fig.subplots_adjust(left=left / fig_w, right=1 - right / fig_w, top=1 - top / fig_h, bottom=bottom / fig_h,
                        wspace=0.08, hspace=0.25)
    return fig, _panels(fig, rows, cols, cells, sharex=True, sharey=True)


def legend_right(fig: Figure, axs: Sequence[Axes], extra: Sequence[Artist] = ()) -> None:
    """One legend for all panels, outside the plotting area so it never covers data; ``extra``:
    handles (with their labels) listed after the strategies, such as what a line style means."""
    found: dict[str, object] = {}
    for ax in axs:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            found.setdefault(label, handle)
    handles, labels = [*found.values(), *extra], [*found, *(h.get_label() for h in extra)]
    if handles:
        fig.legend(handles, labels, loc="outside right upper", frameon=False,
                   fontsize="small", title="strategy")


def footnote(fig: Figure, text: str) -> None:
    """A note under the panels. Placed as the figure's supxlabel so the constrained layout makes room
    for it (a plain fig.text would overlap the axes or fall off the canvas)."""
    if text:
        width = int(fig.get_figwidth() * 15)  # about the characters per line at x-small
        fig.supxlabel(_wrap(text, width), x=0.01, ha="left", fontsize="x-small", color="#444444")


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def money_formatter() -> ticker.Formatter:
    """Dollar tick labels: $1,500 and -$250 (one instance per axis: a formatter belongs to its axis)."""
    return ticker.FuncFormatter(lambda v, _: f"-${-v:,.0f}" if v < 0 else f"${v:,.0f}")


def save(fig: Figure, directory: Path, name: str, dpi: int = 110) -> tuple[Path, Path]:
    """Write ``<directory>/<name>.png`` (``dpi``) and ``<name>.pdf``; returns both paths. The
    figure's layout is frozen by the first write (its layout engine is switched off)."""
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ConfigError(f"name = {name!r}: must be a plain file name without a directory or extension")
    directory.mkdir(parents=True, exist_ok=True)
    png, pdf = directory / f"{name}.png", directory / f"{name}.pdf"
    atomic_write(png, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
    # the layout computed for the PNG holds for the PDF (positions are in figure fractions);
    # recomputing it would cost up to a third of a many-panel figure's render time
    fig.set_layout_engine("none")
    atomic_write(pdf, lambda tmp: fig.savefig(tmp, format="pdf"))
    return png, pdf
