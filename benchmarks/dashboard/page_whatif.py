"""The What-if page: one world, one strategy, edited limits, re-solved live.

Answers: what plan and KPIs (under the truth and under the estimates) does this strategy give with
this budget, these capacities, floors, saturation cap and fairness floor; which constraints bind and
what one more unit of each is worth (shadow prices); and when the limits cannot all hold, why (the
infeasibility diagnosis) and what would fix it. The plan downloads as CSV, the question as a config
that ``python -m benchmarks.run`` reruns to the same plan.

The solve runs on the dashboard's worker thread (:mod:`benchmarks.dashboard.jobs`); the page polls it
with a progress bar and stays usable meanwhile.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from benchmarks.dashboard import charts, jobs
from benchmarks.dashboard.discover import RunEntry
from benchmarks.dashboard.whatif import Knob, Outcome, WhatIf, World, binding_rows, kpi_rows, world, worlds
from benchmarks.report.load import RunData

JOB = "whatif:job"
GROUP_TITLES = {"budget": "Budget", "capacities": "Capacities", "floors": "Floors", "saturation": "Saturation",
                "fairness": "Fairness", "other": "Other limits"}


def render(entries: Sequence[RunEntry], load: Callable[[RunEntry], RunData | None]) -> None:  # noqa: ARG001 - one page signature
    st.title("What if")
    names = worlds()
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    name = c1.selectbox("World", names, index=names.index("playlistpro") if "playlistpro" in names else 0,
                        key="whatif:world")
    spec = world(name)
    strategy = c2.selectbox("Strategy", spec.strategies, key=f"whatif:{name}:strategy",
                            index=spec.strategies.index("milp") if "milp" in spec.strategies else 0)
    seed = int(c3.number_input("Seed", min_value=0, value=spec.seed, step=1, key=f"whatif:{name}:seed"))
    default_limit = spec.time_limit(strategy)
    limit = None
    if default_limit is not None:
        limit = float(c4.number_input("Time limit (s)", min_value=0.01, value=default_limit, step=10.0,
                                      key=f"whatif:{name}:{strategy}:time_limit"))
    request = WhatIf(name, strategy, seed, *_limits(spec),
                     time_limit=limit if limit is not None and limit != default_limit else None,
                     extra=_extra(st.text_input("More overrides (Hydra syntax, as on the command line)", "",
                                                key=f"whatif:{name}:extra",
                                                placeholder="scenario.population.n_customers=1000")))
    if st.button("Re-solve", type="primary", key="whatif:solve"):
        st.session_state[JOB] = jobs.submit(request, limit)
    job = st.session_state.get(JOB)
    if job is None:
        st.info("Set the limits and press Re-solve.")
    elif not job.future.done():
        _progress(job)
    else:
        _finished(job, request)


def _extra(text: str) -> tuple[str, ...]:
    """Overrides typed as on a shell's command line (quotes allowed: 'strategies=[milp,random]')."""
    try:
        return tuple(shlex.split(text))
    except ValueError as err:  # an unbalanced quote: solve without them and say so
        st.warning(f"More overrides ignored: {err}")
        return ()


def _limits(spec: World) -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]]:
    """The knob widgets, grouped, and the constraints switched off: (edits that differ from the world, dropped keys)."""
    keys = list(dict.fromkeys(k.key for k in spec.knobs))
    dropped = st.multiselect("Constraints switched off", keys, key=f"whatif:{spec.name}:dropped")
    edits = []
    groups = [g for g in GROUP_TITLES if spec.group(g)]
    for column, group in zip(st.columns(len(groups)) if groups else [], groups):
        with column:
            st.markdown(f"**{GROUP_TITLES[group]}**")
            for knob in spec.group(group):
                value = _widget(spec.name, knob, disabled=knob.key in dropped)
                if value != knob.default:
                    edits.append((knob.path, value))
    return tuple(edits), tuple(dropped)


