"""The report's method-independent HPO metrics: Wilson intervals, Kaplan-Meier with censoring, Holm, regret against the table's
best mean, top rows reached, ranks and tests, one grid run, snapping distances; and that they reach a report's files."""
import json, math
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from bnnstudy import report as R

ROOT = Path(__file__).resolve().parents[1]

# ---- Wilson ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k,n,level,low,high", [
    (5, 10, 0.95, 0.2365931, 0.7634069),    # published Wilson intervals (statsmodels' proportion_confint(k, n, method="wilson"))
    (0, 10, 0.95, 0.0, 0.2775328),
    (10, 10, 0.95, 0.7224672, 1.0),
    (81, 263, 0.95, 0.2552885, 0.3662096),  # (p + z²/2n ± z√(p(1−p)/n + z²/4n²))/(1 + z²/n), z = 1.959964
    (1, 20, 0.90, 0.0112348, 0.1960072),
])
def test_wilson_interval_known_values(k, n, level, low, high):
    lo, hi = R.wilson_interval(k, n, level)
    assert lo == pytest.approx(low, abs=1e-6) and hi == pytest.approx(high, abs=1e-6)

def test_wilson_interval_is_not_the_wald_interval_and_checks_its_input():
    lo, hi = R.wilson_interval(0, 20)
    assert lo == 0.0 and hi > 0.1   # Wald gives [0, 0] at 0/20
    assert all(math.isnan(x) for x in R.wilson_interval(0, 0))
    with pytest.raises(ValueError, match="k must lie"): R.wilson_interval(3, 2)

def _wilson_by_hand(k, n, z=1.959963984540054):
    p = k/n
    c, h = (p + z*z/(2*n))/(1 + z*z/n), z/(1 + z*z/n)*math.sqrt(p*(1 - p)/n + z*z/(4*n*n))
    return c - h, c + h

