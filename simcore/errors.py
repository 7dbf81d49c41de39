"""One error hierarchy. Every message names the field, the value and what is allowed."""
from __future__ import annotations


class RetentionBenchError(Exception):
    """Base class for every error a user can cause and fix."""


class ConfigError(RetentionBenchError, ValueError):
    """A config value or input file is invalid."""


class NotApplicableError(RetentionBenchError):
    """A strategy cannot run on this scenario; the message says why."""


class InfeasibleError(RetentionBenchError):
    """The constraint set cannot be met; the message names the conflicting constraints."""


class SolverError(RetentionBenchError):
    """The solver failed for a reason other than infeasibility."""
