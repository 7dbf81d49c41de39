"""What the property tests draw (tests/test_properties.py): Hydra override lists for the main job,
customer tables for scenario=from_file, and edits to an exported scenario, each with the verdict its
author knows: RUN (every value valid), ERROR (at least one invalid) or EITHER (the draw cannot tell,
e.g. a bad parameter of a strategy that is not selected, or a number so large a sum may overflow).

Valid values are drawn more often than invalid ones, so a good share of draws really runs.
"""
from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from omegaconf import OmegaConf

from benchmarks.config import compose
from simcore.build import build
from simcore.errors import ConfigError

RUN, ERROR, EITHER = "run", "error", "either"
FAST = ("do_nothing", "treat_everyone", "random", "frequency_only", "clv_top_n", "milp")
CHANNELS = ("email", "in_app", "push", "sms", "call", "mail", "sales")


@dataclass(frozen=True)
class World:
    """What the tests need to know about a scenario preset to tell a valid override from an invalid one,
    read from the preset itself (others edit conf/).

    constraints: key -> (field, value kind, row family) for the kinds whose one number the draws set; a
    row family appears once per scenario (two MaxContacts, two SaturationCaps or two Budgets conflict).
    families: every constraint's row family. min_customers: the fewest customers that give every
    declared segment a member (fewer is an error)."""

    name: str
    actions: tuple[str, ...]
    none_action: int | None
    inert: tuple[bool, ...]  # per action: no cost and no effect (it may become channel 'none')
    segments: tuple[tuple[str, float], ...]
    constraints: dict[str, tuple[str, str, str]]
    families: dict[str, str]
    min_customers: int


KINDS = {"Budget": ("limit", "money", "budget"), "MaxContacts": ("limit", "count", "max_contacts"),
         "SaturationCap": ("max_share", "share", "saturation"), "FairnessFloor": ("min_share", "share", "fairness"),
         "CoverageFloor": ("min_share", "share", None), "ChannelCapacity": ("limit", "count", "capacity")}


def world(name: str) -> World:
    cfg = compose("tracking=off", f"scenario={name}").scenario
    actions = cfg.catalog.actions
    constraints, families = {}, {}
    for key, node in cfg.constraints.items():
        field, kind, family = KINDS.get(node._target_.rsplit(".", 1)[1], (None, None, None))
        if family == "capacity":
            family = f"capacity[{'+'.join(node.channels)}]"
        families[key] = family or key
        if field is not None:
            constraints[key] = (field, kind, families[key])
    population = OmegaConf.to_container(cfg.population)
    min_customers = next(n for n in range(1, 1000) if _builds({**population, "n_customers": n}))
    none = next((i for i, a in enumerate(actions) if a.channel == "none"), None)
    inert = tuple(not (a.cost or a.revenue_share or a.uplift or a.revenue_gain) for a in actions)
    segments = tuple((s.name, s.share) for s in cfg.population.segments)
    return World(name, tuple(a.id for a in actions), none, inert, segments, constraints, families, min_customers)


def _builds(population: dict) -> bool:
    try:
        build(population, "scenario.population")
        return True
    except ConfigError:
        return False


@functools.cache
def worlds() -> tuple[World, ...]:
    return world("playlistpro"), world("nba_engine")


def fmt(x: float | int) -> str:
    return repr(float(x)) if isinstance(x, float) else str(x)


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy[tuple[object, bool]]:
    """(value, is valid): valid 23 times in 25 (a draw sets about ten fields, and a good share
    of draws must be valid throughout to check the runs); shrinks towards valid."""
    return st.integers(0, 24).flatmap(lambda k: valid.map(lambda v: (v, True)) if k < 23
                                      else invalid.map(lambda v: (v, False)))


