"bench-hpo: runs, the tables it reports, resuming, and the markdown it writes."
import math
import numpy as np, pandas as pd, pytest
from bnnstudy.benchmarks import hpo as H

def test_categorical_synthetic_functions_reach_their_optimum():
    f = H.get_problem("branin_cat")
    assert f(dict(x1=math.pi + 3.0, x2=2.275, c="b", o=3)) == pytest.approx(f.optimum, abs=1e-6)
    assert f(dict(x1=math.pi + 3.0, x2=2.275, c="a", o=3)) > f.optimum + 0.9   # the category matters
    assert f(dict(x1=math.pi + 3.0, x2=2.275, c="b", o=0)) > f.optimum + 3    # so does the ordinal level

def test_run_records_a_non_increasing_regret():
    r = H.run("mixed", "random", seed=3, evals=10)
    assert list(r.evals) == list(range(1, 11)) and (np.diff(r.regret) <= 0).all() and (r.regret >= 0).all()

def _toy():
    rows = []
    for s in range(6):
        for m, scale in (("random", 10.0), ("bnn", 2.0), ("tpe", 5.0)):
            for e in range(1, 101):
                rows.append(dict(problem="p", method=m, seed=s, evals=e, regret=scale*(1 + 0.1*s)/e, ask_seconds=0.0))
    return pd.DataFrame(rows)

def test_tables_evals_to_random_rank_and_paired_test():
    d = _toy()
    e = H.evals_to_random(d)
    assert e.loc["random", "p"] == 100 and e.loc["bnn", "p"] == 20 and e.loc["tpe", "p"] == 50
    r = H.average_rank(d)
    assert r.loc["bnn", "@100"] == 1 and r.loc["random", "@100"] == 3
    w = H.wilcoxon_table(d)
    cell = w.loc[("p", "random"), "@100"]
    assert cell.startswith("6/0/0") and float(cell.split("p=")[1]) < 0.05
    s = H.suite_summary(e, {"all": ["p"]})
    assert s.loc[("all", "tpe"), "median"] == 50

def test_summary_interval_brackets_the_seed_spread_and_the_report_shows_it():
    d = _toy()
    # bnn's seeds reach random search's median target (0.125 at 100) at 16-24 evaluations, so a redraw of the 6 seeds moves its
    # median curve's crossing inside that range; random search ends at its own target
    iv = H.summary_interval(d, {"all": ["p"]}, n_boot=300)
    lo, hi = map(int, iv[("all", "bnn")].split("-"))
    assert 16 <= lo <= 20 <= hi <= 24 and lo < hi
    assert iv[("all", "random")].endswith("-100")
    assert iv.equals(H.summary_interval(d, {"all": ["p"]}, n_boot=300))   # seeded: the same interval again
    md = H.report(d, None, "cmd", groups={"all": ["p"]})
    assert "| group | method | problems | median | worst | worst_problem | median 90% |" in md
    full = H.summary_interval(d, {"all": ["p"]})   # the report's 1,000 replicates
    assert f"| all | bnn | 1 | 20 | 20 | p | {full[('all', 'bnn')]} |" in md

def test_main_resumes_and_writes_the_markdown(tmp_path):
    out = tmp_path/"b.csv"
    a = H.main(seeds=2, evals=8, problems="mixed", methods="random,tpe", workers=1, out=str(out), nll=False, ratio=False, rank=False, incumbent=False, ask="")
    n_lines = len(out.read_text().splitlines())
    b = H.main(seeds=3, evals=8, problems="mixed", methods="random,tpe", workers=1, out=str(out), resume=True, nll=False, ratio=False, rank=False,
               incumbent=False, ask="")
    assert len(b) == len(a)*3//2 and len(out.read_text().splitlines()) == n_lines + 2*8   # only seed 2 was added
    md = out.with_suffix(".md").read_text()
    assert "Written by" in md and "at commit" in md and "## Average rank" in md and "| mixed |" in md

def test_incumbent_gap_and_its_report_section():
    gp = H.incumbent_gap("mixed", H._SURROGATE_FOR["gp"], n=12, seeds=1)
    assert abs(gp) < 0.5   # a GP with its small fitted noise passes near its best observation
    extras = pd.DataFrame(dict(kind="incumbent", problem="p", what=["bnn", "gp"], value=[0.3, 0.02]))
    md = H.report(_toy(), extras, "cmd", groups={"all": ["p"]})
    assert "## Surrogate at the incumbent (20 points)" in md and "| p | 0.30 | 0.02 |" in md

