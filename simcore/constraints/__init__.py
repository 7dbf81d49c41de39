"""Constraints as objects: each kind compiles itself into rows of the one row-matrix type
(:class:`Rows`) that the optimizers, heuristics, audit and diagnosis read."""
from simcore.constraints.action_cap import ActionCap
from simcore.constraints.base import Constraint, Context
from simcore.constraints.constraint_set import ConstraintSet
from simcore.constraints.kinds import Budget, ChannelCapacity, CoverageFloor, FairnessFloor, MaxContacts, SaturationCap
from simcore.constraints.rows import GE, LE, Row, Rows, RowSpec

__all__ = ["ActionCap", "Budget", "ChannelCapacity", "Constraint", "ConstraintSet", "Context", "CoverageFloor",
           "FairnessFloor", "GE", "LE", "MaxContacts", "Row", "RowSpec", "Rows", "SaturationCap"]
