"""Where a report's numbers come from: the git commit and working-tree state, package versions,
Python and platform, the saved config and command-line overrides, the seeds, and the command that
reruns the saved config."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report.load import RunData, SavedConfig
from simcore.results import SEED

PACKAGES = ("numpy", "pandas", "cvxpy", "highspy", "mlflow", "seaborn", "matplotlib", "hydra-core", "joblib",
            "pyarrow")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Provenance:
    """commit, dirty (None: unknown) and changed files of the project's repository; versions:
    package -> version; config: the saved config (None: not saved); overrides: Hydra's command-line
    overrides; seeds: the seeds as text; command: the rerun command ('' without a saved config)."""

    commit: str
    dirty: bool | None
    changed: list[str]
    versions: dict[str, str]
    python: str
    platform: str
    config: SavedConfig | None
    overrides: list[str]
    seeds: str
    command: str


def git_state(repo: Path) -> tuple[str, bool | None, list[str]]:
    """(commit, dirty, changed files) of the project's repository; 'unknown' and None when git or the
    repository is missing (an installed copy, a tarball)."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return f"unknown (no git repository at {repo})", None, []
    return commit, bool(status), [line[3:] for line in status]


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """package -> installed version ('not installed' when missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def reproduce_command(config: SavedConfig | None, run_dir: Path) -> str:
    """The command that reruns a saved config, from the project root. ``--config-path`` (not
    ``--config-dir``) makes the saved file the primary config: with ``--config-dir`` the project's own
    conf/config.yaml would win the name lookup and the rerun would silently use the defaults."""
    if config is None:
        return ""
    rerun = run_dir.resolve().parent / f"{run_dir.resolve().name}-rerun"
    pythonpath = plugin_pythonpath(config.select("plugins") or [])
    command = (f"PYTHONPATH={pythonpath} " if pythonpath else "") + (
        f"python -m benchmarks.run --config-path {config.path.parent.resolve()} "
        f"--config-name {config.path.stem} hydra.run.dir={rerun}")
    # a sweep saved with resume_dir would resume into the ORIGINAL directory and recompute nothing
    if config.select("sweep.resume_dir") is not None:
        command += f" sweep.resume_dir={rerun}"
    return command


def plugin_pythonpath(plugins: list[str]) -> str:
    """The PYTHONPATH a rerun needs for the config's ``plugins`` (the user's own packages): the directory
    holding each one, relative to the project root when inside it; nothing for packages in the project
    or installed in site-packages. A package not importable here is named as a placeholder."""
    installed = {Path(p).resolve() for p in (*site.getsitepackages(), site.getusersitepackages())}
    roots = []
    for prefix in plugins:
        top = str(prefix).split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not (spec.origin or spec.submodule_search_locations):
            roots.append(f"<the directory holding {top}>")
            continue
        location = Path(spec.origin or next(iter(spec.submodule_search_locations))).resolve()
        root = location.parent.parent if location.name == "__init__.py" or spec.origin is None else location.parent
        if root == REPO or root in installed:
            continue
        roots.append(str(root.relative_to(REPO)) if root.is_relative_to(REPO) else str(root))
    return os.pathsep.join(dict.fromkeys(roots))


def provenance(data: RunData) -> Provenance:
    """The provenance of the run in ``data`` (git is asked about the project, not the run directory)."""
    commit, dirty, changed = git_state(REPO)
    overrides_file = data.run_dir / ".hydra" / "overrides.yaml"
    overrides = [line[2:] for line in overrides_file.read_text().splitlines() if line.startswith("- ")] \
        if overrides_file.exists() else []
    seeds = sorted({int(s) for s in data.results[SEED].dropna()}) if SEED in data.results else []
    seed_text = ", ".join(map(str, seeds[:20])) + (f", ... ({len(seeds)} seeds)" if len(seeds) > 20 else "")
    if "replicate" in data.results.columns:
        seed_text += f" (replicates {int(data.results['replicate'].nunique())})"
    return Provenance(commit, dirty, changed, package_versions(), sys.version.split()[0], platform.platform(),
                      data.config, overrides, seed_text or "unknown", reproduce_command(data.config, data.run_dir))


def provenance_items(prov: Provenance) -> list[tuple[str, str]]:
    """(label, text) lines of the report's provenance list, in order."""
    dirty = "unknown" if prov.dirty is None else ("yes" if prov.dirty else "no")
    if prov.changed:
        dirty += f" ({len(prov.changed)} changed or untracked: {', '.join(prov.changed[:8])}" \
                 + (", ..." if len(prov.changed) > 8 else "") + ")"
    return [("git commit", prov.commit), ("dirty", dirty),
            ("packages", ", ".join(f"{k} {v}" for k, v in prov.versions.items())),
            ("python", prov.python), ("platform", prov.platform), ("seeds", prov.seeds),
            ("config", str(prov.config.path) if prov.config else "not saved"),
            ("command-line overrides", " ".join(prov.overrides) if prov.overrides else "none")]


def reproduce_text(prov: Provenance) -> str:
    """What the rerun command reproduces, and when it cannot."""
    if not prov.command:
        return ("This run was started without a saved config (run() called in-process), so the exact "
                "command is unknown; rerun with python -m benchmarks.run to get one.")
    warning = " The working tree was dirty: check out the commit AND the changes listed above." if prov.dirty else ""
    return ("From the project root, at the commit above with the package versions above, this reruns the "
            "saved config (the YAML below) and reproduces every number of this report (runtimes aside)."
            + warning)