BAD = st.sampled_from(["nan", "inf", "-inf", "abc", "'nan'", "null", "true", "''", "[1,2]", "{a:1}"])
VALUES = {
    "money": mostly(st.one_of(st.sampled_from([0, 1, 150, 1e6, 1e300]), st.floats(0, 1e5)).map(fmt),
                    st.one_of(BAD, st.sampled_from(["-1", "-0.5", "-1e300"]))),
    "count": mostly(st.one_of(st.integers(0, 300), st.just(10**18)).map(fmt),
                    st.one_of(BAD, st.sampled_from(["-1", "1.5", "2.0"]))),
    "share": mostly(st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 1)).map(fmt),
                    st.one_of(BAD, st.sampled_from(["-0.1", "1.5", "1.0000001"]))),
    "time_limit": mostly(st.sampled_from([1e-9, 0.001, 1.0, 60.0, 1e9]).map(fmt), st.one_of(BAD, st.just("0"))),
    "positive": mostly(st.floats(0.1, 3).map(fmt), st.one_of(BAD, st.sampled_from(["0", "-1"]))),
    "noise": mostly(st.floats(0, 3).map(fmt), st.one_of(BAD, st.sampled_from(["-0.5", "-1e-9"]))),
    "open_share": mostly(st.floats(0.01, 0.99).map(fmt), st.one_of(BAD, st.sampled_from(["0", "1", "1.5"]))),
    "name": mostly(st.sampled_from(["w_1", "My-World"]), st.sampled_from(["../x", "'a b'", "''", "[a]"])),
    # optional fields: null is valid
    "opt_count": mostly(st.one_of(st.integers(0, 300).map(fmt), st.just("null")),
                        st.one_of(BAD.filter(lambda v: v != "null"), st.sampled_from(["-1", "1.5"]))),
    "opt_share": mostly(st.one_of(st.floats(0, 1).map(fmt), st.just("null")),
                        st.one_of(BAD.filter(lambda v: v != "null"), st.sampled_from(["-0.1", "1.5"]))),
}
STRATEGY_FIELDS = (("clv_top_n", "cap_quantile", "share"), ("clv_top_n", "top_n", "opt_count"),
                   ("milp", "time_limit", "time_limit"), ("milp", "mip_rel_gap", "share"))


@dataclass(frozen=True)
class Mut:
    """One override and its verdict. ``family``: the row family of a constraint it adds."""

    text: str
    verdict: str
    family: str | None = None


def field_mut(key: str, kind: str, when_bad: str = ERROR) -> st.SearchStrategy[Mut]:
    return VALUES[kind].map(lambda v: Mut(f"{key}={v[0]}", RUN if v[1] else when_bad))


@st.composite
def catalog_mut(draw, w: World) -> Mut:
    i, _ = draw(mostly(st.integers(0, len(w.actions) - 1), st.just(len(w.actions))))  # no such item
    field = draw(st.sampled_from(["cost", "uplift", "revenue_share", "revenue_gain", "gain_propensity", "channel",
                                  "segments"]))
    key = f"scenario.catalog.actions.{i}.{field}"
    none = i == w.none_action
    if i == len(w.actions):
        return Mut(f"{key}=1", ERROR)
    if field == "channel":  # an action with a cost or an effect cannot become 'none'
        text, ok = draw(mostly(st.sampled_from(CHANNELS + (("none",) if w.inert[i] else ())),
                               st.sampled_from(["fax", "5", "''"] + ([] if w.inert[i] else ["none"]))))
    elif field == "segments":  # [] is nobody: legal, if odd
        text = draw(st.sampled_from([f"[{w.segments[0][0]}]", f"[{','.join(s for s, _ in w.segments)}]", "null",
                                     "[Nope]", "[]", "5", "['']"]))
        return Mut(f"{key}={text}", RUN if text.startswith(("[" + w.segments[0][0], "null")) else
                   EITHER if text == "[]" else ERROR)
    elif field == "gain_propensity":
        text, ok = draw(VALUES["opt_share"])
    elif none:  # the no-action row must cost and do nothing
        text, ok = draw(mostly(st.just("0"), st.sampled_from(["0.5", "1", "-1", "nan"])))
    else:
        text, ok = draw(VALUES["money" if field in ("cost", "revenue_gain") else "share"])
    return Mut(f"{key}={text}", RUN if ok else ERROR)


@st.composite
def population_mut(draw, w: World) -> Mut:
    kind = draw(st.sampled_from(["churn_mean", "churn_noise", "clv_bias", "high_risk_threshold", "share"]))
    if kind in ("share", "churn_mean"):
        j = draw(st.integers(0, len(w.segments) - 1))
        key = f"scenario.population.segments.{j}.{kind}"
        if kind == "churn_mean":
            return draw(field_mut(key, "open_share"))
        orig = w.segments[j][1]  # shares must still sum to 1: only the same value is valid
        other = st.one_of(st.sampled_from([0.0, 1.0, 0.5, orig + 0.1]).map(fmt), BAD)
        text = draw(mostly(st.just(fmt(orig)), other))[0]
        same = text not in ("nan", "'nan'") and _number(text) is not None and abs(_number(text) - orig) < 1e-9
        return Mut(f"{key}={text}", RUN if same else ERROR)
    key = f"scenario.population.{'estimate_error.' if kind != 'high_risk_threshold' else ''}{kind}"
    return draw(field_mut(key, {"churn_noise": "noise", "clv_bias": "positive"}.get(kind, "share")))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


