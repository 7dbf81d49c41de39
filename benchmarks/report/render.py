"""Rendering the report from the Jinja2 templates in ``benchmarks/report/templates/``:
``report.html.j2`` (self-contained: figures inlined as base64 PNG, ``report.css`` inlined, no
script, nothing fetched; autoescaped, so a strategy name or reason can never inject markup) and
``report.md.j2`` (figures linked as relative ``figures/*.png``, tables as GitHub markdown)."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from benchmarks.report.gallery import FigureFile
from benchmarks.report.provenance import Provenance, provenance_items, reproduce_text
from benchmarks.report.sections import Section


@dataclass(frozen=True)
class Cells:
    """A display table as text: ``header`` (column names) and ``rows`` (one list of cell texts per
    row; a missing value is '')."""

    header: list[str]
    rows: list[list[str]]


def cells(frame: pd.DataFrame) -> Cells:
    """The text of every cell of ``frame``, for the templates."""
    def text(value: object) -> str:
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)

    return Cells([text(c) for c in frame.columns], [[text(v) for v in rec] for rec in frame.itertuples(index=False)])


def markdown_cell(text: str) -> str:
    """A markdown table cell: a pipe would end the cell and a newline the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def data_uri(png: Path) -> str:
    """A PNG file as a ``data:`` URI, so the HTML needs no file beside it."""
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _environment() -> Environment:
    # autoescape by template name: on for report.html.j2, off for markdown (whose escaping is markdown_cell)
    env = Environment(loader=PackageLoader("benchmarks.report", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(cells=cells, markdown_cell=markdown_cell, data_uri=data_uri)
    return env


ENVIRONMENT = _environment()


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-markdown table of ``frame`` (the report's own table macro), for scripts that print one."""
    return ENVIRONMENT.from_string('{% from "table.md.j2" import table %}{{ table(frame) }}').render(frame=frame).rstrip()


def render(template: str, title: str, sections: list[Section], files: list[FigureFile], figure_notes: list[str],
           prov: Provenance) -> str:
    """The text of ``template`` (``report.html.j2`` or ``report.md.j2``) for one report."""
    return ENVIRONMENT.get_template(template).render(
        title=title, sections=sections, files=files, figure_notes=figure_notes, provenance=provenance_items(prov),
        reproduce=reproduce_text(prov), command=prov.command, config_text=prov.config.text if prov.config else "")
