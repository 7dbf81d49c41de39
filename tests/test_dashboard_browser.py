"""The dashboard in a real browser: ``python -m benchmarks.dashboard RUN_DIR --port N`` is started
as a server and its pages are rendered by headless Chromium (Debian's ``chromium``, driven by
Playwright; ``.ci/run`` installs it). The run's strategies and net values must be on the Runs page;
on the What-if page the budget of playlistpro is set to 300 and re-solved, and the KPIs shown must
be those of ``benchmarks.run`` with ``scenario.constraints.budget.limit=300``. A screenshot of each
page is taken (and copied to ``$DASHBOARD_SCREENSHOTS`` when set: that is how the README's are made).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.outputs import money
from tests.dashboard_runs import budget_300, made_runs

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# a quiet, offline, throwaway browser: no sandbox (root in CI), no GPU, nothing fetched in the background
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
WAIT = 90_000  # ms: the server's first page imports the solvers (several seconds on a busy CI machine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard's server on the test's single run and first sweep; stopped (by its pid) at the end."""
    runs = made_runs(tmp_path_factory)
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.dashboard", str(runs.single_dir),
                                 str(runs.sweep_a), str(runs.campaign), "--port", str(port), "--headless"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT / 1000
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url, runs
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("no Chromium installed (apt-get install chromium; .ci/run does): the browser test needs one")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(WAIT)
        yield context.new_page()
        context.close()


def screenshot(page, directory: Path, name: str) -> Path:
    """A PNG of the visible page, checked to be a real picture, copied to $DASHBOARD_SCREENSHOTS if set."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, f"{name}: blank or broken screenshot"
    if os.environ.get("DASHBOARD_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["DASHBOARD_SCREENSHOTS"]) / path.name)
    return path


def pick(page, label: str, starting: str) -> None:
    """Choose the option of the selectbox ``label`` that starts with ``starting``."""
    page.get_by_label(label).click()
    page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(starting))).first.click()


def go_to(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name).wait_for()


def test_pages_render_in_chromium_and_the_what_if_matches_the_run(server, browser, tmp_path, tmp_path_factory):
    url, runs = server
    page = browser
    page.goto(url)
    page.locator('[data-testid="stTable"]').first.wait_for()
    body = page.inner_text("body")
    for rec in runs.single.to_dict("records"):
        assert rec["strategy"] in body and money(rec["net_value"]) in body, rec["strategy"]
    screenshot(page, tmp_path, "runs")

    go_to(page, "Sweep / campaign")
    pick(page, "Sweep or campaign", "sweep: ")
    page.get_by_text("Grid: scenario.constraints.budget.limit x strategy").wait_for()
    page.locator(".js-plotly-plot").nth(3).wait_for()
    screenshot(page, tmp_path, "sweep")
    pick(page, "Sweep or campaign", "campaign: ")
    page.get_by_text("Uplift learned from the holdout, against the truth").wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()
    assert "The whole campaign per strategy" in page.inner_text("body")
    screenshot(page, tmp_path, "campaign")

    go_to(page, "What if")
    budget = page.get_by_label("budget · limit")
    budget.fill("300")
    budget.press("Enter")
    page.get_by_role("button", name="Re-solve").click()
    page.locator('[data-testid="stMetric"]').first.wait_for()
    page.get_by_text("The config (YAML)", exact=True).wait_for()  # the page's last element: the whole result is rendered
    # python -m benchmarks.run strategies=[milp] scenario.constraints.budget.limit=300
    expected = pd.read_parquet(budget_300(tmp_path_factory) / "results.parquet").iloc[0]
    shown = page.inner_text("body")
    assert "milp on playlistpro: ok" in shown
    for value in (f"${expected['net_value']:,.2f}", f"${expected['est_net_value']:,.2f}",
                  f"${expected['spend']:,.2f}"):
        assert value in shown, value
    assert "scenario.constraints.budget.limit=300" in shown
    screenshot(page, tmp_path, "whatif")
