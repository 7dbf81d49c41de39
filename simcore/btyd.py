"""Buy-till-you-die models: a BG/NBD (or MBG/NBD) + Gamma-Gamma fit, and the forecasts a world needs.

The fits are ``lifetimes``' maximum-likelihood fitters (see :mod:`simcore.transactions` for why that
library); this module adds the one quantity lifetimes does not have, the probability of being alive
at the END of a future window, and a discounted CLV over a window that may start later than "now".

Time is in WEEKS throughout (the unit of Fader, Hardie & Lee 2005, so parameters compare with the
published ones); a customer is summarised by the usual RFM triple plus spend:

=================  ==================================================================
frequency (x)      repeat purchases: purchase days after the first one
recency (t_x)      weeks from the first to the last purchase
T                  weeks from the first purchase to the end of the observation
monetary_value     mean spend of the repeat purchase days, dollars (0 when x = 0)
=================  ==================================================================

Churn over a window. In the BG/NBD a customer buys at Poisson rate lambda while alive and drops out,
with probability p, right AFTER each repeat purchase (the MBG/NBD also right after the first
purchase). Given alive now, the fatal purchases are a Poisson process thinned to rate lambda x p, so
P(alive at now + s | lambda, p, alive now) = exp(-lambda p s). Given the history, the "alive" branch
of the posterior has lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x) (MBG/NBD: b + x + 1),
independent, so::

    P(alive at now + s | x, t_x, T) = P(alive now | x, t_x, T) x S(s)
    S(s) = E[exp(-lambda p s)] = E_p[((alpha + T) / (alpha + T + p s))^(r + x)]
         = ((alpha + T) / (alpha + T + s))^a  2F1(a + b' - r - x, a; a + b'; s / (alpha + T + s))

with b' = b + x (BG/NBD) or b + x + 1 (MBG/NBD); the second line is Euler's integral for 2F1 at
z = -s / (alpha + T) after Pfaff's transformation, which keeps the argument in [0, 1).
``churn = 1 - P(alive at now + offset + horizon)``: a customer churns in the window if she is not
alive at its end (whether she left before it began, or leaves within it).

CLV over the window (offset, offset + horizon] after now, discounted weekly at an annual rate d::

    CLV = E[spend per purchase | x, m] x sum_k (N(tau_k) - N(tau_{k-1})) / (1 + d)^((tau_k - offset) / 52.18)

with tau_k = offset + min(k, horizon) weeks, N(t) the model's conditional expected number of
purchases in (now, now + t] (lifetimes' ``conditional_expected_number_of_purchases_up_to_time``) and
the spend the Gamma-Gamma posterior mean (``conditional_expected_average_profit``). It is an
unconditional expectation, churn already priced in (the convention of ``SyntheticPopulation``).
"""
from __future__ import annotations

import contextlib
import io
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import hyp2f1, roots_jacobi

from simcore.errors import ConfigError


