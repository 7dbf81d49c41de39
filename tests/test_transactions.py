"""The CDNOW world: the shipped files, the RFM summary and fits against the published numbers, the
closed-form churn, the population table, the calibration split and invalid configs.

Fits and worlds are cached per process, so the whole file costs a few fits (about 5 s)."""
from __future__ import annotations

import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simcore.build import build
from hydra.utils import instantiate
from scipy import integrate
from scipy.special import betaln

from simcore.btyd import churn_probability, expected_purchases_by_quadrature, forecast, survival
from simcore.errors import ConfigError
from simcore.population import COLUMNS, PROBABILITY_COLUMNS, TRUTH_COLUMNS
from simcore import transactions
from simcore.transactions import TransactionPopulation, fit_period, load_transactions, rfm_summary

ROOT = Path(__file__).resolve().parents[1]
CAL = pd.Timestamp("1997-09-30")  # the paper's calibration end, calibration_end = 0.5


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return TransactionPopulation().build().table


def test_loader_reads_the_shipped_master_file():
    tx = load_transactions("cdnow")
    assert len(tx) == 69_659
    assert tx["customer_id"].nunique() == 23_570
    assert (tx["date"].min(), tx["date"].max()) == (pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30"))
    # a first-quarter-1997 cohort: nobody is new after March
    assert tx.groupby("customer_id")["date"].min().max() == pd.Timestamp("1997-03-25")
    assert tx["customer_id"].iloc[0] == "00001" and tx["customer_id"].str.len().eq(5).all()
    assert (tx["spend"] >= 0).all() and (tx["spend"] == 0).sum() == 80
    assert tx["spend"].mean() == pytest.approx(35.89, abs=0.01)


def test_sample_is_the_published_tenth_of_the_master():
    sample, master = load_transactions("cdnow_sample"), load_transactions("cdnow")
    assert (len(sample), sample["customer_id"].nunique()) == (6_919, 2_357)
    same = master[master["customer_id"].isin(sample["customer_id"])]
    key = ["customer_id", "date", "spend"]
    pd.testing.assert_frame_equal(same.sort_values(key).reset_index(drop=True)[key],
                                  sample.sort_values(key).reset_index(drop=True)[key])


def test_rfm_summary_matches_the_published_calibration_summary():
    ours = rfm_summary(load_transactions("cdnow_sample"), CAL)
    published = pd.read_csv(files("lifetimes") / "datasets" / "cdnow_customers_summary_with_transactions.csv")
    # the published file numbers customers 1..2357 in the sample's order; ours is by master id
    sample = load_transactions("cdnow_sample")
    order = sample["customer_id"].drop_duplicates().to_numpy()
    ours = ours.loc[order]
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), published["x"].to_numpy())
    for col, theirs in (("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")):
        np.testing.assert_allclose(ours[col].to_numpy(), published[theirs].to_numpy(), atol=0.0051)


def test_calibration_fit_on_the_sample_gives_the_published_parameters():
    fit = fit_period("cdnow_sample", CAL, "bgnbd", 0.0, 0.0)
    p = fit.params
    # Fader, Hardie & Lee (2005), BG/NBD; Fader & Hardie note 025, Gamma-Gamma
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert p[name] == pytest.approx(value, rel=2e-3), name


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize("x, T, s", [(0.0, 70.0, 52.0), (5.0, 60.0, 52.0), (20.0, 75.0, 100.0),
                                     (0.0, 0.0, 60.0), (3.0, 10.0, 400.0)])
def test_survival_closed_form_equals_the_integral_over_p(model, x, T, s):
    fit = fit_period("cdnow_sample", CAL, model, 0.0, 0.0)
    r, alpha, a, b = (fit.params[k] for k in ("r", "alpha", "a", "b"))
    b_post = b + x + (model == "mbgnbd")

    def integrand(p: float) -> float:  # E_lambda[exp(-lambda p s)] x Beta(a, b') density
        return ((alpha + T) / (alpha + T + p * s)) ** (r + x) * np.exp(
            (a - 1) * np.log(p) + (b_post - 1) * np.log1p(-p) - betaln(a, b_post))

    expected = integrate.quad(integrand, 0.0, 1.0)[0]
    assert survival(fit, np.array([x]), np.array([T]), s)[0] == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_expected_purchases_quadrature_equals_lifetimes_closed_form(model):
    fit = fit_period("cdnow_sample", CAL, model, 0.0, 0.0)
    s = rfm_summary(load_transactions("cdnow_sample"), CAL)
    x, t_x, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    tau = np.array([1.0, 13.0, 52.0, 200.0])[:, None] * np.ones(len(x))
    closed = fit.purchases.conditional_expected_number_of_purchases_up_to_time(tau, x, t_x, T)
    np.testing.assert_allclose(expected_purchases_by_quadrature(fit, x, t_x, T, tau), closed, rtol=1e-9)


