"""The publishable report of a run or a sweep: ``report.html`` (self-contained: figures inlined as
base64 PNG, no external CSS/JS) and ``report.md`` (figures as relative ``figures/*.png``), with the
comparison tables, binding constraints, fairness, figures and provenance (git commit, package
versions, Python, platform, the saved config, seeds and the command that reproduces the numbers).

    python -m benchmarks.report RUN_DIR

Modules: ``load`` (reading the run directory), ``tables`` (display tables and the sweep's
statistics), ``gallery`` (the figures), ``sections`` (the report's text in order), ``provenance``,
``render`` (the Jinja2 templates in ``templates/``) and ``__main__`` (the command line). A sweep is
reported per axis: every swept axis gets its figures, the others as facets, and every table keeps
every axis as a column.
"""
from __future__ import annotations

from pathlib import Path

from benchmarks.report.gallery import write_figures
from benchmarks.report.load import load_run, sweep_options
from benchmarks.report.provenance import provenance
from benchmarks.report.render import render
from benchmarks.report.sections import report_sections, title
from benchmarks.report.tables import sweep_stats
from simcore.files import write_text


def write_report(run_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` (and ``figures/*.png|pdf``) into ``run_dir``, a single
    run's or a sweep's output directory; returns (html path, md path)."""
    run_dir = Path(run_dir)
    if (run_dir / "periods.parquet").exists():  # a campaign's directory: its own sections and figures
        from benchmarks.campaign.report import write_campaign_report

        return write_campaign_report(run_dir)
    data = load_run(run_dir)
    # a sweep's statistics are computed once here and shared by its figures and tables
    sweep = sweep_stats(data.results, data.axes, *sweep_options(data)) if data.kind == "sweep" else None
    files, figure_notes = write_figures(data, sweep)
    sections = report_sections(data, sweep)
    prov = provenance(data)
    heading = title(data)
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    write_text(html_path, render("report.html.j2", heading, sections, files, figure_notes, prov))
    write_text(md_path, render("report.md.j2", heading, sections, files, figure_notes, prov))
    return html_path, md_path


__all__ = ["write_report"]