def test_wilson_interval_matches_the_formula_everywhere():
    for n in (1, 7, 20, 200):
        for k in range(0, n + 1, max(1, n//7)):
            assert R.wilson_interval(k, n) == pytest.approx(tuple(np.clip(_wilson_by_hand(k, n), 0, 1)), abs=1e-12)

# ---- Kaplan-Meier -------------------------------------------------------------------------------------------------------------

def test_kaplan_meier_hand_worked_with_censoring():
    # times 2, 3, 3+, 5, 6, 6+ (+: censored). At 3 the censored run is still at risk; at 6 the event comes first.
    km = R.kaplan_meier([2, 3, 3, 5, 6, 6], [1, 1, 0, 1, 1, 0]).set_index("time")
    assert km.at_risk.tolist() == [6, 6, 5, 3, 2] and km.events.tolist() == [0, 1, 1, 1, 1]
    s = [1, 5/6, 5/6*4/5, 5/6*4/5*2/3, 5/6*4/5*2/3*1/2]
    np.testing.assert_allclose(km.survival, s, rtol=1e-12)
    gw3 = 1/(6*5) + 1/(5*4)   # Greenwood's sum at t = 3
    assert km.se[3.0] == pytest.approx(s[2]*math.sqrt(gw3), rel=1e-12)
    w = 1.959963984540054*math.sqrt(gw3)/abs(math.log(s[2]))   # log-log interval: S^exp(±w)
    assert (km.low[3.0], km.high[3.0]) == pytest.approx((s[2]**math.exp(w), s[2]**math.exp(-w)), rel=1e-9)

def test_kaplan_meier_censored_runs_are_not_events_and_not_dropped():
    # two of four runs reach the target at 1 and 3; two are censored at the budget 10
    km = R.kaplan_meier([1, 3, 10, 10], [1, 1, 0, 0])
    assert km.survival.iloc[-1] == pytest.approx(0.5)          # dropping the misses would give 0, treating them as events 0
    assert km.time.iloc[-1] == 10.0 and km.events.iloc[-1] == 0  # flat to the budget
    assert ((km.low <= km.survival + 1e-12) & (km.survival <= km.high + 1e-12)).all()

def test_kaplan_meier_textbook_6mp():
    km = R.kaplan_meier([6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35],
                        [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(km.survival[1:8], [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482], atol=5e-5)
    np.testing.assert_allclose(km.se[1:8], [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346], atol=5e-5)

# ---- Holm ----------------------------------------------------------------------------------------------------------------------

def test_holm_known_example_is_monotone_step_down():
    np.testing.assert_allclose(R.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    # Bonferroni would give [0.04, 0.04, 0.04]; Holm multiplies by 3, 2, 1 in sorted order
    np.testing.assert_allclose(R.holm([0.01, 0.02, 0.03]), [0.03, 0.04, 0.04], rtol=1e-12)
    np.testing.assert_allclose(R.holm([0.5, 0.9]), [1.0, 1.0])
    out = R.holm([0.2, np.nan, 0.01])
    assert np.isnan(out[1]) and out[0] == pytest.approx(0.2) and out[2] == pytest.approx(0.02)

# ---- regret, top rows, outcomes --------------------------------------------------------------------------------------------

TABLE = pd.DataFrame(dict(value=[0.70, 0.65, 0.80, 0.60, 0.75, 0.72], mean=[0.68, 0.66, 0.74, 0.61, 0.76, 0.70]))

def _run(values, rows, method="bnn", seed=0, dataset="toy", distance=None):
    n = len(values)
    return R._curve_rows("replay", dataset, method, seed, values, [1.0]*n, [0.0]*n, True, rows=rows, distance=distance)

def test_score_column_uses_the_mean_when_the_table_has_one():
    assert R.score_column(TABLE) == "mean" and R.score_column(TABLE[["value"]]) == "value"
    seeded = pd.DataFrame(dict(value=[0.5], value_sd=[0.01], value_seed0=[0.49], value_seed1=[0.5], value_seed2=[0.51], value_seed3=[0.5]))
    assert R.score_label(seeded) == "value (mean of 4 training seeds)"   # bnnstudy.tables' layout
    assert R.score_label(TABLE[["value"]]) == "value (one training seed)"
    lv = R.table_levels(TABLE, top_k=2)
    assert (lv["best"], lv["top_k"], lv["top_share"], lv["top_share_rows"]) == (0.76, 0.74, 0.76, 1)
    assert R.table_levels(pd.DataFrame(dict(value=np.arange(250.0))))["top_share_rows"] == 3   # ceil(1 % of 250)

def test_regret_is_against_the_best_mean_at_the_searchs_incumbent():
    rc = R.regret_curves(_run([0.70, 0.60, 0.80, 0.75], [0, 3, 2, 4]), dict(toy=TABLE), top_k=2)
    # incumbent by observed value: row 0, 0, 2, 2 (row 4 is the best mean but observed lower than row 2)
    np.testing.assert_allclose(rc.regret, [0.08, 0.08, 0.02, 0.02], atol=1e-12)
    assert rc.score_column.unique().tolist() == ["mean (mean over training seeds)"]
    assert rc.top_share.tolist() == [False, False, False, True] and rc.top_k.tolist() == [False, False, True, True]
    single = R.regret_curves(_run([0.70, 0.60, 0.80, 0.75], [0, 3, 2, 4]), dict(toy=TABLE[["value"]]))
    np.testing.assert_allclose(single.regret, [0.10, 0.10, 0.0, 0.0], atol=1e-12)   # without a mean: the single score
    assert single.score_column.iloc[0] == "value (one training seed)"

def test_regret_does_not_depend_on_which_other_methods_ran():
    a = _run([0.70, 0.80], [0, 2], method="bnn")
    b = _run([0.75, 0.72], [4, 5], method="tpe")
    alone = R.run_outcomes(R.regret_curves(a, dict(toy=TABLE)))
    both = R.run_outcomes(R.regret_curves(pd.concat([a, b]), dict(toy=TABLE)))
    pd.testing.assert_frame_equal(alone, both[both.method == "bnn"].reset_index(drop=True))

def test_run_outcomes_first_hit_and_misses():
    rc = R.regret_curves(pd.concat([_run([0.70, 0.80, 0.75], [0, 2, 4], seed=0), _run([0.60, 0.65], [3, 1], seed=1)]),
                         dict(toy=TABLE), top_k=2)
    out = R.run_outcomes(rc).set_index("seed")
    assert out.loc[0, "evals_to_top_k"] == 2 and out.loc[0, "evals_to_top_share"] == 3
    assert np.isnan(out.loc[1, "evals_to_top_k"]) and out.loc[1, "trials"] == 2
    assert out.loc[1, "final_regret"] == pytest.approx(0.76 - 0.66)

def _outcomes():
    return pd.DataFrame(dict(dataset="toy", method=["bnn"]*4 + ["grid"], seed=[0, 1, 2, 3, 0], trials=10, score_column="mean",
                             final_regret=[0.0, 0.01, 0.02, 0.03, 0.05], evals_to_top_share=[3, np.nan, np.nan, 9, np.nan],
                             evals_to_top_k=[2, 5, np.nan, 4, 7]))

def test_hit_table_has_wilson_intervals_and_grid_as_one_run():
    h = R.hit_table(_outcomes())
    bnn = h[(h.dataset == "toy") & (h.method == "bnn")].iloc[0]
    assert (bnn.runs, bnn.top_k_reached, bnn.p_top_k) == (4, 3, 0.75)
    assert (bnn.p_top_k_low, bnn.p_top_k_high) == pytest.approx(R.wilson_interval(3, 4))
    grid = h[(h.dataset == "toy") & (h.method == "grid")].iloc[0]
    assert grid.runs == 1 and grid.kind == "one deterministic run" and np.isnan(grid.p_top_k_low) and np.isnan(grid.p_top_k_high)
    assert set(h.dataset) == {"toy", "all"}

def test_survival_table_censors_misses_at_the_budget():
    s = R.survival_table(_outcomes())
    bnn = s[s.method == "bnn"]
    assert bnn.time.tolist() == [0, 2, 4, 5, 10] and bnn.survival.tolist() == pytest.approx([1, 0.75, 0.5, 0.25, 0.25])
    assert s[s.method == "grid"].survival.tolist() == [1.0, 0.0]

def test_single_run_keeps_one_grid_run():
    c = pd.concat([_run([0.7, 0.8], [0, 2], method="grid", seed=s) for s in range(20)] +
                  [_run([0.7, 0.8], [0, 2], method="tpe", seed=s) for s in range(3)])
    one = R.single_run(c)
    assert one[one.method == "grid"].seed.unique().tolist() == [0] and one[one.method == "tpe"].seed.nunique() == 3
    assert R.regret_table(R.run_outcomes(R.regret_curves(one, dict(toy=TABLE)))).set_index("method").runs["grid"] == 1

# ---- ranks and tests ---------------------------------------------------------------------------------------------------------

def _ranked(rng, n_seeds=6, gap=0.02):
    rows = [dict(dataset=d, seed=s, method=m, final_regret=r + rng.uniform(0, 0.01))
            for d in ("a", "b") for s in range(n_seeds) for m, r in (("bnn", 0.0), ("tpe", gap), ("random", 2*gap))]
    return pd.DataFrame(rows + [dict(dataset=d, seed=0, method="grid", final_regret=0.1) for d in ("a", "b")])

def test_rank_summary_and_friedman():
    from scipy.stats import friedmanchisquare
    out = _ranked(np.random.default_rng(1))
    ranks, f = R.rank_summary(out)
    assert ranks.set_index("method").average_rank.to_dict() == {"bnn": 1.0, "tpe": 2.0, "random": 3.0, "grid": 4.0}
    assert ranks.set_index("method").in_friedman.to_dict() == {"bnn": True, "tpe": True, "random": True, "grid": False}
    assert (f["blocks"], f["methods"]) == (12, 3) and f["statistic"] == pytest.approx(24.0)
    wide = out[out.method != "grid"].pivot_table(index=["dataset", "seed"], columns="method", values="final_regret")
    assert f["p"] == pytest.approx(friedmanchisquare(*[wide[m] for m in wide]).pvalue)
    # noise only: no method separates
    rng = np.random.default_rng(2)
    noise = pd.DataFrame([dict(dataset="a", seed=s, method=m, final_regret=rng.normal()) for s in range(30) for m in ("bnn", "tpe", "random")])
    assert R.rank_summary(noise)[1]["p"] > 0.01

def test_wilcoxon_against_bnn_is_paired_and_holm_corrected():
    from scipy.stats import wilcoxon
    out = _ranked(np.random.default_rng(3))
    w = R.wilcoxon_vs(out).set_index("method")
    wide = out[out.method != "grid"].pivot_table(index=["dataset", "seed"], columns="method", values="final_regret")
    assert w.p["tpe"] == pytest.approx(wilcoxon(wide["tpe"] - wide["bnn"]).pvalue)
    np.testing.assert_allclose(w.p_holm, R.holm(w.p))
    assert w.pairs["grid"] == 12 and "one run" in w.pairing["grid"] and w.pairing["tpe"] == "paired by (dataset, seed)"
    tied = pd.DataFrame([dict(dataset="a", seed=s, method=m, final_regret=0.0) for s in range(5) for m in ("bnn", "tpe")])
    assert R.wilcoxon_vs(tied).p.tolist() == [1.0]   # all pairs tied: no evidence (scipy would raise)

# ---- snapping distance ---------------------------------------------------------------------------------------------------------

def test_snap_table_median_and_max_per_method():
    c = pd.concat([_run([0.7, 0.6, 0.8, 0.75], [0, 3, 2, 4], distance=[0.1, 0.0, 0.3, 0.2]),
                   _run([0.7, 0.6], [0, 3], method="tpe", distance=[0.5, None])])
    s = R.snap_table(c).set_index(["dataset", "method"])
    assert s.loc[("toy", "bnn"), ["trials", "recorded", "snapped"]].tolist() == [4, 4, 3]
    assert s.loc[("toy", "bnn"), ["median_distance", "max_distance"]].tolist() == pytest.approx([0.15, 0.3])
    assert s.loc[("toy", "tpe"), "recorded"] == 1 and s.loc[("all", "tpe"), "max_distance"] == 0.5

def test_replay_distance_is_what_the_report_reads():
    from bnnstudy.space import SearchSpace, Float
    from bnnstudy.runs import replay
    space = SearchSpace(x=Float(0.0, 1.0), y=Float(0.0, 1.0))
    rng = np.random.default_rng(0)
    table = pd.DataFrame(space.sample(12, rng)).assign(value=rng.uniform(size=12))
    r = replay(table, space, "random", seed=0, n_trials=5)
    res = [dict(study="replay", dataset="toy", method="random", seed=0, maximize=True,
                curves=[dict(seed=0, rows=r.row.tolist(), values=r.value.tolist(), distance=r.distance.tolist(),
                             train_seconds=[0.0]*5, surrogate_seconds=[0.0]*5)])]
    c = R.hpo_curves(res)
    assert c.distance.tolist() == pytest.approx(r.distance.tolist()) and c.row.tolist() == r.row.tolist()
    assert R.snap_table(c).max_distance.iloc[0] == pytest.approx(r.distance.max())

# ---- design tables from results -----------------------------------------------------------------------------------------------

def test_design_tables_from_stored_scores_or_the_table_run(tmp_path):
    stored = [dict(study="replay", dataset="toy", table=dict(score_column="mean", scores=[0.1, None, 0.3]))]
    t = R.design_tables(stored)["toy"]
    assert list(t.columns) == ["mean"] and np.isnan(t["mean"][1])
    labelled = [dict(study="replay", dataset="toy", table=dict(score_column="value", score_label="value (mean of 3 training seeds)", scores=[0.1]))]
    assert R.table_levels(R.design_tables(labelled)["toy"])["score_column"] == "value (mean of 3 training seeds)"
    folder = tmp_path/"table/toy/design/seed0"; folder.mkdir(parents=True)
    TABLE.to_parquet(folder/"table.parquet")
    from_file = R.design_tables([dict(study="table", dataset="toy", path=str(folder/"result.json"), table=dict(file="table.parquet"))])
    pd.testing.assert_frame_equal(from_file["toy"], TABLE)

# ---- the report notebook -------------------------------------------------------------------------------------------------------

def test_report_notebook_writes_the_metrics_tables_and_figures():
    cells = "\n".join("".join(c["source"]) for c in json.loads((ROOT/"nbs"/"90_report.ipynb").read_text())["cells"])
    for name in ("hpo_regret", "hpo_top_rows", "hpo_survival_top5", "hpo_rank_tests", "hpo_wilcoxon_vs_bnn", "hpo_snap_distance",
                 "hpo_regret_replay", "hpo_survival_replay", "hpo_top_rows_replay"):
        assert f'"{name}"' in cells, f"90_report does not write {name}"
    for fig in ("hpo_regret_replay", "hpo_survival_replay", "hpo_top_rows_replay"): assert fig in R.FIGURE_ALT

def _small_runs(runs_dir: Path, n_rows=30, n_seeds=6, n_trials=8):
    "A runs folder without training: a design table in bnnstudy.tables' layout (value = mean of 3 seeds) and replays of it."
    from bnnstudy.space import SearchSpace, Float, Int
    from bnnstudy.runs import replay, save_result, RunSpec
    rng = np.random.default_rng(0)
    space = SearchSpace(lr=Float(1e-4, 1e-1, log=True), units=Int(8, 128))
    configs = space.sample(n_rows, rng)
    seeds = (0.9 - ((space.encode(configs) - 0.7)**2).sum(1))[:, None] + rng.normal(0, 0.02, (n_rows, 3))
    table = pd.DataFrame(configs).assign(row=np.arange(n_rows), value=seeds.mean(1), value_sd=seeds.std(1, ddof=1),
                                         **{f"value_seed{k}": seeds[:, k] for k in range(3)}, status="completed", train_seconds=1.0)
    common = dict(dataset="toy", profile="smoke", data=dict(fingerprint="synthetic"), metric="accuracy", maximize=True)
    folder = RunSpec("table", "toy", "design", 0).folder(runs_dir); folder.mkdir(parents=True)
    table.to_parquet(folder/"table.parquet")
    save_result(folder, study="table", method="design", seed=0, params={}, settings={}, timings={},
                table=dict(file="table.parquet", rows=n_rows), **common)
    # "bnn" here is random search with other seeds: the test is about the report's plumbing, not about the methods
    for method, source in [("random", "random"), ("grid", "grid"), ("tpe", "tpe"), ("bnn", "random")]:
        curves = []
        for s in range(n_seeds):
            r = replay(table, space, source, seed=s + (100 if method == "bnn" else 0), n_trials=n_trials)
            curves.append(dict(seed=s, rows=r.row.tolist(), values=r.value.tolist(), distance=r.distance.tolist(),
                               train_seconds=r.train_seconds.tolist(), surrogate_seconds=r.surrogate_seconds.tolist()))
        save_result(RunSpec("replay", "toy", method, 0).folder(runs_dir), study="replay", method=method, seed=0, params={},
                    settings={}, timings={}, curves=curves, table=dict(file="table.parquet"), **common)
    return runs_dir

@pytest.mark.slow
def test_report_notebook_reports_the_metrics_from_a_runs_folder(tmp_path):
    import os, subprocess, sys
    runs, out = _small_runs(tmp_path/"runs"), tmp_path/"out"
    bin_ = Path(sys.executable).parent
    done = subprocess.run([bin_/"papermill", str(ROOT/"nbs"/"90_report.ipynb"), str(tmp_path/"report.ipynb"), "-k", "python3",
                           "--no-progress-bar", "-p", "runs_dir", str(runs), "-p", "out_dir", str(out)],
                          capture_output=True, text=True, env=os.environ | {"OMP_NUM_THREADS": "1"}, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    t = lambda name: pd.read_csv(out/"tables"/f"{name}.csv")
    regret = t("hpo_regret").set_index("method")
    assert regret.runs.to_dict() == {"bnn": 6, "grid": 1, "random": 6, "tpe": 6}          # grid: one run, not six
    assert set(regret.score_column) == {"value (mean of 3 training seeds)"} and np.isnan(regret.regret_q25["grid"])
    top = t("hpo_top_rows")
    assert top[top.method == "grid"].p_top_k_low.isna().all() and top[top.method != "grid"].p_top_k_low.notna().all()
    assert set(t("hpo_wilcoxon_vs_bnn").method) == {"grid", "random", "tpe"}
    assert t("hpo_rank_tests").friedman_methods.iloc[0] == 3
    snap = t("hpo_snap_distance")
    assert (snap.recorded == snap.trials).all() and (snap.max_distance > 0).all()
    assert set(t("hpo_survival_top5").method) == {"bnn", "grid", "random", "tpe"}
    for fig in ("hpo_regret_replay", "hpo_survival_replay", "hpo_top_rows_replay"): assert (out/"figures"/f"{fig}.png").stat().st_size > 0
    assert (out/"tables"/"hpo_top_rows.md").read_text().startswith("| dataset | method |")

def test_average_rank_counts_grids_one_run_in_every_block():
    runs = [_run([0.70, 0.80], [0, 2], method="tpe", seed=0)] + [_run([0.60, 0.65], [3, 1], method="tpe", seed=s) for s in (1, 2)]
    r = R.average_rank(pd.concat(runs + [_run([0.70, 0.72], [0, 5], method="grid", seed=0)]))
    last = r[r.trial == 2].set_index("method")["rank"]
    # grid (0.72) loses to tpe's seed 0 (0.80) and beats seeds 1 and 2 (0.65); ranked in seed 0's block only it would average 2
    assert last.to_dict() == pytest.approx({"grid": 4/3, "tpe": 5/3})

def test_survival_and_regret_panels_plot_the_table_quartiles_and_km_steps():
    "The shared per-panel helper: a panel per dataset, a line per method at the data's values, a band unless deterministic."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [dict(dataset=d, method=m, seed=s, trial=t, regret=r + s/10, score_column="val_accuracy")
            for d in ("b", "a") for m, r in (("tpe", 0.5), ("grid", 0.2)) for s in (range(1) if m == "grid" else range(3))
            for t in (1, 2)]
    fig = R.plot_regret(pd.DataFrame(rows))
    try:
        assert [ax.get_title() for ax in fig.axes] == ["a (replay)", "b (replay)"]
        assert fig.axes[0].get_ylabel() == "regret (val_accuracy score)"
        lines = {ln.get_label(): ln for ln in fig.axes[0].lines}
        assert set(lines) == {"grid (one run)", "tpe"}
        assert list(lines["tpe"].get_ydata()) == pytest.approx([0.6, 0.6])   # the median of 0.5, 0.6, 0.7
        assert len(fig.axes[0].collections) == 1                             # tpe's interquartile band only
    finally: plt.close(fig)
    surv = pd.DataFrame(dict(dataset="a", method="tpe", target="top_k", time=[0.0, 2.0, 5.0], survival=[1.0, 0.5, 0.5],
                             low=[1.0, 0.2, 0.2], high=[1.0, 0.8, 0.8]))
    fig = R.plot_survival(surv)
    try:
        ax, = [a for a in fig.axes if a.get_visible() and a.axison]
        assert ax.get_title() == "a: top-5 row" and ax.get_ylim() == (-0.02, 1.02)
        assert list(ax.lines[0].get_ydata()) == [1.0, 0.5, 0.5] and ax.lines[0].get_drawstyle() == "steps-post"
    finally: plt.close(fig)