def _import_lifetimes_quietly() -> None:
    """Import lifetimes without its process-wide side effects. At import, ``lifetimes.utils`` sets
    ``pd.options.mode.chained_assignment = None`` (under pandas 2 that silences SettingWithCopyWarning
    for the whole program; under pandas 3, where the option is deprecated, it emits a Pandas4Warning)
    and ``lifetimes.fitters`` calls ``warnings.simplefilter("ignore", FutureWarning)`` (every
    FutureWarning of every library, hidden). The option is restored, catch_warnings undoes the filter
    and swallows the deprecation warning; nothing of lifetimes is patched."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        before = pd.get_option("mode.chained_assignment")
        import lifetimes  # noqa: F401
        pd.set_option("mode.chained_assignment", before)


_import_lifetimes_quietly()
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter  # noqa: E402
from lifetimes.utils import ConvergenceError  # noqa: E402

MODELS = ("bgnbd", "mbgnbd")
WEEKS_PER_YEAR = 365.25 / 7


@dataclass(frozen=True)
class BTYDFit:
    """A fitted purchase model (BG/NBD or MBG/NBD, weeks) and spend model (Gamma-Gamma, dollars).

    ``seconds``: wall time of the two fits, (purchase model, spend model).
    """

    model: str
    purchases: BetaGeoFitter | ModifiedBetaGeoFitter
    spend: GammaGammaFitter
    seconds: tuple[float, float]

    @property
    def params(self) -> dict[str, float]:
        """r, alpha (weeks), a, b of the purchase model; p, q, v (dollars) of the spend model."""
        both = pd.concat([self.purchases.params_, self.spend.params_])
        return {str(k): float(v) for k, v in both.items()}


def fit_btyd(summary: pd.DataFrame, model: str, purchase_penalizer: float, spend_penalizer: float,
             where: str) -> BTYDFit:
    """Fit both models by maximum likelihood (``lifetimes``; deterministic, no random state).

    summary: one row per customer with frequency, recency, T (weeks), monetary_value (dollars).
    The Gamma-Gamma is fitted on the repeat buyers with a positive mean spend (it needs x > 0 and
    m > 0). A fit that does not converge, or a spend model without a finite mean (q <= 1), raises
    ConfigError naming ``where`` (the period fitted) and the penalizer to raise.
    """
    fitter = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter}[model]
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 10:
        raise ConfigError(f"{where}: only {len(repeat)} repeat buyers before that date; the Gamma-Gamma spend "
                          "model needs repeat purchases (choose a later calibration_end)")
    start = time.perf_counter()
    purchases = _converge(lambda: fitter(penalizer_coef=purchase_penalizer).fit(
        summary["frequency"], summary["recency"], summary["T"]), where, "purchase_penalizer", purchase_penalizer)
    middle = time.perf_counter()
    spend = _converge(lambda: GammaGammaFitter(penalizer_coef=spend_penalizer).fit(
        repeat["frequency"], repeat["monetary_value"]), where, "spend_penalizer", spend_penalizer)
    end = time.perf_counter()
    if spend.params_["q"] <= 1.0:
        raise ConfigError(f"{where}: the Gamma-Gamma fit has q = {spend.params_['q']:.3g} <= 1 (an infinite mean "
                          f"spend) with spend_penalizer = {spend_penalizer}; try 0 or 0.001")
    return BTYDFit(model, purchases, spend, (middle - start, end - middle))


def _converge(fit, where: str, knob: str, value: float):
    # lifetimes prints scipy's whole OptimizeResult before raising (kept out of a sweep's log), and its
    # likelihood calls warnings.simplefilter("ignore", FutureWarning) on every evaluation, a process-wide
    # change that catch_warnings undoes; autograd's log(0) warnings on the way to the optimum are noise
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return fit()
        except ConvergenceError:
            raise ConfigError(f"{where}: the {knob.split('_')[0]} model did not converge with {knob} = {value}; "
                              "a small penalizer (e.g. 0.001) often helps") from None


def p_alive_now(fit: BTYDFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive now | x, t_x, T), (n,). BG/NBD: 1 for x = 0 (no dropout before a repeat purchase)."""
    return np.asarray(fit.purchases.conditional_probability_alive(x, t_x, T), dtype=float)


def survival(fit: BTYDFit, x: np.ndarray, T: np.ndarray, s: np.ndarray | float) -> np.ndarray:
    """S(s) = E[exp(-lambda p s) | alive now, x, T]: the chance an alive customer makes no fatal
    purchase in the next ``s`` weeks (module docstring). (n,), in (0, 1]."""
    r, alpha, a, b = (float(fit.purchases.params_[k]) for k in ("r", "alpha", "a", "b"))
    b_post = b + x + (1.0 if fit.model == "mbgnbd" else 0.0)
    s = np.asarray(s, dtype=float)
    w = s / (alpha + T + s)
    return ((alpha + T) / (alpha + T + s)) ** a * hyp2f1(a + b_post - r - x, a, a + b_post, w)


def churn_probability(fit: BTYDFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                      offset: np.ndarray | float, horizon: float) -> np.ndarray:
    """P(not alive at now + offset + horizon weeks | x, t_x, T), (n,)."""
    churn = 1.0 - p_alive_now(fit, x, t_x, T) * survival(fit, x, T, np.asarray(offset, float) + horizon)
    return np.clip(churn, 0.0, 1.0)


