"""Real-data worlds from a transaction log: CDNOW, with a BTYD model as the truth.

The data
--------
CDNOW (Fader & Hardie): every customer who made a first purchase at the CD retailer CDNOW in the
first quarter of 1997, and all their purchases until 1998-06-30 (78 weeks). It ships inside the
``lifetimes`` package, read here with ``importlib.resources`` (lifetimes' own loaders import
``pkg_resources``, which setuptools >= 82 no longer has):

- ``dataset="cdnow"``: ``CDNOW_master.txt``, 69,659 transactions of 23,570 customers;
- ``dataset="cdnow_sample"``: ``CDNOW_sample.txt``, the 1/10 sample of the BG/NBD paper (Fader,
  Hardie & Lee 2005), 6,919 transactions of 2,357 customers (the same ids and rows as in the master).

Transactions on the same day are one purchase (the BTYD convention); 80 transactions are $0.

The world (semi-synthetic: a real data set has no ground truth)
---------------------------------------------------------------
The decision is taken at the end of the data (1998-06-30) about the next ``horizon_days``.

- TRUTH: the purchase model (BG/NBD, or MBG/NBD with ``model="mbgnbd"``) and the Gamma-Gamma spend
  model fitted on the WHOLE period, evaluated on each customer's whole history:
  ``churn_prob_true = 1 - P(alive at decision + horizon)`` and ``clv_true`` = expected discounted
  spend in the horizon (formulas in :mod:`simcore.btyd`).
- ESTIMATES: the same models fitted on the CALIBRATION period only (transactions up to and including
  ``calibration_end``; a fraction f of the period means first day + floor(f x days), so 0.5 is
  1997-09-30, the paper's 39/39-week split). With ``estimate_data="calibration"`` (the default) the
  team's scores are that model's forecast, made at ``calibration_end`` from the calibration-period
  history, of the SAME window (decision, decision + horizon]: a stale scoring run, the usual state of
  a CRM between model refreshes. A customer whose first purchase is after ``calibration_end`` has no
  calibration history: she is scored as the calibration model scores any new customer on her first
  day (x = t_x = T = 0, the population's mean spend), over the window from then. With
  ``estimate_data="current"`` the calibration parameters are applied to the whole history instead.

Why "calibration" is the default (measured on cdnow, BG/NBD, horizon 365 days, 10% a year; run
``python -m benchmarks.bench_cdnow`` to reproduce; "value" is churn x CLV, the ranking an optimizer
uses; top-10% overlap: the share of the estimated top decile of value in the true top decile;
captured: the true value of the estimated top decile over that of the true top decile)::

                  corr churn  corr CLV  corr value  mean est/true churn, CLV  top-10% overlap  captured
    current          0.994     0.999      0.992          1.19, 0.89                0.93          0.99
    calibration      0.834     0.807      0.844          1.28, 0.74                0.69          0.87

With the current history the estimates rank customers almost exactly like the truth (same history,
nearly the same parameters: 23,570 customers pin them down), so there is next to no optimizer's
curse, only a level bias. The stale scores miss what customers did in the last 39 weeks, so the
curse comes from real behaviour, not injected noise. ``calibration_end`` sets how stale: corr of
value 0.54 / 0.73 / 0.84 / 0.86 / 0.98 and captured 0.68 / 0.77 / 0.87 / 0.94 / 0.99 for
0.2 / 0.3 / 0.5 / 0.7 / 0.9 (a sweep axis). Calibrations of a few weeks give degenerate fits
(cdnow_sample to 1997-02-28: a, b ~ 1e-6) with poor but valid estimates; a fit that does not
converge (the sample's Gamma-Gamma to 1997-05-17) raises ConfigError naming the penalizer to raise.

BG/NBD or MBG/NBD. In the BG/NBD a customer can only drop out after a REPEAT purchase, so the 51% of
CDNOW customers who never came back are alive with certainty and churn only through their slow
future purchases: their true churn is 0.03 on average (repeat buyers: 0.50), and churn rises with
the purchase rate. The MBG/NBD lets them drop out after the first purchase (mean churn 0.73 for
one-time buyers, 0.64 overall), which reads more like retention data. BG/NBD is the default (the
issue asks for it and it is the published model); the MBG/NBD is one config value away.

Other columns, all from the history a team has at the decision date (the whole period):
``annual_revenue`` = total spend / years since the first purchase (+1 day);
``purchase_frequency`` = purchase days / the same years; ``tenure_months`` = T in months;
``engagement`` = 100 x t_x / T, where the last purchase sits in the customer's life (0 for one-time
buyers, 100 for a purchase on the decision day); ``upsell_propensity`` = 0 (CDNOW has no signal
for it). ``segment``: ``segment_by="frequency"`` gives one_time (x = 0), occasional (1-3 repeat
purchase days) and frequent (4 or more); ``"cohort"`` gives the first-purchase month (1997-01..03).
Ids are the file's, as strings with their leading zeros, after ``id_prefix``.

Determinism and cost: the fits are maximum likelihood (scipy BFGS), no random state; ``build`` does
not use its ``rng`` and the same config gives a bit-identical table. Fits and worlds are cached per
process (``functools.lru_cache``), since a sweep rebuilds the world in every cell. Measured on this
machine (2 shared cores), cdnow: load 0.05 s, RFM summary 0.03-0.07 s, BG/NBD fit 0.26-0.29 s,
Gamma-Gamma fit 0.07 s (each fit includes lifetimes' Hessian); the forecasts of truth and estimates
1.4 s (53 weekly steps x 23,570 customers of 2F1); a first build in a fresh process 2.1-2.7 s, a
cached one 0.02-0.03 s, another calibration_end 1.5 s (the whole-period fit is shared).

Why lifetimes (0.11.3, its last release, 2020): it fits in well under a second, works with numpy
2.4, pandas 3.1 and scipy 1.17, and pulls in only autograd and dill. Its data loaders import
``pkg_resources`` (we read the files ourselves) and its import sets a pandas option and a warnings
filter process-wide (:mod:`simcore.btyd` undoes both, the only shim). ``pymc-marketing``, the
maintained successor, installs on Python 3.11 only up to 0.19.2 (1.x needs Python >= 3.12) and
brings pymc, pytensor, numba and two dozen more packages; measured here on the same data, its import
took 3.6 s and its BG/NBD MAP fit 33 s the first time (pytensor compiles) and 2.3 s the second,
Gamma-Gamma 9.3 s / 1.3 s, for the same parameters to 2-3 digits (MAP under its default priors).
A sweep worker is a fresh process, so that compile cost would be paid per worker. The models are
closed-form and the fit is a 4-parameter MLE; the small, frozen library is the better trade, and if
it ever breaks, the likelihood is 30 lines of scipy.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
import pandas as pd

from simcore.btyd import MODELS, BTYDFit, fit_btyd, forecast
from simcore.checks import check_choice, check_scalar, check_share, prefix_errors
from simcore.errors import ConfigError
from simcore.population import COLUMNS, Population, derive_tiers

ESTIMATE_DATA = ("calibration", "current")
SEGMENT_RULES = ("frequency", "cohort")
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class TransactionData:
    """A whitespace-separated transaction log shipped inside an installed package.

    columns: the file's columns in order; must include customer_id, date (YYYYMMDD) and spend (dollars).
    first_day / last_day: the observation period, ISO dates (last_day is the decision date).
    """

    package: str
    path: str
    columns: tuple[str, ...]
    header: bool
    first_day: str
    last_day: str

    @property
    def days(self) -> int:
        return (dt.date.fromisoformat(self.last_day) - dt.date.fromisoformat(self.first_day)).days


DATASETS = {
    "cdnow": TransactionData("lifetimes", "datasets/CDNOW_master.txt", ("customer_id", "date", "cds", "spend"),
                             True, "1997-01-01", "1998-06-30"),
    "cdnow_sample": TransactionData("lifetimes", "datasets/CDNOW_sample.txt",
                                    ("customer_id", "sample_id", "date", "cds", "spend"), False,
                                    "1997-01-01", "1998-06-30"),
}


def load_transactions(dataset: str) -> pd.DataFrame:
    """The transaction log: customer_id (str), date (datetime64), spend (dollars), one row per line."""
    return _load(dataset).copy()


@functools.lru_cache(maxsize=None)
def _load(dataset: str) -> pd.DataFrame:
    spec = DATASETS[check_choice(dataset, "dataset", DATASETS)]
    try:
        resource = files(spec.package).joinpath(*spec.path.split("/"))
    except ModuleNotFoundError:
        raise ConfigError(f"dataset = {dataset!r}: ships in the {spec.package!r} package; pip install "
                          f"{spec.package}") from None
    with resource.open("rb") as fh:
        raw = pd.read_csv(fh, sep=" ", skipinitialspace=True, header=None, skiprows=int(spec.header),
                          names=list(spec.columns), dtype={"customer_id": str, "date": str})
    tx = pd.DataFrame({
        "customer_id": raw["customer_id"].astype(str),
        "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "spend": raw["spend"].astype(float),
    })
    if not np.isfinite(tx["spend"]).all() or (tx["spend"] < 0).any():
        raise ConfigError(f"dataset = {dataset!r}: {spec.path} has a negative or missing spend")
    return tx


def rfm_summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """One row per customer with a purchase on or before ``end``, indexed by customer_id (sorted).

    frequency: repeat purchase days; recency, T: weeks from the first purchase to the last one and to
    ``end``; monetary_value: mean spend of the repeat purchase days, dollars (0 when frequency = 0);
    total_spend: dollars, all purchases; first_purchase: date.
    """
    days = (tx[tx["date"] <= end].groupby(["customer_id", "date"], sort=True)["spend"].sum().reset_index())
    by = days.groupby("customer_id", sort=True)
    first, last = by["date"].min(), by["date"].max()
    total = by["spend"].sum()
    repeat = by.size() - 1
    first_spend = days.drop_duplicates("customer_id").set_index("customer_id")["spend"]
    return pd.DataFrame({
        "frequency": repeat.astype(float),
        "recency": (last - first).dt.days / 7.0,
        "T": (end - first).dt.days / 7.0,
        "monetary_value": ((total - first_spend) / repeat.where(repeat > 0)).fillna(0.0),
        "total_spend": total,
        "first_purchase": first,
    })


@functools.lru_cache(maxsize=16)
def fit_period(dataset: str, end: pd.Timestamp, model: str, purchase_penalizer: float,
               spend_penalizer: float) -> BTYDFit:
    """The BTYD fit on the transactions up to and including ``end`` (cached; do not mutate it)."""
    day = end.date().isoformat()
    where = (f"dataset = {dataset!r} (the whole-period fit, to {day})" if day == DATASETS[dataset].last_day
             else f"calibration_end = {day} (dataset {dataset!r})")
    return fit_btyd(rfm_summary(_load(dataset), end), model, purchase_penalizer, spend_penalizer, where)


@dataclass(frozen=True)
class TransactionPopulation:
    """A population from a transaction log: BTYD truth on the whole period, estimates from a model
    fitted on the calibration period (the module docstring has the design and its numbers).

    dataset: a key of :data:`DATASETS`. model: ``bgnbd`` or ``mbgnbd``.
    calibration_end: a fraction of the observation period in (0, 1) or an ISO date inside it.
    estimate_data: ``calibration`` (stale scores) or ``current`` (calibration parameters, current history).
    horizon_days: the churn and CLV window after the decision date, days.
    discount_rate: annual, for CLV. purchase_penalizer / spend_penalizer: lifetimes' L2 ``penalizer_coef``.
    segment_by: ``frequency`` or ``cohort``. id_prefix: put before the file's ids.
    """

    dataset: str = "cdnow"
    model: str = "bgnbd"
    calibration_end: float | str = 0.5
    estimate_data: str = "calibration"
    horizon_days: int = 365
    discount_rate: float = 0.10
    purchase_penalizer: float = 0.0
    spend_penalizer: float = 0.0
    segment_by: str = "frequency"
    high_risk_threshold: float = 0.5
    id_prefix: str = ""

    def __post_init__(self) -> None:
        with prefix_errors("scenario.population"):
            self._validate()

    def _validate(self) -> None:
        check_choice(self.dataset, "dataset", DATASETS)
        check_choice(self.model, "model", MODELS)
        check_choice(self.estimate_data, "estimate_data", ESTIMATE_DATA)
        check_choice(self.segment_by, "segment_by", SEGMENT_RULES)
        check_scalar(self.horizon_days, "horizon_days", int, 1)
        check_scalar(self.discount_rate, "discount_rate", float, 0.0)
        check_scalar(self.purchase_penalizer, "purchase_penalizer", float, 0.0)
        check_scalar(self.spend_penalizer, "spend_penalizer", float, 0.0)
        check_share(self.high_risk_threshold, "high_risk_threshold")
        if not isinstance(self.id_prefix, str):
            raise ConfigError(f"id_prefix = {self.id_prefix!r}: must be a string (may be empty)")
        self.calibration_date  # noqa: B018 - validates calibration_end

    @property
    def decision_date(self) -> pd.Timestamp:
        """The end of the data: the day the targeting decision is taken."""
        return pd.Timestamp(DATASETS[self.dataset].last_day)

    @property
    def calibration_date(self) -> pd.Timestamp:
        """The last day of the calibration period (its transactions are included)."""
        spec = DATASETS[self.dataset]
        first, last = pd.Timestamp(spec.first_day), self.decision_date
        value = self.calibration_end
        if isinstance(value, (dt.date, pd.Timestamp)):
            value = value.isoformat()[:10]
        if isinstance(value, str):
            try:
                day = pd.Timestamp(dt.date.fromisoformat(value))
            except ValueError:
                raise ConfigError(f"calibration_end = {value!r}: must be an ISO date (YYYY-MM-DD) or a "
                                  "fraction of the period in (0, 1)") from None
            if not first < day < last:
                raise ConfigError(f"calibration_end = {value!r}: must be after {spec.first_day} and before "
                                  f"{spec.last_day} (the period of dataset {self.dataset!r})")
            return day
        check_scalar(value, "calibration_end", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)
        return first + pd.Timedelta(days=int(np.floor(value * spec.days)))

    def fits(self) -> tuple[BTYDFit, BTYDFit]:
        """(truth fit on the whole period, estimate fit on the calibration period), cached."""
        pens = (float(self.purchase_penalizer), float(self.spend_penalizer))
        return (fit_period(self.dataset, self.decision_date, self.model, *pens),
                fit_period(self.dataset, self.calibration_date, self.model, *pens))

    def build(self, rng: np.random.Generator | None = None) -> Population:
        """The population table (``rng`` is not used: the world is a deterministic function of the config)."""
        with prefix_errors("scenario.population"):
            table = _world(self.dataset, self.model, self.calibration_date, self.estimate_data,
                           int(self.horizon_days), float(self.discount_rate), float(self.purchase_penalizer),
                           float(self.spend_penalizer)).copy()
        if self.segment_by == "frequency":
            table["segment"] = np.select([table["frequency"] >= 4, table["frequency"] >= 1],
                                         ["frequent", "occasional"], "one_time")
        else:
            table["segment"] = table["first_purchase"].dt.strftime("%Y-%m")
        table["customer_id"] = self.id_prefix + table["customer_id"]
        table = derive_tiers(table, self.high_risk_threshold)
        return Population(table[list(COLUMNS)].reset_index(drop=True), self.high_risk_threshold)


@functools.lru_cache(maxsize=32)
def _world(dataset: str, model: str, calibration: pd.Timestamp, estimate_data: str, horizon_days: int,
           discount_rate: float, purchase_penalizer: float, spend_penalizer: float) -> pd.DataFrame:
    """Truth, estimates and observed columns, one row per customer (cached; callers copy it)."""
    spec = DATASETS[dataset]
    decision = pd.Timestamp(spec.last_day)
    tx = _load(dataset)
    full = rfm_summary(tx, decision)
    truth_fit = fit_period(dataset, decision, model, purchase_penalizer, spend_penalizer)
    est_fit = fit_period(dataset, calibration, model, purchase_penalizer, spend_penalizer)
    horizon = horizon_days / 7.0
    churn_true, clv_true = forecast(truth_fit, full, 0.0, horizon, discount_rate)
    if estimate_data == "current":
        churn_est, clv_est = forecast(est_fit, full, 0.0, horizon, discount_rate)
    else:
        known = rfm_summary(tx, calibration).reindex(full.index)
        new = known["frequency"].isna().to_numpy()  # first purchase after calibration_end
        known.loc[new, ["frequency", "recency", "T", "monetary_value"]] = 0.0
        snapshot = np.where(new, full["first_purchase"], calibration)
        offset = (decision - pd.DatetimeIndex(snapshot)).days.to_numpy() / 7.0
        churn_est, clv_est = forecast(est_fit, known, offset, horizon, discount_rate)
    for name, values in (("churn_prob_est", churn_est), ("clv_est", clv_est)):
        if not np.isfinite(values).all():
            raise ConfigError(f"calibration_end = {calibration.date().isoformat()}: the {model} fit on that period "
                              f"gives no finite {name} for {int((~np.isfinite(values)).sum())} customers; "
                              "choose a later calibration_end")
    years = ((decision - full["first_purchase"]).dt.days.to_numpy() + 1) / 365.25
    T = full["T"].to_numpy()
    return pd.DataFrame({
        "customer_id": full.index.to_numpy(dtype=str),
        "churn_prob_true": churn_true, "clv_true": clv_true,
        "churn_prob_est": churn_est, "clv_est": clv_est,
        "engagement": np.where(T > 0, 100.0 * full["recency"].to_numpy() / np.where(T > 0, T, 1.0), 100.0),
        "purchase_frequency": (full["frequency"].to_numpy() + 1) / years,
        "annual_revenue": full["total_spend"].to_numpy() / years,
        "tenure_months": T * 7.0 / DAYS_PER_MONTH,
        "upsell_propensity": 0.0,
        "frequency": full["frequency"].to_numpy(),
        "first_purchase": full["first_purchase"].to_numpy(),
    })