ADDED_OK = {  # kind -> (body, value kind, row family); %s: a drawn value; {a}: an action id; {s}: a segment
    "max_contacts": ("{_target_:simcore.constraints.MaxContacts,limit:%s}", "count", "max_contacts"),
    "floor_risk": ("{_target_:simcore.constraints.CoverageFloor,risk_tiers:[high],min_share:%s}", "share", None),
    "floor_segment": ("{_target_:simcore.constraints.CoverageFloor,segments:[{s}],min_share:%s}", "share", None),
    "saturation": ("{_target_:simcore.constraints.SaturationCap,max_share:%s}", "share", "saturation"),
    "sms": ("{_target_:simcore.constraints.ChannelCapacity,channels:[sms],limit:%s}", "count", "capacity[sms]"),
    "action_cap": ("{_target_:simcore.constraints.ActionCap,actions:[{a}],limit:%s}", "count", None),
}
ADDED_BAD = [
    "{_target_:builtins.open,file:{tmp}/victim.txt,mode:w}", "{_target_:os.system,command:touch {tmp}/victim.txt}",
    "{_target_:subprocess.Popen,args:[ls]}", "{_target_:simcore.constraints.Nope,limit:1}",
    "{_target_:simcore.catalog.Action,id:x}", "{_target_:simcore.constraints.MaxContacts,limit:5,foo:1}",
    "{_target_:simcore.constraints.MaxContacts}", "5", "{limit:5}", "[1,2]",
    "{_target_:simcore.constraints.CoverageFloor,segments:[Nope],min_share:0.1}",
    "{_target_:simcore.constraints.MaxContacts,limit:5,_args_:[1]}",
    "{_target_:simcore.constraints.Budget,limit:5,a:1}",
]


@st.composite
def added(draw, w: World, k: int) -> Mut:
    key = f"+scenario.constraints.extra{k}"
    if draw(st.integers(0, 9)) < 8:
        kind = draw(st.sampled_from(sorted(ADDED_OK)))
        body, value_kind, family = ADDED_OK[kind]
        value, ok = draw(VALUES[value_kind])
        body = body.replace("{a}", draw(st.sampled_from([a for i, a in enumerate(w.actions) if i != w.none_action])))
        body = body.replace("{s}", max(w.segments, key=lambda s: s[1])[0])  # the largest: never empty
        return Mut(f"{key}={body % value}", RUN if ok else ERROR, family=family if ok else None)
    if draw(st.booleans()):  # a second budget: fine only if the first one was removed
        value, ok = draw(VALUES["money"])
        return Mut(f"{key}={{_target_:simcore.constraints.Budget,limit:{value}}}", RUN if ok else ERROR,
                   family="budget" if ok else None)
    return Mut(f"{key}={draw(st.sampled_from(ADDED_BAD))}", ERROR)


