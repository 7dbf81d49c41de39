"""Customer populations: the hidden truth and the estimates a strategy may see.

A :class:`Population` is one table, one row per customer. Columns (units):

=====================  =========================================================
customer_id            str, unique
segment                str (e.g. Premium, Free)
churn_prob_true        probability of churning in the horizon without action, TRUE
clv_true               dollars, value kept if the customer stays, TRUE
churn_prob_est         the churn model's prediction a strategy sees
clv_est                the CLV model's prediction a strategy sees
engagement             score 0..100
purchase_frequency     purchases per year
annual_revenue         dollars per year
tenure_months          months
upsell_propensity      probability an upsell offer succeeds (observed)
risk_tier              high / low, from churn_prob_est > high_risk_threshold
value_tier             high / mid / low, from clv_est tertiles
=====================  =========================================================
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from simcore.checks import check_instance, check_mapping, check_name, check_scalar, check_share, number, show, tuple_of
from simcore.errors import ConfigError

TRUTH_COLUMNS = ("churn_prob_true", "clv_true")
NUMERIC_COLUMNS = (
    "churn_prob_true", "clv_true", "churn_prob_est", "clv_est", "engagement",
    "purchase_frequency", "annual_revenue", "tenure_months", "upsell_propensity",
)
PROBABILITY_COLUMNS = ("churn_prob_true", "churn_prob_est", "upsell_propensity")
COLUMNS = ("customer_id", "segment", *NUMERIC_COLUMNS, "risk_tier", "value_tier")


@dataclass(frozen=True)
class Population:
    """A validated customer table (see the module docstring for columns)."""

    table: pd.DataFrame
    high_risk_threshold: float = 0.5

    def __post_init__(self) -> None:
        validate_table(self.table, "scenario.population")

    @property
    def n(self) -> int:
        return len(self.table)

    def segments(self) -> tuple[str, ...]:
        return tuple(sorted(self.table["segment"].unique()))


def validate_table(table: pd.DataFrame, where: str, columns: Mapping[str, str] | None = None) -> None:
    """Check required columns, unique non-empty ids, numbers finite and in range. ``columns`` maps our
    column names to the user's, so a message names the column the user actually wrote."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"{where}: missing column(s) {', '.join(missing)}")
    if len(table) == 0:
        raise ConfigError(f"{where}: the population has no customers (0 rows)")
    ids = table["customer_id"]
    empty = ids.isna() | (ids.astype(str).str.strip() == "")
    if empty.any():
        raise ConfigError(f"{where}.customer_id = {show(ids[empty].iloc[0])} (row {int(np.flatnonzero(empty)[0])}): "
                          "every customer needs a non-empty id")
    validate_numbers(table, where, NUMERIC_COLUMNS, columns)
    if not ids.is_unique:  # (0.1 s at a million; finding which one is duplicated costs more, only on error)
        dup = table.loc[table["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise ConfigError(f"{where}.customer_id = {dup!r}: duplicated; customer ids must be unique")


def validate_numbers(table: pd.DataFrame, where: str, columns: Iterable[str],
                     names: Mapping[str, str] | None = None, signed: Iterable[str] = ()) -> None:
    """Each given column numeric, finite (no NaN) and >= 0 (any sign for those in ``signed``, e.g. a net
    value); probabilities in [0, 1]."""
    names, signed = names or {}, set(signed)
    for col in columns:
        label = f"{col} (column {names[col]!r})" if col in names else col
        raw = table[col]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ConfigError(
                f"{where}.{label} = {show(raw.iloc[i])} (customer {show(table['customer_id'].iloc[i])}): "
                "must be a finite number (NaN and text are not allowed)")
        if col in signed:
            continue
        hi = 1.0 if col in PROBABILITY_COLUMNS else None
        outside = (values < 0.0) | ((values > hi) if hi is not None else False)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            allowed = "in [0, 1]" if hi is not None else ">= 0"
            raise ConfigError(
                f"{where}.{label} = {number(float(values[i]))} (customer {show(table['customer_id'].iloc[i])}): "
                f"must be {allowed}")


def derive_tiers(table: pd.DataFrame, high_risk_threshold: float) -> pd.DataFrame:
    """Risk tier from the ESTIMATED churn probability; value tier from ESTIMATED CLV tertiles. The caller's
    table is left as it is: the columns are set on a shallow copy (a deep one, with its block consolidation, was
    ~0.9 s of a million-customer build)."""
    table = table.copy(deep=False)
    table["risk_tier"] = labels(("low", "high"), table["churn_prob_est"].to_numpy(dtype=float) > high_risk_threshold)
    clv = table["clv_est"].to_numpy(dtype=float)
    if len(clv):
        q1, q2 = np.quantile(clv, [1 / 3, 2 / 3])
        table["value_tier"] = labels(("low", "mid", "high"), (clv > q1).astype(np.int8) + (clv > q2))
    else:
        table["value_tier"] = pd.Series(dtype=str)
    return table


def labels(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The text column names[codes[i]] (codes: bool or integer). Gathered by pyarrow: converting a
    numpy array of strings to a text column costs ~0.1 s per million customers, this ~0.01 s."""
    return pd.array(pa.array(list(names), type=pa.large_string()).take(pa.array(np.asarray(codes, np.int64))),
                    dtype="str")


# Upper bounds that keep every drawn number finite: revenue <= 1e12 x e^(10 z), CLV <= that x 1000 years,
# estimates <= that x 1e6 x e^(10 z). Past them a float overflowed and the error named a customer's
# computed CLV ("clv_true = inf (customer 'C0000000')") instead of the parameter to lower.
MAX_REVENUE, MAX_SIGMA, MAX_FREQUENCY, MAX_TENURE_MONTHS, MAX_HORIZON_YEARS = 1e12, 10.0, 1e6, 1e4, 1e3
MAX_CLV_BIAS = 1e6


@dataclass(frozen=True)
class EstimateError:
    """How the models a strategy sees differ from the truth.

    churn: logit(p_est) = logit(p_true) + churn_bias + churn_noise * z
    clv:   clv_est = clv_true * clv_bias * exp(clv_noise * z - clv_noise**2 / 2)  (mean-preserving noise)
    Zero noise and neutral bias (0 and 1) give estimates equal to the truth.
    """

    churn_noise: float = 0.0
    churn_bias: float = 0.0
    clv_noise: float = 0.0
    clv_bias: float = 1.0

    def __post_init__(self) -> None:
        check_scalar(self.churn_noise, "churn_noise", float, 0.0)
        check_scalar(self.churn_bias, "churn_bias", float)
        # clv_noise is the sd of log CLV: at 10 an estimate is off by a factor of e^10 (22,000) at one sd;
        # past ~1e154 clv_noise**2 overflows (OverflowError), and past ~40 every estimate underflows to 0
        check_scalar(self.clv_noise, "clv_noise", float, 0.0, 10.0)
        check_scalar(self.clv_bias, "clv_bias", float, 0.0, MAX_CLV_BIAS, min_inclusive=False)

    def apply(self, churn_true: np.ndarray, clv_true: np.ndarray, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        z_churn = rng.standard_normal(len(churn_true))
        z_clv = rng.standard_normal(len(clv_true))
        if self.churn_noise == 0.0 and self.churn_bias == 0.0:
            churn_est = churn_true.copy()
        else:
            p = np.clip(churn_true, 1e-6, 1 - 1e-6)
            logit = np.log(p / (1 - p)) + self.churn_bias + self.churn_noise * z_churn
            churn_est = 1.0 / (1.0 + np.exp(-logit))
        clv_est = clv_true * self.clv_bias * np.exp(self.clv_noise * z_clv - self.clv_noise**2 / 2)
        return churn_est, clv_est


@dataclass(frozen=True)
class SegmentSpec:
    """One synthetic segment. Churn ~ Beta(churn_mean, churn_concentration).

    Revenue, frequency and CLV (dollars, purchases per year):
    - by default annual revenue ~ lognormal(revenue_median, revenue_sigma), purchase frequency ~
      Gamma(shape 2, mean frequency_mean), independent of each other, and CLV = revenue x (1 - churn) x
      horizon_years (the population's);
    - with ``frequency_sigma`` the frequency is lognormal (median frequency_mean): heavy-tailed, like
      invoice counts in transaction data;
    - with ``spend_median`` revenue = frequency x spend per purchase, spend ~ lognormal(spend_median,
      spend_sigma): frequent buyers are the valuable ones, as in transaction data (seed 001);
    - with ``clv_median`` CLV ~ lognormal(clv_median, clv_sigma), drawn directly and independent of churn
      (a study that states its CLV range rather than how it was computed, seed 002).
    """

    name: str
    share: float
    churn_mean: float = 0.3
    churn_concentration: float = 8.0
    revenue_median: float = 100.0
    revenue_sigma: float = 0.5
    engagement_mean: float = 50.0
    frequency_mean: float = 12.0
    frequency_sigma: float | None = None
    spend_median: float | None = None
    spend_sigma: float = 0.5
    clv_median: float | None = None
    clv_sigma: float = 0.5
    tenure_mean_months: float = 24.0
    upsell_mean: float = 0.1

    def __post_init__(self) -> None:
        check_name(self.name, "name")
        check_share(self.share, "share")
        check_scalar(self.churn_mean, "churn_mean", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)
        check_scalar(self.churn_concentration, "churn_concentration", float, 0.0, min_inclusive=False)
        check_scalar(self.revenue_median, "revenue_median", float, 0.0, MAX_REVENUE)
        check_scalar(self.revenue_sigma, "revenue_sigma", float, 0.0, MAX_SIGMA)
        check_scalar(self.engagement_mean, "engagement_mean", float, 0.0, 100.0)
        check_scalar(self.frequency_mean, "frequency_mean", float, 0.0, MAX_FREQUENCY)
        for name in ("frequency_sigma", "spend_median", "clv_median"):
            if getattr(self, name) is not None:
                check_scalar(getattr(self, name), name, float, 0.0)
        check_scalar(self.spend_sigma, "spend_sigma", float, 0.0)
        check_scalar(self.clv_sigma, "clv_sigma", float, 0.0)
        check_scalar(self.tenure_mean_months, "tenure_mean_months", float, 0.0, MAX_TENURE_MONTHS)
        check_scalar(self.upsell_mean, "upsell_mean", float, 0.0, 1.0, min_inclusive=False, max_inclusive=False)


def _beta(rng: np.random.Generator, mean: float, concentration: float, n: int) -> np.ndarray:
    return rng.beta(mean * concentration, (1 - mean) * concentration, n)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


@dataclass(frozen=True)
class SyntheticPopulation:
    """Generate N customers segment by segment (see SegmentSpec for how revenue, frequency and the
    true CLV are drawn). clv_bounds: [low, high] dollars the true CLV is clipped into (a study's stated
    range, both the true CLV and the CLV model's estimate of it), None = unbounded."""

    n_customers: int
    segments: tuple[SegmentSpec, ...]
    horizon_years: float = 3.0
    high_risk_threshold: float = 0.5
    estimate_error: EstimateError = field(default_factory=EstimateError)
    id_prefix: str = "C"
    clv_bounds: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        check_scalar(self.n_customers, "n_customers", int, 1)
        object.__setattr__(self, "segments", tuple_of(self.segments, "segments", SegmentSpec))
        if not self.segments:
            raise ConfigError("segments = []: at least one segment is required")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ConfigError(f"segments = {names}: segment names must be unique")
        total = sum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(f"segments[*].share sum = {total:g}: shares must sum to 1")
        check_scalar(self.horizon_years, "horizon_years", float, 0.0, MAX_HORIZON_YEARS, min_inclusive=False)
        check_share(self.high_risk_threshold, "high_risk_threshold")
        check_instance(self.estimate_error, "estimate_error", EstimateError)
        if self.clv_bounds is not None:
            bounds = tuple(self.clv_bounds)
            if len(bounds) != 2:
                raise ConfigError(f"clv_bounds = {list(bounds)}: must be [low, high]")
            for i, b in enumerate(bounds):
                check_scalar(b, f"clv_bounds[{i}]", float, 0.0)
            if bounds[0] > bounds[1]:
                raise ConfigError(f"clv_bounds = {list(bounds)}: low must be <= high")
            object.__setattr__(self, "clv_bounds", (float(bounds[0]), float(bounds[1])))
        # the split is deterministic: a declared segment left empty is the size's fault, so say so here
        # (later, a catalog rule or a floor naming it would fail as if the segment name were a typo)
        counts = _allocate(self.n_customers, np.array([s.share for s in self.segments]))
        empty = [s for s, n in zip(self.segments, counts) if s.share > 0 and n == 0]
        if empty:
            raise ConfigError(f"n_customers = {self.n_customers}: too few for the segments; {empty[0].name!r} "
                              f"(share {empty[0].share:g}) gets no customer; use more customers")

    def build(self, rng: np.random.Generator) -> Population:
        counts = _allocate(self.n_customers, np.array([s.share for s in self.segments]))
        table = pd.concat([self._segment(spec, n, rng) for spec, n in zip(self.segments, counts)],
                          ignore_index=True)
        table.insert(0, "segment", labels([s.name for s in self.segments], np.repeat(np.arange(len(counts)), counts)))
        # f"{prefix}{i:07d}", vectorized (a Python f-string per customer is 0.3 s at a million)
        table.insert(0, "customer_id", self.id_prefix + pd.Series(np.arange(len(table))).astype(str).str.zfill(7))
        churn_est, clv_est = self.estimate_error.apply(
            table["churn_prob_true"].to_numpy(), table["clv_true"].to_numpy(), rng)
        table["churn_prob_est"] = churn_est
        table["clv_est"] = clv_est if self.clv_bounds is None else np.clip(clv_est, *self.clv_bounds)
        table = derive_tiers(table, self.high_risk_threshold)
        return Population(table[list(COLUMNS)], self.high_risk_threshold)

    def _segment(self, spec: SegmentSpec, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """One segment's customers (``build`` sets the segment column, for every segment at once). The
        draws of the default model keep their order (so its worlds are the same for a seed whatever
        options other segments use)."""
        churn = _beta(rng, spec.churn_mean, spec.churn_concentration, n)
        spend = _lognormal(rng, spec.spend_median, spec.spend_sigma, n) if spec.spend_median is not None else None
        revenue = None if spend is not None else _lognormal(rng, spec.revenue_median, spec.revenue_sigma, n)
        engagement = 100 * _beta(rng, spec.engagement_mean / 100 if 0 < spec.engagement_mean < 100 else 0.5, 6.0, n)
        frequency = (_lognormal(rng, spec.frequency_mean, spec.frequency_sigma, n) if spec.frequency_sigma is not None
                     else rng.gamma(2.0, spec.frequency_mean / 2.0, n))
        if revenue is None:
            revenue = frequency * spend
        tenure = rng.exponential(spec.tenure_mean_months, n)
        upsell = _beta(rng, spec.upsell_mean, 10.0, n)
        clv = (revenue * (1 - churn) * self.horizon_years if spec.clv_median is None
               else _lognormal(rng, spec.clv_median, spec.clv_sigma, n))
        if self.clv_bounds is not None:
            clv = np.clip(clv, *self.clv_bounds)
        return pd.DataFrame({"churn_prob_true": churn, "clv_true": clv, "engagement": engagement,
                             "purchase_frequency": frequency, "annual_revenue": revenue, "tenure_months": tenure,
                             "upsell_propensity": upsell})


def _allocate(n: int, shares: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding so segment counts add up to exactly n."""
    raw = shares * n
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return counts


@dataclass(frozen=True)
class FilePopulation:
    """Load customers from CSV or parquet.

    ``columns`` maps our column names to the file's (``{customer_id: "Customer ID", clv_est: expected_clv}``).
    Defaults for what is missing:

    - churn_prob_est: ``default_churn_prob``; clv_est: annual_revenue x (1 - churn_prob_est) x horizon_years,
      or, without revenue, an error; annual_revenue: clv_est / horizon_years;
    - churn_prob_true / clv_true: equal to the estimates (with real data the truth is unknown, so
      "true" KPIs equal the model's belief; provide the columns when you have a holdout truth);
    - segment: ``default_segment``; engagement, purchase_frequency, tenure_months,
      upsell_propensity: 0 (strategies that need them say they do not apply).
    """

    path: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    default_churn_prob: float = 0.2
    default_segment: str = "all"
    horizon_years: float = 3.0
    high_risk_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.path is None:
            raise ConfigError("path = None: give your customer table, e.g. scenario.population.path=customers.csv")
        check_name(self.path, "path")
        object.__setattr__(self, "columns", check_mapping(self.columns, "columns"))
        for ours, theirs in self.columns.items():
            if ours not in COLUMNS[:-2]:
                raise ConfigError(f"columns.{ours}: unknown column; allowed: {', '.join(COLUMNS[:-2])}")
            if not isinstance(theirs, str) or not theirs:  # Hydra reads clv_est:123 as a number
                raise ConfigError(f"columns.{ours} = {theirs!r}: must be the file's column name as text "
                                  "(quote a numeric name: '123')")
        check_share(self.default_churn_prob, "default_churn_prob")
        check_name(self.default_segment, "default_segment")
        check_scalar(self.horizon_years, "horizon_years", float, 0.0, MAX_HORIZON_YEARS, min_inclusive=False)
        check_share(self.high_risk_threshold, "high_risk_threshold")

    def build(self, rng: np.random.Generator | None = None) -> Population:
        ids = (self.columns.get("customer_id", "customer_id"), self.columns.get("segment", "segment"))
        raw = read_table(Path(self.path), "scenario.population.path", text=ids)
        absent = [theirs for theirs in dict.fromkeys(self.columns.values()) if theirs not in raw.columns]
        if absent:
            raise ConfigError(f"scenario.population.columns: column(s) {', '.join(map(repr, absent))} not in "
                              f"{self.path}; the file has {', '.join(map(repr, raw.columns))}")
        # each of our columns from the file's column mapped to it, else from the one of the same name; not a
        # rename: several of ours may share a file column, and a mapping wins over a same-named column
        source = {ours: self.columns.get(ours, ours) for ours in COLUMNS[:-2]}
        table = pd.DataFrame({ours: raw[theirs] for ours, theirs in source.items() if theirs in raw.columns})
        if "customer_id" not in table.columns:
            raise ConfigError(f"scenario.population.path = {self.path!r}: no customer_id column; map yours with "
                              "+scenario.population.columns.customer_id=<name>")
        where = "scenario.population"
        if len(table) == 0:
            raise ConfigError(f"{where}.path = {self.path!r}: the file has no customers (0 rows)")
        # validate what the user gave, under the user's column names, before deriving anything from it
        validate_numbers(table, where, [c for c in NUMERIC_COLUMNS if c in table.columns], self.columns)
        empty = table["customer_id"].isna() | (table["customer_id"].astype(str).str.strip() == "")
        if empty.any():
            raise ConfigError(f"{where}.customer_id: row {int(np.flatnonzero(empty)[0])} of {self.path!r} has "
                              "an empty customer id; every customer needs one")
        table["customer_id"] = table["customer_id"].astype(str)
        fill = _fill_defaults(table, self)
        return Population(derive_tiers(fill, self.high_risk_threshold)[list(COLUMNS)], self.high_risk_threshold)


def _fill_defaults(t: pd.DataFrame, spec: FilePopulation) -> pd.DataFrame:
    for col in NUMERIC_COLUMNS:
        if col in t:
            t[col] = pd.to_numeric(t[col]).astype(float)
    if "churn_prob_est" not in t:
        t["churn_prob_est"] = t["churn_prob_true"] if "churn_prob_true" in t else spec.default_churn_prob
    if "clv_est" not in t:
        if "annual_revenue" in t:
            t["clv_est"] = t["annual_revenue"] * (1 - t["churn_prob_est"]) * spec.horizon_years
        elif "clv_true" in t:
            t["clv_est"] = t["clv_true"]
        else:
            raise ConfigError(f"scenario.population.path = {spec.path!r}: needs clv_est or annual_revenue "
                              "(map yours with +scenario.population.columns.clv_est=<name>)")
    if "annual_revenue" not in t:
        t["annual_revenue"] = t["clv_est"] / spec.horizon_years
    for truth, est in (("churn_prob_true", "churn_prob_est"), ("clv_true", "clv_est")):
        if truth not in t:
            t[truth] = t[est]
    if "segment" not in t:
        t["segment"] = spec.default_segment
    empty = t["segment"].isna() | (t["segment"].astype(str).str.strip() == "")
    if empty.any():
        raise ConfigError(f"scenario.population.segment: row {int(np.flatnonzero(empty)[0])} of "
                          f"{spec.path!r} has an empty segment; every customer needs one (or drop the column "
                          "to use default_segment)")
    t["segment"] = t["segment"].astype(str)
    for col in ("engagement", "purchase_frequency", "tenure_months", "upsell_propensity"):
        if col not in t:
            t[col] = 0.0
    for col in NUMERIC_COLUMNS:
        t[col] = pd.to_numeric(t[col], errors="coerce").astype(float)
    return t


def read_table(path: Path, name: str, text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV or parquet file; any read failure becomes a ConfigError naming the file. ``text``:
    columns read as text whatever they look like (ids: 00123 stays 00123, never the number 123)."""
    if not path.exists():
        raise ConfigError(f"{name} = {str(path)!r}: file not found")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ConfigError(f"{name} = {str(path)!r}: must end in .csv or .parquet")
    try:
        if suffix == ".csv":
            # index_col=False: when the rows have one field more than the header, pandas would take the
            # first column as the index and read every value one column left; with it, a trailing comma
            # is dropped and a stray value is a ParserWarning, which we make an error
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False, na_values=[""],
                                   index_col=False)
        table = pd.read_parquet(path)
        for column in (c for c in text if c in table.columns):
            table[column] = table[column].astype(str).where(table[column].notna(), None)
        return table
    except pd.errors.ParserWarning:
        raise ConfigError(f"{name} = {str(path)!r}: a row has more fields than the header has names; every row "
                          "needs one field per column") from None
    except Exception as err:  # noqa: BLE001 - empty, corrupt or unreadable: the user's file, not our bug
        raise ConfigError(f"{name} = {str(path)!r}: cannot be read as {suffix[1:]} "
                          f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'empty'})") from None


