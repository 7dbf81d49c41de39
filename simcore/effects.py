"""Treatment effects: the TRUE per-pair effect and the value of a pair under truth or belief.

Value of contacting customer i with action k (dollars):
    churn_prob_i x effect_ik x clv_i  +  lift_k x clv_i  +  propensity_ik x revenue_gain_k  -  cost_ik
(retained CLV: the churn the action prevents; incremental CLV: an action that grows the customer's
value whatever its risk; an upsell's expected revenue; the cost). Strategies see the catalog's stated
uplift as effect; the truth is min(1, uplift x heterogeneity). CLV is the estimate under belief and the
truth under truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcore.checks import check_scalar


# Below this sd, h is 1 to within 1e-8 (and Gamma(1/sd^2, sd^2) stops being computable: sd^2 underflows
# near 1e-154, where numpy returned h = inf, every true effect 1); above MAX_SD almost every h is 0 already
# (and near 1e154 the shape overflows).
NEGLIGIBLE_SD, MAX_SD = 1e-8, 100.0
EFFECT_BLOCK = 1 << 19  # pairs per block when stated uplifts are gathered (4 MB)


@dataclass(frozen=True)
class EffectModel:
    """effect_true = min(1, uplift x h), h ~ Gamma with mean 1 and sd ``heterogeneity_sd`` (0 = none;
    below 1e-8, none as well; at most 100)."""

    heterogeneity_sd: float = 0.0

    def __post_init__(self) -> None:
        check_scalar(self.heterogeneity_sd, "heterogeneity_sd", float, 0.0, MAX_SD)

    def true_effect(self, stated_uplift: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """stated_uplift: (P,) -> (P,) true relative churn reduction in [0, 1]."""
        stated = np.asarray(stated_uplift, float)
        return self.pair_effect(stated, np.arange(len(stated)), rng)

    def pair_effect(self, action_uplift: np.ndarray, actions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """true_effect(action_uplift[actions], rng): (K,) stated uplifts and (P,) actions -> (P,). The
        stated uplifts are gathered block by block into the draws, and min(1, .) is taken in place:
        one array of every pair instead of four (at millions of pairs each is paid in page faults)."""
        sd = self.heterogeneity_sd
        if sd < NEGLIGIBLE_SD:  # h = 1: uplift x 1.0 is uplift, without drawing an array of every pair
            return np.minimum(1.0, action_uplift)[actions]
        h = rng.gamma(1.0 / sd**2, sd**2, len(actions))
        for start in range(0, len(h), EFFECT_BLOCK):
            h[start:start + EFFECT_BLOCK] *= action_uplift[actions[start:start + EFFECT_BLOCK]]
        return np.minimum(1.0, h, out=h)


def pair_value(churn: np.ndarray, effect: np.ndarray, clv: np.ndarray, lift: np.ndarray, gain: np.ndarray,
               cost: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Expected net value per pair (dollars); every argument is (M,). churn x effect x clv + lift x clv
    + gain - cost, evaluated in that order in one output array (``out`` if given: at millions of pairs
    every new array is paid in page faults)."""
    out = np.multiply(churn, effect, out=out)
    out *= clv
    out += np.multiply(lift, clv)
    out += gain
    out -= cost
    return out