@st.composite
def configs(draw) -> tuple[list[str], str]:
    """(overrides, expected outcome) for the main job on a small world."""
    w = draw(st.sampled_from(worlds()))
    chosen = draw(st.lists(st.sampled_from(FAST), min_size=1, max_size=4, unique=True))
    muts = [Mut(f"scenario={w.name}", RUN), Mut(f"strategies=[{','.join(chosen)}]", RUN)]
    n, ok = draw(mostly(st.integers(w.min_customers, 60).map(fmt),
                        st.sampled_from(["0", "-5", "1.5", "abc", "1000000000000"] +
                                        [str(i) for i in range(1, w.min_customers)])))
    muts.append(Mut(f"scenario.population.n_customers={n}", RUN if ok else ERROR))
    reps, ok = draw(mostly(st.integers(1, 30).map(fmt), st.sampled_from(["0", "-1", "abc", "10000000000000"])))
    muts.append(Mut(f"evaluation.replications={reps}", RUN if ok else ERROR))
    if draw(st.booleans()):
        seed, ok = draw(mostly(st.integers(0, 2**63 - 1).map(fmt), st.sampled_from(
            ["-1", str(2**63), str(2**64), "1.5", "abc", "null", "true"])))
        muts.append(Mut(f"seed={seed}", RUN if ok else ERROR))
    removed = draw(st.lists(st.sampled_from(sorted(w.families)), max_size=2, unique=True))
    muts += [Mut(f"~scenario.constraints.{k}", RUN) for k in removed]
    kept = [k for k in w.families if k not in removed]
    numbers = [k for k in kept if k in w.constraints]
    for key in draw(st.lists(st.sampled_from(numbers), max_size=3, unique=True)) if numbers else []:
        field, kind, _ = w.constraints[key]
        muts.append(draw(field_mut(f"scenario.constraints.{key}.{field}", kind)))
    muts += draw(st.lists(catalog_mut(w), max_size=2, unique_by=lambda m: m.text.split(".")[3]))
    # at most one segment share: two changed shares could sum to 1 again
    muts += draw(st.lists(population_mut(w), max_size=2,
                          unique_by=lambda m: ".share=" in m.text or m.text.split("=")[0]))
    fields = [("scenario.effects.heterogeneity_sd", "noise", ERROR), ("evaluation.level", "open_share", ERROR),
              ("scenario.name", "name", ERROR), ("scenario.population.id_prefix", "name", EITHER)]
    fields += [(f"strategy.{s}.{f}", kind, ERROR if s in chosen else EITHER) for s, f, kind in STRATEGY_FIELDS]
    for key, kind, bad in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
        muts.append(draw(field_mut(key, kind, bad)))
    if draw(st.integers(0, 4)) == 4:  # a limit that stops HiGHS before it proves a bound
        muts.append(Mut("+strategy.milp.highs_options.mip_max_nodes=0", RUN))
    for name in draw(st.lists(st.sampled_from(["clv_top_n", "frequency_only"]), max_size=1)):
        action = draw(st.sampled_from([*w.actions, "nope", "null"]))  # unknown: not_applicable, a run
        muts.append(Mut(f"strategy.{name}.action={action}", RUN))
    muts += [draw(added(w, k)) for k in range(draw(st.integers(0, 2)))]
    if draw(st.integers(0, 5)) == 5:  # a legal but extreme number: overflow must not reach a traceback or an error row
        key = draw(st.sampled_from([
            "scenario.population.segments.0.revenue_median", "scenario.population.segments.0.revenue_sigma",
            "scenario.population.horizon_years", "scenario.population.estimate_error.clv_bias",
            "scenario.population.estimate_error.churn_bias", "scenario.population.estimate_error.churn_noise",
            "scenario.population.segments.0.frequency_mean", "scenario.catalog.actions.1.revenue_gain",
            f"scenario.catalog.actions.{len(w.actions) - 1}.cost", "scenario.effects.heterogeneity_sd"]))
        if key not in {m.text.split("=")[0] for m in muts}:  # the last override of a key wins
            muts.append(Mut(f"{key}={draw(st.sampled_from(['1e15', '1e20', '1e100', '1e300', '1.7e308', '5e-324']))}",
                            EITHER))
    if draw(st.integers(0, 4)) == 4:  # one draw in five (hypothesis favours 0): a mistake of another kind
        muts.append(draw(st.sampled_from([
            Mut("+scenario.population.foo=1", ERROR), Mut("+evaluation.foo=1", ERROR),
            Mut("+strategy.milp.foo=1", ERROR if "milp" in chosen else RUN),
            Mut(f"+scenario.constraints.{kept[0]}.foo=1" if kept else "+scenario.catalog.foo=1", ERROR),
            Mut("scenario.constraints.nope.limit=1", ERROR), Mut("strategies=[]", ERROR),
            Mut("strategies=[nope]", ERROR), Mut("plugins=[tests.plugins]", RUN), Mut("plugins=abc", ERROR),
            Mut("plugins=['a b']", ERROR), Mut("scenario=nope", ERROR), Mut("scenario.catalog.actions=[]", ERROR),
            Mut("scenario.population.segments=[]", ERROR), Mut("scenario.constraints=5", ERROR),
            Mut("+seeed=5", ERROR),  # an unknown top-level key (it was ignored: the default seed ran)
        ])))
    families = [w.families[k] for k in kept] + [m.family for m in muts if m.family]
    verdicts = {m.verdict for m in muts}
    expected = (ERROR if ERROR in verdicts or len(families) != len(set(families))
                else EITHER if EITHER in verdicts else RUN)
    return [m.text for m in muts], expected