def test_bgnbd_one_time_buyer_is_alive_now_and_churn_grows_with_the_window():
    fit = fit_period("cdnow_sample", CAL, "bgnbd", 0.0, 0.0)
    zero = np.zeros(1)
    assert churn_probability(fit, zero, zero, np.array([30.0]), 0.0, 0.0)[0] == 0.0
    churn = [churn_probability(fit, zero, zero, np.array([30.0]), 0.0, h)[0] for h in (13, 52, 104)]
    assert 0 < churn[0] < churn[1] < churn[2] < 1


def test_population_columns_are_valid(cdnow):
    assert list(cdnow.columns) == list(COLUMNS)
    assert len(cdnow) == 23_570 and cdnow["customer_id"].is_unique
    assert cdnow["customer_id"].iloc[0] == "00001"
    numbers = cdnow.drop(columns=["customer_id", "segment", "risk_tier", "value_tier"]).to_numpy(float)
    assert np.isfinite(numbers).all() and (numbers >= 0).all()
    for col in PROBABILITY_COLUMNS:
        assert cdnow[col].between(0, 1).all(), col
    assert set(cdnow["segment"]) == {"one_time", "occasional", "frequent"}
    assert (cdnow["segment"] == "one_time").sum() == 12_054
    assert cdnow["engagement"].between(0, 100).all()
    assert (cdnow["upsell_propensity"] == 0).all()
    assert cdnow["tenure_months"].between(15, 18.2).all()  # first purchases in Q1 1997, decision 1998-06-30


def test_truth_and_estimates_differ_but_correlate(cdnow):
    for truth, est in (("churn_prob_true", "churn_prob_est"), ("clv_true", "clv_est")):
        t, e = cdnow[truth].to_numpy(), cdnow[est].to_numpy()
        assert not np.allclose(t, e)
        assert 0.7 < np.corrcoef(t, e)[0, 1] < 0.95, truth
    assert cdnow["churn_prob_true"].mean() == pytest.approx(0.258, abs=0.005)
    assert cdnow["churn_prob_est"].mean() == pytest.approx(0.329, abs=0.005)


def test_current_history_estimates_are_nearly_the_truth():
    t = TransactionPopulation(estimate_data="current").build().table
    assert np.corrcoef(t["clv_true"], t["clv_est"])[0, 1] > 0.99
    assert not np.allclose(t["churn_prob_true"], t["churn_prob_est"])


def test_build_is_deterministic_and_ignores_rng():
    pop = TransactionPopulation(dataset="cdnow_sample", id_prefix="S")
    first = pop.build(np.random.default_rng(1)).table
    fit_period.cache_clear()
    transactions._world.cache_clear()
    again = pop.build(np.random.default_rng(2)).table
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert first["customer_id"].iloc[0] == "S00004" and first["customer_id"].str.fullmatch(r"S\d{5}").all()
    # the cached table is not shared: changing a build leaves the next one intact
    again.loc[0, "clv_true"] = -1.0
    assert pop.build().table.loc[0, "clv_true"] >= 0


def test_calibration_period_excludes_later_transactions():
    tx = load_transactions("cdnow")
    cal = rfm_summary(tx, CAL)
    pd.testing.assert_frame_equal(cal, rfm_summary(tx[tx["date"] <= CAL], CAL))
    full = rfm_summary(tx, pd.Timestamp("1998-06-30"))
    assert (cal["frequency"] <= full.loc[cal.index, "frequency"]).all()
    assert (cal["frequency"] < full.loc[cal.index, "frequency"]).sum() > 4_000
    assert cal["T"].max() == pytest.approx(272 / 7)
    truth, est = TransactionPopulation().fits()
    assert est is fit_period("cdnow", CAL, "bgnbd", 0.0, 0.0)
    assert truth.params["a"] != pytest.approx(est.params["a"], rel=0.1)


def test_customer_first_seen_after_calibration_end_gets_the_new_customer_forecast():
    pop = TransactionPopulation(dataset="cdnow_sample", calibration_end="1997-03-15")
    table = pop.build().table.set_index("customer_id")
    tx = load_transactions("cdnow_sample")
    first = tx.groupby("customer_id")["date"].min()
    new = first[first > pd.Timestamp("1997-03-15")]
    assert len(new) == 272
    _, est_fit = pop.fits()
    zeros = pd.DataFrame(0.0, index=new.index, columns=["frequency", "recency", "T", "monetary_value"])
    offset = (pop.decision_date - new).dt.days.to_numpy() / 7
    churn, clv = forecast(est_fit, zeros, offset, 365 / 7, 0.10)
    np.testing.assert_allclose(table.loc[new.index, "churn_prob_est"], churn, rtol=1e-12)
    np.testing.assert_allclose(table.loc[new.index, "clv_est"], clv, rtol=1e-12)
    # the truth still knows their whole history
    assert table.loc[new.index, "clv_true"].nunique() > 100


