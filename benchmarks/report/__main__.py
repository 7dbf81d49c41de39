"""The command line: ``python -m benchmarks.report RUN_DIR`` writes report.html and report.md into
RUN_DIR; a directory that is not a run's exits with status 2 and says why."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.report import write_report
from simcore.errors import RetentionBenchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                     description="Write report.html and report.md for a run or sweep directory.")
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="output directory of benchmarks.run")
    args = parser.parse_args(argv)
    try:
        html_path, md_path = write_report(args.run_dir)
    except RetentionBenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"report written to {html_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
