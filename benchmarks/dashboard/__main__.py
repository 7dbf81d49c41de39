"""Start the dashboard: ``python -m benchmarks.dashboard [RUN_DIR ...] [--port N]``.

Runs ``streamlit run benchmarks/dashboard/app.py -- RUN_DIR ...`` through Streamlit's own command line
(in this process, so Ctrl-C stops it). Without RUN_DIR it browses ``outputs/`` and ``multirun/``, the
directories ``python -m benchmarks.run`` writes, skipping whichever does not exist yet; a RUN_DIR given
that does not exist is a one-line error with exit code 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_DIRS = ("outputs", "multirun")


def streamlit_args(dirs: list[str], port: int | None, headless: bool) -> list[str]:
    """The ``streamlit`` command line that serves the app on ``dirs``. Usage statistics are off (the
    dashboard sends nothing anywhere) and the toolbar is a viewer's (no "Deploy" button)."""
    args = ["streamlit", "run", str(APP), "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]
    if port is not None:
        args += ["--server.port", str(port)]
    if headless:
        args += ["--server.headless", "true"]
    return args + ["--", *dirs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="*", metavar="RUN_DIR",
                        help="run, sweep or campaign directories, or trees of them (default: outputs/ multirun/)")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default: Streamlit's, 8501)")
    parser.add_argument("--headless", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)
    missing = [d for d in args.run_dirs if not Path(d).is_dir()]
    if missing:
        print(f"error: RUN_DIR = {missing[0]!r}: not a directory; give the output directory of a run, sweep or "
              "campaign, or a folder of them", file=sys.stderr)
        return 2
    dirs = [str(Path(d).resolve()) for d in args.run_dirs] or \
        [str(Path(d).resolve()) for d in DEFAULT_DIRS if Path(d).is_dir()]
    from streamlit.web import cli  # here: importing streamlit costs a second, not needed for --help or an error

    sys.argv = streamlit_args(dirs, args.port, args.headless)
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