def test_cohort_segments_and_mbgnbd():
    t = TransactionPopulation(dataset="cdnow_sample", segment_by="cohort", model="mbgnbd").build().table
    assert set(t["segment"]) == {"1997-01", "1997-02", "1997-03"}
    one_time = load_transactions("cdnow_sample").groupby("customer_id")["date"].nunique().eq(1).to_numpy()
    # the MBG/NBD lets one-time buyers drop out; the BG/NBD does not
    bg = TransactionPopulation(dataset="cdnow_sample").build().table
    assert t["churn_prob_true"][one_time].mean() > 0.5 > 0.1 > bg["churn_prob_true"][one_time].mean()


def test_a_scenario_with_the_cdnow_population_builds_through_instantiate():
    population = instantiate({"_target_": "simcore.transactions.TransactionPopulation",
                              "dataset": "cdnow_sample", "calibration_end": "1997-09-30"})
    assert population.calibration_date == pd.Timestamp(CAL)
    spec = build({"_target_": "simcore.scenario.ScenarioSpec", "name": "cdnow",
                  "population": {"_target_": "simcore.transactions.TransactionPopulation", "dataset": "cdnow_sample",
                                 "calibration_end": "1997-09-30"},
                  "catalog": {"actions": [{"id": "email", "channel": "email", "cost": 0.1, "uplift": 0.03},
                                          {"id": "voucher", "channel": "mail", "cost": 5.0, "uplift": 0.15}]},
                  "constraints": {"budget": {"_target_": "simcore.constraints.Budget", "limit": 500}}}, "scenario")
    scenario = spec.build(np.random.SeedSequence(0))
    assert scenario.population.n == 2_357
    assert not set(TRUTH_COLUMNS) & set(scenario.view.customers.columns)


@pytest.mark.parametrize("field, value, match", [
    ("dataset", "cdnow2", r"scenario\.population\.dataset = 'cdnow2': must be one of cdnow, cdnow_sample"),
    ("model", "pareto", r"scenario\.population\.model = 'pareto': must be one of bgnbd, mbgnbd"),
    ("calibration_end", 0.0, r"scenario\.population\.calibration_end = 0(\.0)?: must be > 0"),
    ("calibration_end", 1.0, r"scenario\.population\.calibration_end = 1(\.0)?: must be < 1"),
    ("calibration_end", "1999-01-01", r"scenario\.population\.calibration_end = '1999-01-01': must be after "
                                      r"1997-01-01 and before 1998-06-30"),
    ("calibration_end", "Sept 1997", r"scenario\.population\.calibration_end = 'Sept 1997': must be an ISO date"),
    ("calibration_end", True, r"scenario\.population\.calibration_end = True: must be a number"),
    ("estimate_data", "future", r"scenario\.population\.estimate_data = 'future': must be one of calibration"),
    ("horizon_days", 0, r"scenario\.population\.horizon_days = 0: must be >= 1"),
    ("horizon_days", 365.5, r"scenario\.population\.horizon_days = 365\.5: must be an integer"),
    ("discount_rate", -0.1, r"scenario\.population\.discount_rate = -0\.1: must be >= 0"),
    ("purchase_penalizer", -1.0, r"scenario\.population\.purchase_penalizer = -1(\.0)?: must be >= 0"),
    ("spend_penalizer", float("nan"), r"scenario\.population\.spend_penalizer = nan: must be a finite number"),
    ("segment_by", "region", r"scenario\.population\.segment_by = 'region': must be one of frequency, cohort"),
    ("high_risk_threshold", 1.5, r"scenario\.population\.high_risk_threshold = 1\.5: must be <= 1"),
    ("id_prefix", 7, r"scenario\.population\.id_prefix = 7: must be a string"),
])
def test_invalid_config_names_the_field(field, value, match):
    with pytest.raises(ConfigError, match=match):
        TransactionPopulation(**{field: value})


def test_a_calibration_period_too_short_to_fit_says_so():
    with pytest.raises(ConfigError, match=r"scenario\.population\.calibration_end = 1997-01-03 \(dataset 'cdnow_sample'\): only \d+ "
                                          r"repeat buyers"):
        TransactionPopulation(dataset="cdnow_sample", calibration_end="1997-01-03").build()


def test_lifetimes_changes_no_global_state():
    """lifetimes sets a pandas option and a FutureWarning filter at import and a filter in every fit;
    simcore.btyd undoes them (a fresh interpreter, since this one has imported it already)."""
    code = ("import warnings, pandas as pd; import simcore.btyd; from simcore.transactions import fit_period; "
            "assert not [f for f in warnings.filters if f[2] is FutureWarning]; before = list(warnings.filters); "
            "fit_period('cdnow_sample', pd.Timestamp('1997-09-30'), 'bgnbd', 0.0, 0.0); "
            "assert warnings.filters == before")
    subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], check=True, cwd=ROOT)
