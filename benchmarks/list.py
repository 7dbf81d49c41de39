"""What can be chosen: every config group (worlds, strategies, sweep presets, ...) with its options and
the first sentence of each option's description (the comment at the top of its YAML).

    python -m benchmarks.list                                   # the project's groups
    python -m benchmarks.list --config-dir examples/plugin/conf # and your own (as benchmarks.run sees them)
    python -m benchmarks.list scenario                          # one group
"""
from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

from benchmarks.config import CONF

# how each group is used on the command line
USAGE = {"scenario": "the worlds: scenario=NAME", "strategy": "strategy configs to load: 'strategy=[milp,random]' "
         "(then 'strategies=[...]' picks which of them run)", "sweep": "sweep presets: sweep=NAME",
         "campaign": "campaign presets: campaign=NAME",
         "campaign_strategy": "strategies over time, loaded by a campaign preset; pick with 'strategies=[...]'",
         "evaluation": "evaluation=NAME", "tracking": "tracking=NAME"}


def description(path: Path) -> str:
    """The first sentence of the comment block at the top of a YAML file ('' without one)."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text.startswith("@package"):
            lines.append(text)
    text = " ".join(lines)
    return re.split(r"(?<=[A-Za-z0-9)]\.)\s", text, maxsplit=1)[0]


def options(config_dirs: list[Path]) -> dict[str, dict[str, str]]:
    """group -> option -> description, over the config directories (later ones add options)."""
    found: dict[str, dict[str, str]] = {}
    for directory in config_dirs:
        for group in sorted(p for p in directory.iterdir() if p.is_dir() and p.name != "hydra"):
            for path in sorted(group.glob("*.yaml")):
                found.setdefault(group.name, {})[path.stem] = description(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.list", description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help="only these groups (default: all)")
    parser.add_argument("--config-dir", type=Path, action="append", default=[],
                        help="your own config directory, as given to benchmarks.run (repeatable)")
    args = parser.parse_args(argv)
    for directory in args.config_dir:
        if not directory.is_dir():
            parser.error(f"--config-dir {directory}: not a directory")
    found = options([CONF, *args.config_dir])
    unknown = [g for g in args.groups if g not in found]
    if unknown:
        parser.error(f"no such group: {', '.join(unknown)}; groups: {', '.join(found)}")
    for group, names in found.items():
        if args.groups and group not in args.groups:
            continue
        print(f"{group} ({USAGE.get(group, f'{group}=NAME')})")
        width = max(map(len, names))
        for name, text in names.items():
            lines = textwrap.wrap(text, 110 - width - 4) or [""]
            print(f"  {name:<{width}}  {lines[0]}")
            for line in lines[1:]:
                print(f"  {'':<{width}}  {line}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