# customer files for scenario=from_file ------------------------------------------------------

OURS = ("customer_id", "segment", "churn_prob_est", "clv_est", "annual_revenue", "purchase_frequency")
IDS = st.one_of(st.from_regex(r"0{0,3}[0-9]{1,5}", fullmatch=True), st.sampled_from(["NA", "null", "nan", "None"]),
                st.text(alphabet="abXY_-09 ", min_size=1, max_size=8).filter(str.strip))
GOOD = {"churn_prob_est": st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)),
        **{c: st.one_of(st.sampled_from([0.0, 1e12, 1e15]), st.floats(0, 1e9))
           for c in ("clv_est", "annual_revenue", "purchase_frequency")}}
HUGE = ("1e+300", "1.7e+308")  # valid numbers whose sums may overflow: a run or a one-line error
BAD_CELL = {"customer_id": ["", "  ", "<duplicate>"], "segment": ["", "  "],
            **{c: ["", "NaN", "abc", "-5", "inf", "1e400"] for c in GOOD}}
BAD_CELL["churn_prob_est"] += ["1.5"]


@dataclass(frozen=True)
class Table:
    """A drawn customer file. file: header -> cells as text (numeric: the headers of number columns);
    mapping: our column -> the user's header where they differ (scenario.population.columns); given:
    what each of our columns must receive; expected: RUN, ERROR or EITHER."""

    file: dict[str, list[str]]
    numeric: frozenset[str]
    mapping: dict[str, str]
    given: dict[str, list[str]]
    expected: str


@st.composite
def customer_tables(draw) -> Table:
    cols = [c for c in OURS if draw(st.integers(0, 9)) < (9 if c in ("customer_id", "clv_est") else 5)]
    n = draw(st.integers(0, 19).flatmap(lambda k: st.just(0) if k == 0 else st.integers(1, 8)))
    cells = {"customer_id": draw(st.lists(IDS, min_size=n, max_size=n, unique=True)),
             "segment": draw(st.lists(st.sampled_from(["Gold", "Silver", "basic tier", "NA"]), min_size=n, max_size=n))}
    for c in GOOD:
        cells[c] = [fmt(v) for v in draw(st.lists(GOOD[c], min_size=n, max_size=n))]
    if n and draw(st.integers(0, 9)) == 0:
        cells[draw(st.sampled_from(["clv_est", "annual_revenue"]))][draw(st.integers(0, n - 1))] = draw(
            st.sampled_from(HUGE))
    for _ in range(draw(st.integers(0, 9).flatmap(lambda k: st.just(0) if k < 6 else st.integers(1, 2)))):
        if n and cols:  # a bad cell
            c, r = draw(st.sampled_from(cols)), draw(st.integers(0, n - 1))
            bad = draw(st.sampled_from(BAD_CELL[c]))
            cells[c][r] = cells[c][(r + 1) % n] if bad == "<duplicate>" else bad
    names = {c: c if draw(st.booleans()) else f"X{draw(st.text(alphabet='ab yz_-09', max_size=6))}{i}"
             for i, c in enumerate(cols)}
    shared = [c for c in ("clv_est", "annual_revenue", "purchase_frequency") if c in cols]
    if len(shared) > 1 and draw(st.integers(0, 4)) == 0:  # two of ours read from one file column
        names[shared[1]], cells[shared[1]] = names[shared[0]], cells[shared[0]]
    file = {names[c]: cells[c] for c in cols}
    shadowed = [c for c in cols if names[c] != c and c not in file]
    if shadowed and draw(st.integers(0, 4)) == 0:  # a column named like one of ours that is mapped elsewhere
        file[draw(st.sampled_from(shadowed))] = ["junk"] * n
    given = {c: cells[c] for c in cols}
    return Table(file, frozenset(names[c] for c in cols if c in GOOD), {c: names[c] for c in cols if names[c] != c},
                 given, table_verdict(given))


