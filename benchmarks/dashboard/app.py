"""The Streamlit entry point (``streamlit run benchmarks/dashboard/app.py -- [RUN_DIR ...]``; usually
started by ``python -m benchmarks.dashboard``): the sidebar picks a page and rescans the directories.

The directories come from ``st.session_state["run_dirs"]`` when set (tests), else from the arguments
after ``--``, else ``outputs/`` and ``multirun/`` (what ``python -m benchmarks.run`` writes).
"""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from benchmarks.dashboard import page_runs, page_sweep, page_whatif
from benchmarks.dashboard.discover import RunEntry, find_runs
from benchmarks.report.load import RunData, load_run
from simcore.errors import RetentionBenchError

DEFAULT_DIRS = ("outputs", "multirun")
PAGES = {"Runs": page_runs.render, "Sweep / campaign": page_sweep.render, "What if": page_whatif.render}


def run_dirs() -> list[Path]:
    """The directories this session browses (see the module docstring)."""
    if "run_dirs" not in st.session_state:
        launched = Path(sys.argv[0]).resolve() == Path(__file__).resolve()
        st.session_state["run_dirs"] = [str(p) for p in (sys.argv[1:] if launched else [])] or list(DEFAULT_DIRS)
    return [Path(p) for p in st.session_state["run_dirs"]]


@st.cache_resource(ttl=30, show_spinner=False)
def _scan(roots: tuple[str, ...]) -> list[RunEntry]:
    return find_runs([Path(r) for r in roots if Path(r).is_dir()])


@st.cache_resource(max_entries=16, show_spinner=False)
def _load(path: str, stamp: float) -> RunData:
    return load_run(Path(path))


def loaded(entry: RunEntry) -> RunData | None:
    """A run's data, read once per version of its results table (pages call this on every rerun);
    None, with the reason on the page, when it cannot be read (removed, or its table damaged)."""
    try:
        return _load(str(entry.path), entry.table.stat().st_mtime)
    except (RetentionBenchError, OSError, ValueError) as err:
        st.error(f"{entry.path}: cannot be read: {err}")
        return None


def main() -> None:
    st.set_page_config(page_title="retention-bench dashboard", layout="wide")
    roots = run_dirs()
    st.sidebar.title("retention-bench")
    page = st.sidebar.radio("Page", list(PAGES), key="page")
    st.sidebar.caption("Browsing: " + ", ".join(str(r) for r in roots))
    if st.sidebar.button("Rescan directories"):
        _scan.clear()
    entries = _scan(tuple(str(r) for r in roots))
    PAGES[page](entries, loaded)


main()