def test_ablation_flags_combine_and_name_one_computation():
    optimizer_for, space = H.optimizer_for, H.get_problem("mixed").space
    opt = optimizer_for("bnn-bll+tightnoise+s400", space, 0, 10)   # both set surrogate_kw: merged, not the last one only
    assert opt.surrogate_kw == dict(min_beta=25.0, steps=400, lr=0.01)
    assert optimizer_for("bnn-bll+tightnoise", space, 0, 10).surrogate_kw == dict(steps=150, lr=0.02, min_beta=25.0)   # over the default's
    assert optimizer_for("bnn-bll+ei", space, 0, 10).acquisition == "ei" and optimizer_for("bnn-bll", space, 0, 10).acquisition == "ts"
    assert optimizer_for("bnn", space, 0, 10).acquisition == "ei" and optimizer_for("bnn+ts", space, 0, 10).acquisition == "ts"
    ens = optimizer_for("bnn-ensemble+s400", space, 0, 10)   # the ensemble keeps its bootstrapped members beside other settings
    assert ens.surrogate_kw == dict(bootstrap=True, steps=400, lr=0.01)
    with pytest.raises(ValueError, match="unknown ablation 'fast'"): optimizer_for("bnn+fast", space, 0, 10)
    # the tempered Thompson draws pass their temperature to the maximiser; a user's acquisition_kw is merged, not replaced
    assert optimizer_for("bnn-bll+t2", space, 0, 10).acquisition_kw == dict(temperature=2.0)
    assert optimizer_for("bnn-bll+t05", space, 0, 10, acquisition_kw=dict(n_local=8)).acquisition_kw == dict(n_local=8, temperature=0.5)
    # the infinitely wide network (the default): log-EI whether named or not, its depth by flag, fitted by the surrogate the name builds
    wide = optimizer_for("bnn+d3", space, 0, 10)
    assert (wide.surrogate, wide.surrogate_kw, wide.acquisition) == ("ibnn", dict(depth=3), "ei")
    network = lambda m: optimizer_for(m, space, 0, 10)._surrogate(0).base   # behind the level bits (the mixed toy's batch size)
    assert network("bnn").depth == 10 and network("bnn-ibnn").depth == 10

def test_tempered_thompson_sampling_asks_other_configurations_after_the_design():
    fn = H.get_problem("mixed")
    def asked(method, evals=12):
        opt, out = H.optimizer_for(method, fn.space, 0, evals), []
        for _ in range(evals):
            trial = opt.ask(); opt.tell(trial, fn(trial.params)); out.append(fn.space.key(trial.params))
        return out, opt.n_initial
    (a, n), (b, _) = asked("bnn-bll"), asked("bnn-bll+t2")
    assert a[:n] == b[:n]   # the same seeded initial design
    assert a[n:] != b[n:]   # then other picks: the temperature reaches the maximiser

def test_declared_conditions_leave_no_effective_repeats():
    assert H.conditional_problems(["svr_diabetes", "knn_digits", "mixed"]) == ["svr_diabetes"]
    # the suite's SVR declares that gamma is unread under a linear kernel (SearchSpace.when): neither random search nor a
    # surrogate asks for the same model twice; before it did, the last layer asked for a third of its 40 again
    for m in ("random", "bnn-bll", "tpe"):
        assert H.effective_repeats("svr_diabetes", m, seeds=1, evals=40) == 0, m

def test_cache_flag_counts_each_effective_configuration_once_and_leaves_other_runs_alone():
    assert H.effective_repeats("svr_diabetes", "bnn+cache", seeds=1, evals=30) == 0
    cached = list(H.evaluations("svr_diabetes", "bnn+cache", 0, evals=30))
    assert len(cached) == 30 and all(e is not None for e in cached)
    plain = H.run("knn_digits", "random", 0, evals=20)   # no conditional parameters: +cache changes nothing
    assert (H.run("knn_digits", "random+cache", 0, evals=20).regret.values == plain.regret.values).all()

def test_screen_flags_set_what_their_names_say():
    space = H.get_problem("mixed").space
    ucb = H.optimizer_for("bnn+ucb1", space, 0, 10)
    assert (ucb.acquisition, ucb.acquisition_kw) == ("ucb", dict(beta=1.0))
    assert H.optimizer_for("bnn+local1", space, 0, 10).local_every == 1 and H.optimizer_for("bnn+local3", space, 0, 10).local_every == 3
    assert H.optimizer_for("bnn+top1", space, 0, 10).local_top == 1 and H.optimizer_for("bnn+init2", space, 0, 10).n_initial == 2

def test_tablehp_conditions_on_the_table_fitted_prior_without_fitting():
    from bnnstudy.surrogate import InfiniteWidthBNN
    theta = list(H.table_prior("mixed"))   # fitted (and cached) before the spy below counts the run's conditionings
    fn = H.get_problem("mixed")
    wide = H.optimizer_for("bnn", fn.space, 0, 10)
    columns = fn.space.encode([fn.space.sample(1, np.random.default_rng(0))[0]]).shape[1] + wide._level_map.n_extra
    assert wide._level_map.n_extra > 0 and len(theta) == columns + 5   # the encoding's columns and the level bits, then five
    fits = []
    original = InfiniteWidthBNN._condition
    def spy(self, X, y): fits.append(self.theta.tolist()); return original(self, X, y)
    InfiniteWidthBNN._condition = spy
    try:
        r = H.run("mixed", "bnn+tablehp", 0, evals=wide.n_initial + 2)
    finally: InfiniteWidthBNN._condition = original
    assert len(fits) == 2 and all(f == theta for f in fits)   # each model-based ask: the table's theta
    assert (np.diff(r.regret) <= 0).all()