def table_verdict(given: dict[str, list[str]]) -> str:
    """RUN when every cell is valid (ids and segments non-empty, ids unique, numbers finite, >= 0,
    probabilities <= 1) and the required columns are there; EITHER when a valid number is so large
    that a sum may overflow; else ERROR."""
    ids = given.get("customer_id", [])
    if not ids or not {"clv_est", "annual_revenue"} & set(given) or len(set(ids)) < len(ids):
        return ERROR
    if any(not v.strip() for c in ("customer_id", "segment") for v in given.get(c, [])):
        return ERROR
    numbers = {c: [_number(v) for v in given[c]] for c in GOOD if c in given}
    if any(x is None or not math.isfinite(x) or x < 0 or (c == "churn_prob_est" and x > 1)
           for c, xs in numbers.items() for x in xs):
        return ERROR
    return EITHER if any(x > 1e200 for xs in numbers.values() for x in xs) else RUN


def write_csv(path: Path, table: Table, extra: str | None = None) -> None:
    """``extra``: a field added to every row but not to the header."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(list(table.file))
        out.writerows([*row, extra] if extra is not None else row for row in zip(*table.file.values()))


def write_parquet(path: Path, table: Table) -> None:
    """Numbers as a float column when every cell is one, else text; empty cells are missing values."""
    frame = {}
    for header, values in table.file.items():
        numbers = [_number(v) for v in values]
        frame[header] = (pd.Series(numbers, dtype=float) if header in table.numeric and None not in numbers
                         else pd.Series([v if v != "" else None for v in values], dtype=object))
    pd.DataFrame(frame).to_parquet(path, index=False)


# edits to an exported scenario's eligibility.parquet ------------------------------------------

# the edits that keep a scenario valid ("same": the value as it was; "drift": within the loader's
# tolerance; the true effect anywhere in [0, 1]), and those that do not
KEEP = {"effect_true": st.one_of(st.just("same"), st.sampled_from([0.0, 1.0]), st.floats(0, 1)),
        "cost": st.sampled_from(["same", "drift"]), "est_value": st.sampled_from(["same", "drift"]),
        "customer_id": st.just("same"), "action_id": st.just("same")}
BREAK = {**{c: st.sampled_from([math.nan, math.inf, -math.inf, -5.0, -1e-12, 1.0000001, 1.5, 1e6, 1e300, "abc", ""])
            for c in ("effect_true", "cost", "est_value")},
         "customer_id": st.one_of(st.sampled_from(["nobody", ""]), st.integers(0, 29).map(lambda i: f"C{i:07d}")),
         "action_id": st.sampled_from(["nobody", "playlist_digest", ""])}


@st.composite
def pair_edits(draw):
    """(column, row, new value, column rewritten as text, manifest removed); about half the edits keep
    the scenario valid, and the manifest is removed from three scenarios in four (else any edit is
    named by its checksum)."""
    column = draw(st.sampled_from(["effect_true", "cost", "est_value", "customer_id", "action_id"]))
    value = draw(st.booleans().flatmap(lambda keep: KEEP[column] if not keep else BREAK[column]))
    return column, draw(st.integers(0, 10**6)), value, draw(st.booleans()), draw(st.integers(0, 3)) < 3


def edit_pairs(directory: Path, column: str, row: int, value, as_text: bool) -> tuple[object, object]:
    """Set one cell of eligibility.parquet; returns (old, new) as stored."""
    pairs = pd.read_parquet(directory / "eligibility.parquet")
    row %= len(pairs)
    old = pairs.loc[row, column]
    numeric = column not in ("customer_id", "action_id")
    if numeric and (as_text or isinstance(value, str) and value not in ("same", "drift")):
        pairs[column] = pairs[column].map(lambda x: repr(float(x)))  # the same numbers, as text
        as_text = True
    new = old if value == "same" else old * (1 + 1e-12) if value == "drift" else value
    pairs[column] = pairs[column].astype(object)
    pairs.loc[row, column] = repr(float(new)) if numeric and as_text and not isinstance(new, str) else new
    pairs.to_parquet(directory / "eligibility.parquet", index=False)
    return old, new


def still_valid(column: str, old, new) -> bool:
    """What the loader must accept: the true effect anywhere in [0, 1]; every other column as it was
    (the derived columns within the loader's documented tolerance)."""
    number = None if isinstance(new, str) else float(new)
    if column == "effect_true":
        return number is not None and 0.0 <= number <= 1.0
    if column in ("cost", "est_value"):
        return number is not None and bool(np.isclose(number, old, rtol=1e-9, atol=1e-9))
    return new == old