def discounted_purchases(fit: BTYDFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                         offset: np.ndarray | float, horizon: float, discount_rate: float) -> np.ndarray:
    """Expected repeat purchases in (now + offset, now + offset + horizon], each week's purchases
    discounted to the window's start at the annual ``discount_rate``. (n,), purchases."""
    steps = np.minimum(np.arange(int(np.ceil(horizon)) + 1, dtype=float), horizon)  # (K + 1,) weeks
    offset = np.broadcast_to(np.asarray(offset, float), np.shape(x))
    tau = offset[None, :] + steps[:, None]  # (K + 1, n)
    predict = fit.purchases.conditional_expected_number_of_purchases_up_to_time
    with np.errstate(all="ignore"):
        cumulative = np.where(tau > 0, predict(np.maximum(tau, 1e-12), x, t_x, T), 0.0)
    bad = ~np.isfinite(cumulative).all(axis=0)
    if bad.any():  # lifetimes' 2F1 has a pole at a + b + x - 1 = 0 (x = 0 after a short calibration)
        cumulative[:, bad] = expected_purchases_by_quadrature(fit, x[bad], t_x[bad], T[bad], tau[:, bad])
    per_step = np.diff(cumulative, axis=0)  # (K, n)
    discount = (1.0 + discount_rate) ** (-steps[1:] / WEEKS_PER_YEAR)  # (K,)
    return np.maximum(discount @ per_step, 0.0)


def expected_purchases_by_quadrature(fit: BTYDFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                                     tau: np.ndarray, nodes: int = 48) -> np.ndarray:
    """Expected repeat purchases in (now, now + tau], (K, n) for tau (K, n) weeks, without 2F1.

    An alive customer buys lambda (1 - exp(-lambda p tau)) / (lambda p) times before her fatal purchase
    or tau; averaging over lambda ~ Gamma(r + x, alpha + T) gives
    g(p) = (1 - ((alpha + T) / (alpha + T + p tau))^(r + x)) / p, smooth on [0, 1], which Gauss-Jacobi
    quadrature averages over p ~ Beta(a, b') exactly enough (b' as in :func:`survival`). Times
    P(alive now), this is Fader, Hardie & Lee's eq. (10), also where its 2F1 cannot be evaluated.
    """
    r, alpha, a, b = (float(fit.purchases.params_[k]) for k in ("r", "alpha", "a", "b"))
    b_post = b + x + (1.0 if fit.model == "mbgnbd" else 0.0)
    out = np.empty(np.shape(tau))
    for value in np.unique(b_post):
        cols = b_post == value
        u, w = roots_jacobi(nodes, value - 1.0, a - 1.0)  # weight (1 - u)^(b' - 1) (1 + u)^(a - 1) on [-1, 1]
        p, w = (1.0 + u) / 2.0, w / w.sum()
        age = alpha + T[cols]
        shape = r + x[cols]
        g = (1.0 - (age[:, None] / (age[:, None] + p * tau[:, cols, None])) ** shape[:, None]) / p
        out[:, cols] = g @ w
    return out * p_alive_now(fit, x, t_x, T)[None, :]


def expected_spend(fit: BTYDFit, x: np.ndarray, monetary_value: np.ndarray) -> np.ndarray:
    """Gamma-Gamma posterior mean spend per purchase, dollars, (n,); the population mean for x = 0."""
    return np.asarray(fit.spend.conditional_expected_average_profit(x, monetary_value), dtype=float)


def forecast(fit: BTYDFit, summary: pd.DataFrame, offset: np.ndarray | float, horizon: float,
             discount_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Churn probability and CLV (dollars) over the window (offset, offset + horizon] weeks after each
    customer's summary date. Both (n,), in the row order of ``summary``."""
    x = summary["frequency"].to_numpy(float)
    t_x = summary["recency"].to_numpy(float)
    T = summary["T"].to_numpy(float)
    churn = churn_probability(fit, x, t_x, T, offset, horizon)
    purchases = discounted_purchases(fit, x, t_x, T, offset, horizon, discount_rate)
    clv = purchases * expected_spend(fit, x, summary["monetary_value"].to_numpy(float))
    return churn, clv