def _widget(world_name: str, knob: Knob, disabled: bool) -> float:
    if knob.integer:
        return int(st.number_input(knob.label, min_value=0, value=int(knob.default), step=10 if knob.default >= 50 else 1,
                                   key=f"whatif:{world_name}:{knob.path}", disabled=disabled))
    return float(st.number_input(knob.label, min_value=0.0, max_value=1.0 if knob.share else None,
                                 value=float(knob.default), step=0.05 if knob.share else 10.0,
                                 key=f"whatif:{world_name}:{knob.path}", disabled=disabled))


@st.fragment(run_every=0.3)
def _progress(job: jobs.Job) -> None:
    """Polls the worker thread; when the solve is done the whole page reruns to show it."""
    if job.future.done():
        st.rerun()
    limit = f" of the {job.time_limit:g} s time limit" if job.time_limit else ""
    st.progress(job.progress(), text=f"Solving {job.request.world} with {job.request.strategy}: "
                                     f"{job.elapsed:.1f} s{limit}")


def _finished(job: jobs.Job, request: WhatIf) -> None:
    error = job.future.exception()
    if error is not None:
        from benchmarks.run import composition_error  # here: it imports MLflow, which the page needs only now

        message = composition_error(error) if type(error).__module__.startswith("hydra") else str(error)
        st.error(f"error: {message}")
        return
    outcome = job.future.result()
    if outcome.request != request:
        st.info("The inputs changed since this solve: press Re-solve to see them. Below: the last solve.")
    show(outcome)


def show(outcome: Outcome) -> None:
    """A solved what-if: status, KPIs, binding rows with shadow prices, the plan and the downloads."""
    req = outcome.request
    st.subheader(f"{req.strategy} on {req.world}: {outcome.status} ({outcome.seconds:.1f} s)")
    if not outcome.ok:
        st.error(outcome.reason)
        _downloads(outcome)
        return
    if outcome.time_limited:
        st.warning(f"Stopped at the time limit: this is the best plan found (the incumbent), proven gap "
                   f"{outcome.value('gap'):.2e}. Raise the time limit to close it.")
    cols = st.columns(5)
    for column, (label, value) in zip(cols, _headline(outcome)):
        column.metric(label, value)
    st.table(kpi_rows(outcome).set_index("KPI").map(lambda v: "" if pd.isna(v) else f"{v:,.2f}"))
    st.markdown("**Constraints** (binding first; shadow price: estimated net value of one more unit of the "
                "limit, $ per unit)")
    st.dataframe(binding_rows(outcome), hide_index=True, key="whatif:binding")
    st.markdown(f"**The plan**: {len(outcome.plan):,} customers get an action")
    if len(outcome.plan):
        st.plotly_chart(charts.plan_mix(outcome.plan), key="whatif:mix")
    st.dataframe(outcome.plan, hide_index=True, key="whatif:plan")
    _downloads(outcome)


def _headline(outcome: Outcome) -> list[tuple[str, str]]:
    money = lambda v: f"${v:,.2f}"  # noqa: E731 - a formatter used five times below
    return [("net value (true)", money(outcome.value("net_value"))),
            ("net value (estimate)", money(outcome.value("est_net_value"))),
            ("ROI (true)", f"{outcome.value('roi'):,.2f}"),
            ("customers treated", f"{int(outcome.value('treated')):,}"),
            ("spend", money(outcome.value("spend")))]


def _downloads(outcome: Outcome) -> None:
    req = outcome.request
    c1, c2 = st.columns(2)
    if outcome.plan is not None:
        c1.download_button("Download the plan (CSV)", outcome.plan.to_csv(index=False),
                           file_name=f"plan_{req.world}_{req.strategy}.csv", mime="text/csv", key="whatif:plan_csv")
    c2.download_button("Download the config (YAML)", outcome.config_yaml, file_name="whatif.yaml",
                       mime="application/x-yaml", key="whatif:config_yaml")
    st.markdown("Rerun it with `python -m benchmarks.run`: save the YAML as `whatif.yaml`, then "
                "`python -m benchmarks.run --config-path <its folder> --config-name whatif`, or:")
    st.code(req.command(), language="bash")
    with st.expander("The config (YAML)"):
        st.code(outcome.config_yaml, language="yaml")
