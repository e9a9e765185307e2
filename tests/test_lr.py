"Learning-rate controllers: exact resume, NaN handling, validation, and the fit-callback integration."
import copy, math
from dataclasses import dataclass

import pandas as pd
import pytest
import torch
from torch import nn

from bnnstudy.lr import (UncertaintyLR, MCDropout, VariationalHead, RelativeThreshold, FixedLR, CONTROLLERS, make_controller,
                         uncertainty_from_samples)
from bnnstudy.models import TrunkHead
from bnnstudy.train import fit


def tiny_model(seed=0, n_out=3, bn=True):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        trunk = nn.Sequential(nn.Linear(4, 16), *( [nn.BatchNorm1d(16)] if bn else []), nn.ReLU())
        return TrunkHead(trunk, nn.Sequential(nn.Dropout(0.5), nn.Linear(16, n_out)))


def toy_xy(n=96, seed=1, n_out=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long() if n_out > 1 else (x[:, 0] > 0).long()
    return x, y


def sgd(model=None, lr=0.1):
    return torch.optim.SGD(model.parameters() if model is not None else [nn.Parameter(torch.zeros(1))], lr=lr)


# ---- resume: a run interrupted and restored from state_dicts continues exactly ------------------------------

def _train(model, opt, ctl, x, y, epochs, gen):
    "A plain training loop that steps `ctl` after each epoch; returns its decisions."
    out = []
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(16):
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(); loss.backward(); opt.step()
        out.append(ctl.step())
    return out


@pytest.mark.parametrize("make_estimator,threshold", [
    (lambda: MCDropout(T=8, which="mutual_info", seed=3), "median"),
    (lambda: MCDropout(T=8, which="entropy", seed=3), RelativeThreshold(ratio=1.0, window=3, statistic="ema")),
    (lambda: MCDropout(T=8, which="variance", seed=3), None),
    (lambda: VariationalHead(T=8, steps=3, seed=3), "median"),
])
def test_uncertainty_lr_resumes_exactly(make_estimator, threshold):
    x, y = toy_xy()
    probe, ref = x[:32], (x[32:], y[32:])

    def build():
        model = tiny_model()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        ctl = UncertaintyLR(opt, make_estimator(), threshold=copy.deepcopy(threshold)).bind(model, probe, ref)
        return model, opt, ctl

    torch.manual_seed(0)
    model, opt, ctl = build()
    gen = torch.Generator().manual_seed(0)
    _train(model, opt, ctl, x, y, 8, gen)
    full = ctl.history

    torch.manual_seed(0)
    model, opt, ctl = build()
    gen = torch.Generator().manual_seed(0)
    _train(model, opt, ctl, x, y, 4, gen)
    saved = copy.deepcopy(dict(model=model.state_dict(), opt=opt.state_dict(), ctl=ctl.state_dict(),
                               gen=gen.get_state(), rng=torch.get_rng_state()))
    torch.manual_seed(123)   # the restored run must not depend on where the global stream happened to be
    model, opt, ctl = build()
    model.load_state_dict(saved["model"]); opt.load_state_dict(saved["opt"]); ctl.load_state_dict(saved["ctl"])
    gen = torch.Generator(); gen.set_state(saved["gen"]); torch.set_rng_state(saved["rng"])
    _train(model, opt, ctl, x, y, 4, gen)
    pd.testing.assert_frame_equal(ctl.history.drop(columns="estimate_time"), full.drop(columns="estimate_time"))
    assert set(full.decision) - {"hold"}, "the run never adjusted: the test would not see a broken resume"


@pytest.mark.parametrize("name,kw,values", [
    ("bold_driver", {}, [1.0, 0.8, 0.9, 0.7, 0.75, 0.6]),
    ("random_trigger", dict(rate=0.4, seed=5), [None] * 6),
    ("cosine", dict(T_max=6), [None] * 6),
    ("plateau", dict(patience=1), [1.0, 1.0, 1.0, 0.5, 0.6, 0.7]),
    ("uncertainty", dict(threshold=0.5), [0.9, 0.1, 0.2, 0.7, 0.3, 0.1]),
    ("uncertainty_relative", {}, [0.9, 0.1, 0.2, 0.7, 0.3, 0.1]),
])
def test_every_controller_resumes_exactly(name, kw, values):
    full = make_controller(name, sgd(), **kw)
    for v in values: full.step(v)
    part = make_controller(name, sgd(), **kw)
    for v in values[:3]: part.step(v)
    sd = copy.deepcopy(part.state_dict())
    resumed = make_controller(name, sgd(lr=0.5), **kw)   # a fresh optimizer: the saved rates are restored
    resumed.load_state_dict(sd)
    for v in values[3:]: resumed.step(v)
    pd.testing.assert_frame_equal(resumed.history, full.history)
    assert resumed.get_last_lr() == full.get_last_lr()


def test_state_dict_loaded_before_fit_binds_later():
    "A controller restored before fit binds it keeps its learning rate, bounds and threshold statistics."
    ctl = UncertaintyLR(sgd(lr=0.1), threshold="median")
    for u in [0.5, 0.6, 0.4]: ctl.step(u)
    sd = ctl.state_dict()
    fresh = UncertaintyLR(threshold="median")
    fresh.load_state_dict(sd)
    opt = sgd(lr=1.0)
    fresh._bind(opt); fresh._restore_lrs()
    assert opt.param_groups[0]["lr"] == pytest.approx(ctl.get_last_lr()[0])
    assert fresh.bounds == ctl.bounds and fresh.threshold.value() == ctl.threshold.value()


# ---- the rule, NaN, clipping, every --------------------------------------------------------------------------

def test_nan_uncertainty_is_skipped_and_leaves_threshold_alone():
    ctl = UncertaintyLR(sgd(), threshold="median")
    ctl.step(0.5)
    before = ctl.threshold.state_dict()
    assert ctl.step(float("nan")) == "skip" and ctl.step(float("inf")) == "skip"
    assert ctl.threshold.state_dict() == before and ctl.get_last_lr() == [0.1]
    assert list(ctl.history.decision) == ["hold", "skip", "skip"]


def test_nan_from_the_estimator_does_not_crash():
    class NaNEstimator(MCDropout):
        def estimate(self, model, x, reference=None): return dict(entropy=math.nan, mutual_info=math.nan, variance=math.nan)
    model = tiny_model()
    ctl = UncertaintyLR(sgd(model), NaNEstimator()).bind(model, toy_xy()[0][:8])
    assert [ctl.step() for _ in range(3)] == ["skip"] * 3


def test_every_and_clipping():
    ctl = UncertaintyLR(sgd(lr=1.0), threshold=0.5, every=3, min_lr=0.3, max_lr=1.2)
    out = [ctl.step(0.9) for _ in range(9)]
    assert out == [None, None, "down"] * 3
    assert list(ctl.history.step) == [3, 6, 9]
    assert ctl.history.lr.tolist() == pytest.approx([0.5, 0.3, 0.3])
    for _ in range(60): ctl.step(0.1)
    assert ctl.get_last_lr()[0] == pytest.approx(1.2)


def test_default_bounds_are_relative_to_each_group():
    p1, p2 = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([dict(params=[p1], lr=0.1), dict(params=[p2], lr=1e-3)])
    ctl = UncertaintyLR(opt, threshold=0.5)
    for _ in range(20): ctl.step(0.9)
    assert ctl.get_last_lr() == pytest.approx([1e-3, 1e-5])


def test_fixed_threshold_none_is_the_first_estimate():
    ctl = UncertaintyLR(sgd(), threshold=None)
    assert [ctl.step(u) for u in [0.5, 0.4, 0.6, 0.5]] == ["hold", "up", "down", "hold"]


@pytest.mark.parametrize("kw,msg", [
    (dict(down=0), "down must be a finite number > 0"), (dict(down=-0.5), "down must be a finite number > 0"),
    (dict(down=1.0), r"down must be in \(0, 1\)"), (dict(up=0), "up must be a finite number > 0"),
    (dict(up=0.5), "up must be >= 1"), (dict(down=float("nan")), "down must be a finite number"),
    (dict(min_lr=1e-2, max_lr=1e-3), "must not exceed max_lr"), (dict(min_lr=-1.0), "min_lr must be"),
    (dict(every=0), "every must be a positive integer"), (dict(every=1.5), "every must be a positive integer"),
    (dict(unit="batch"), "unit must be"), (dict(threshold="mean"), "threshold must be"),
    (dict(threshold=-0.1), "finite number >= 0"), (dict(probe_size=0), "probe_size must be"),
])
def test_invalid_settings_raise_one_clear_error(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg): UncertaintyLR(sgd(), **kw)


def test_wrong_kinds_raise_type_errors():
    with pytest.raises(TypeError, match="estimator must be an Estimator"): UncertaintyLR(sgd(), estimator=lambda m, x: 0.1)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"): UncertaintyLR("adam")
    with pytest.raises(ValueError, match="which must be one of"): MCDropout(which="std")
    with pytest.raises(ValueError, match="statistic must be"): RelativeThreshold(statistic="mean")
    with pytest.raises(ValueError, match="unknown controller"): make_controller("adaptive")
    with pytest.raises(TypeError, match="needs .trunk and .head"): MCDropout()(nn.Linear(4, 2), torch.zeros(2, 4))


# ---- estimators ------------------------------------------------------------------------------------------------

def test_single_logit_model_gives_two_class_probabilities():
    model = tiny_model(n_out=1)
    x = toy_xy()[0][:10]
    probs = MCDropout(T=6).sample_probs(model, x)
    assert probs.shape == (6, 10, 2) and torch.allclose(probs.sum(-1), torch.ones(6, 10))
    u = MCDropout(T=6).estimate(model, x)
    assert 0 <= u["mutual_info"] <= u["entropy"] <= math.log(2) + 1e-9
    x, y = toy_xy(n_out=1)
    v = VariationalHead(T=6, steps=2).estimate(model, x[:10], reference=(x, y))
    assert 0 <= v["mutual_info"] <= v["entropy"] <= math.log(2) + 1e-9


def test_estimators_leave_model_and_global_rng_untouched():
    model = tiny_model()
    model.train()
    x, y = toy_xy()
    sd = copy.deepcopy(model.state_dict())
    rng = torch.get_rng_state()
    MCDropout(T=5).estimate(model, x)
    VariationalHead(T=5, steps=2).estimate(model, x, reference=(x, y))
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(v, sd[k]) for k, v in model.state_dict().items())   # BatchNorm statistics included
    assert all(m.training for m in model.modules())


def test_uncertainty_quantities_are_ordered():
    probs = torch.softmax(torch.randn(10, 7, 4, generator=torch.Generator().manual_seed(0)), -1)
    u = uncertainty_from_samples(probs)
    assert 0 <= u["mutual_info"] <= u["entropy"] <= math.log(4) and u["variance"] >= 0
    with pytest.raises(ValueError, match=r"shape \(T, N, C\)"): uncertainty_from_samples(probs[0])


# ---- as a fit callback -----------------------------------------------------------------------------------------

@dataclass
class _Split:
    x: torch.Tensor
    y: torch.Tensor
    def __len__(self): return len(self.y)


@dataclass
class _Data:
    "The parts of bnnstudy.data.Data that fit and the controllers read."
    train: _Split
    val: _Split
    task: str = "multiclass"
    augment: object = None


def toy_data(n_out=3):
    x, y = toy_xy(200, n_out=n_out)
    return _Data(_Split(x[:150], y[:150]), _Split(x[150:], y[150:]), "multiclass" if n_out > 1 else "binary")


@pytest.mark.parametrize("name", sorted(CONTROLLERS))
def test_every_controller_runs_in_fit_and_logs(name):
    kw = dict(rate=0.5) if name == "random_trigger" else {}
    ctl = make_controller(name, **kw)
    res = fit(tiny_model(), toy_data(), epochs=4, lr=1e-2, batch_size=32, callbacks=[ctl], progress=False)
    assert res.status == "completed"
    h = res.history
    assert {"decision", "next_lr", "threshold"} <= set(h.columns)
    assert h.lr.iloc[1:].tolist() == pytest.approx(h.next_lr.iloc[:-1].tolist())   # the rate set is the rate used
    assert len(ctl.history) == 4 and set(ctl.history.decision) <= {"down", "up", "hold", "skip"}


def test_uncertainty_lr_in_fit_logs_uncertainty_and_timing():
    ctl = UncertaintyLR(threshold="median", estimator=MCDropout(T=5), probe_size=32)
    res = fit(tiny_model(), toy_data(), epochs=3, lr=1e-2, batch_size=32, callbacks=[ctl], progress=False)
    assert res.history.uncertainty.notna().all() and (res.history.estimate_time > 0).all()
    assert len(ctl.probe) == 32


def test_single_logit_model_in_fit_with_the_variational_head():
    ctl = make_controller("uncertainty_vi", reference_size=64)
    res = fit(tiny_model(n_out=1), toy_data(n_out=1), epochs=3, lr=1e-2, batch_size=32, callbacks=[ctl], progress=False)
    assert res.status == "completed" and res.history.uncertainty.between(0, math.log(2)).all()


def test_a_controller_that_holds_leaves_training_bit_identical():
    "Estimating draws no number from the training run's random streams."
    plain = fit(tiny_model(), toy_data(), epochs=3, lr=1e-2, batch_size=32, progress=False, seed=4)
    watched = UncertaintyLR(estimator=MCDropout(T=5), min_lr=1e-2, max_lr=1e-2)   # clipped: the rate never moves
    res = fit(tiny_model(), toy_data(), epochs=3, lr=1e-2, batch_size=32, progress=False, seed=4, callbacks=[watched])
    assert res.history.train_loss.tolist() == plain.history.train_loss.tolist()
    assert res.history.uncertainty.notna().all()


def test_step_unit_decides_every_n_batches():
    ctl = make_controller("bold_driver", every=2, unit="step")
    res = fit(tiny_model(), toy_data(), epochs=2, lr=1e-2, batch_size=32, callbacks=[ctl], progress=False)
    assert list(ctl.history.step) == [2, 4, 6, 8, 10]   # 150 samples / 32 = 5 batches per epoch
    assert res.history.decision.notna().all()


def test_no_validation_split_is_a_clear_error():
    data = toy_data()
    data.val = _Split(data.val.x[:0], data.val.y[:0])
    with pytest.raises(ValueError, match="n_val > 0"):
        fit(tiny_model(), data, epochs=1, callbacks=[UncertaintyLR()], progress=False)


def test_controller_built_for_another_optimizer_is_refused():
    with pytest.raises(ValueError, match="another optimizer"):
        fit(tiny_model(), toy_data(), epochs=1, callbacks=[FixedLR(sgd())], progress=False)


class _Regressor(nn.Module):
    "A TrunkHead-shaped regression model: its head ends in one output squeezed to (N,), like bnnstudy's MLP regressor."
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(4, 16), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(16, 1), nn.Flatten(0))
    def forward(self, x): return self.head(self.trunk(x))


@pytest.mark.parametrize("name", ["uncertainty", "uncertainty_relative", "uncertainty_vi"])
def test_uncertainty_controllers_refuse_a_regression_task_in_one_line(name):
    "Issue 12 item 12: was an internal shape error ('probs must have shape (T, N, C), got (20, 33)'), or silently a wrong signal."
    x, _ = toy_xy(120)
    data = _Data(_Split(x[:90], x[:90, 0]), _Split(x[90:], x[90:, 0]), "regression")
    with pytest.raises(ValueError, match="regression task, and uncertainty-driven learning rates need a classifier") as e:
        fit(_Regressor(), data, epochs=1, lr=1e-2, batch_size=32, callbacks=[make_controller(name)], progress=False)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="need a classifier"):
        UncertaintyLR(torch.optim.SGD(_Regressor().parameters(), lr=0.1)).bind(_Regressor(), x[:8]).measure()


# ---- issue 11: decisions that act, fresh probes, the study's arms and what a run reports ----------------------

from bnnstudy.lr import (WarmupLR, WatchLR, arm_controller, decision_rates, lr_study_run, mc_predictive, quantile_threshold,
                         signal_column, FixedThreshold, CosineLR)
import numpy as np


def test_fresh_probes_differ_per_decision_and_repeat_across_controllers_with_the_same_seed():
    seen = {}
    class Spy(MCDropout):
        def estimate(self, model, x, reference=None):
            seen.setdefault(self.tag_run, []).append(x.clone())
            return super().estimate(model, x, reference)
    def run(tag, threshold, fresh=True, monitors=None):
        est = Spy(T=4, seed=0); est.tag_run = tag
        ctl = UncertaintyLR(estimator=est, threshold=threshold, probe_size=16, every=2, unit="step", seed=5, fresh_probe=fresh,
                            monitors=monitors)
        fit(tiny_model(), toy_data(), epochs=2, lr=1e-2, batch_size=32, callbacks=[ctl], progress=False, seed=0)
    run("a", "median"); run("b", 0.0); run("fixed_probe", "median", fresh=False)
    run("with_vi", "median", monitors={"vi": VariationalHead(T=3, steps=1)})   # draws reference batches too
    assert len(seen["a"]) == 5 and not torch.equal(seen["a"][0], seen["a"][1])      # a new batch at each decision
    for other in ("b", "with_vi"):                                                  # same seed: the same sequence
        assert len(seen[other]) == 5 and all(torch.equal(p, q) for p, q in zip(seen["a"], seen[other]))
    assert all(torch.equal(seen["fixed_probe"][0], p) for p in seen["fixed_probe"])   # the old behaviour on request


def test_fresh_probe_generator_is_in_the_state_dict():
    ctl = UncertaintyLR(sgd(), seed=3)
    ctl.probe_rng.random(7); ctl.reference_rng.random(2)
    sd = copy.deepcopy(ctl.state_dict())
    expected = ctl.probe_rng.random(3), ctl.reference_rng.random(3)
    other = UncertaintyLR(sgd(), seed=3); other.load_state_dict(sd)
    assert np.array_equal(other.probe_rng.random(3), expected[0]) and np.array_equal(other.reference_rng.random(3), expected[1])


def test_warmup_is_the_uncertainty_rule_without_the_uncertainty():
    warm, unc = WarmupLR(sgd(lr=0.01)), UncertaintyLR(sgd(lr=0.01), threshold=1.0)
    for _ in range(30): warm.step(); unc.step(0.1)   # always below the threshold: always "up"
    assert warm.history.lr.tolist() == unc.history.lr.tolist()
    assert warm.get_last_lr()[0] == pytest.approx(0.1) and set(warm.history.decision) == {"up"}   # clipped at 10x the start


def test_watch_records_every_signal_and_leaves_training_bit_identical():
    plain = fit(tiny_model(), toy_data(), epochs=3, lr=1e-2, batch_size=32, progress=False, seed=2, callbacks=[FixedLR()])
    watch = make_controller("watch", every=2, unit="step", probe_size=16, reference_size=32)
    assert isinstance(watch, WatchLR)
    res = fit(tiny_model(), toy_data(), epochs=3, lr=1e-2, batch_size=32, progress=False, seed=2, callbacks=[watch])
    assert res.history.train_loss.tolist() == plain.history.train_loss.tolist()
    h = watch.history
    assert set(h.decision) == {"hold"} and len(h) == 7   # 15 steps / 2
    for col in ("mc_entropy", "mc_mutual_info", "mc_variance", "vi_entropy", "vi_mutual_info"):
        assert h[col].notna().all(), col
    assert (h.mc_mutual_info <= h.mc_entropy + 1e-12).all() and (h.uncertainty == h.mc_entropy).all()


def test_monitors_must_be_estimators():
    with pytest.raises(TypeError, match="monitors must map names to Estimators"): UncertaintyLR(sgd(), monitors={"x": 1})


def test_quantile_threshold_and_signal_columns():
    vals = [0.5, None, 0.1, float("nan"), 0.3]
    assert quantile_threshold(vals, 0.5) == pytest.approx(0.3)
    assert quantile_threshold(vals, 0.0) == pytest.approx(0.1) and quantile_threshold(vals, 1.0) == pytest.approx(0.5)
    assert [signal_column(s) for s in ("entropy", "mutual_info", "vi")] == ["mc_entropy", "mc_mutual_info", "vi_entropy"]
    with pytest.raises(ValueError, match="q must be a quantile"): quantile_threshold(vals, 1.5)


@pytest.mark.parametrize("signal,col,q", [("entropy", "mc_entropy", .25), ("mutual_info", "mc_mutual_info", .75), ("vi", "vi_entropy", .5)])
def test_quantile_arm_reads_its_own_signal_from_the_calibration(signal, col, q):
    calib = pd.DataFrame({c: np.linspace(0, 1, 11) * (i + 1) for i, c in enumerate(["mc_entropy", "mc_mutual_info", "vi_entropy"])})
    ctl = arm_controller(dict(controller="uncertainty", signal=signal, quantile=q, lr=1e-3), seed=4, calibration=calib, every=7)
    assert isinstance(ctl.threshold, FixedThreshold)
    assert ctl.threshold.value() == pytest.approx(np.quantile(calib[col], q))
    assert (ctl.unit, ctl.every, ctl.seed, ctl.estimator.seed) == ("step", 7, 4, 4)
    assert type(ctl.estimator) is (VariationalHead if signal == "vi" else MCDropout)


def test_relative_arm_compares_with_the_previous_decision():
    ctl = arm_controller(dict(controller="uncertainty", signal="entropy", relative=1.0))
    ctl._bind(sgd())
    assert [ctl.step(u) for u in [0.5, 0.6, 0.4, 0.4, 0.7]] == ["hold", "down", "up", "hold", "down"]


@pytest.mark.parametrize("arm,msg", [
    (dict(controller="uncertainty", signal="entropy", quantile=.5, relative=1.), "not both"),
    (dict(controller="uncertainty", signal="variance", relative=1.), "signal must be one of"),
    (dict(controller="random_trigger", quantile=.5), "quantile"),
    (dict(controller="adaptive"), "arm controller must be one of"),
])
def test_bad_arms_fail_clearly(arm, msg):
    with pytest.raises((ValueError, TypeError), match=msg): arm_controller(arm, calibration=pd.DataFrame(dict(mc_entropy=[1.])))


def test_cosine_arm_at_step_granularity_anneals_over_the_run():
    ctl = arm_controller(dict(controller="cosine"), every=3, n_decisions=5)
    assert isinstance(ctl, CosineLR) and ctl.T_max == 5 and ctl.unit == "step"


def test_decision_rates_sum_to_one():
    r = decision_rates(["down", "down", "up", "skip", "hold"])
    assert r == dict(n=5, down=.4, up=.2, hold=.2, skip=.2)
    assert sum(r[k] for k in ("down", "up", "hold", "skip")) == pytest.approx(1.0)
    assert math.isnan(decision_rates([])["down"])


def test_mc_predictive_is_the_mean_of_sampled_softmaxes_and_seeded():
    model, x = tiny_model(), toy_xy()[0][:20]
    p = mc_predictive(model, x, T=6, seed=1, batch_size=7)
    assert p.shape == (20, 3) and np.allclose(p.sum(1), 1)
    assert np.array_equal(p, mc_predictive(model, x, T=6, seed=1, batch_size=7))
    assert not np.allclose(p, mc_predictive(model, x, T=6, seed=2, batch_size=7))
    det = torch.softmax(model.eval()(x), -1).detach().numpy()
    assert not np.allclose(p, det, atol=1e-3)   # dropout sampled: not the deterministic softmax
    model.train()


def _toy_with_test(n_out=3):
    d = toy_data(n_out)
    x, y = toy_xy(120, seed=9, n_out=n_out)
    d.test = _Split(x, y)
    return d


def test_lr_study_run_reports_what_the_study_needs():
    data = _toy_with_test()
    kw = dict(fit_kw=dict(epochs=3, batch_size=32, model="ignored"), seed=1, every=2, T=4, probe_size=16, target=0.3)
    calib = lr_study_run(tiny_model(), data, dict(controller="fixed", lr=1e-2), **kw)
    arm = dict(controller="uncertainty", signal="mutual_info", quantile=.5, lr=1e-2)
    run = lr_study_run(tiny_model(), data, arm, calibration=calib["controller_history"], **kw)
    ch, rh = pd.DataFrame(calib["controller_history"]), pd.DataFrame(run["controller_history"])
    assert len(ch) == len(rh) == 3 * 5 // 2
    # the first decision: the same model, probe and masks as the calibration run measured
    assert rh.uncertainty.iloc[0] == pytest.approx(ch.mc_mutual_info.iloc[0], abs=1e-12)
    assert rh.threshold.iloc[0] == pytest.approx(ch.mc_mutual_info.median())
    assert run["decision_rates"]["hold"] == 0 and run["decision_rates"]["n"] == 7
    assert run["down_rate"] == run["decision_rates"]["down"] == pytest.approx((rh.decision == "down").mean())
    for key in ("test", "test_mc"):
        t = run[key]
        assert {"accuracy", "precision_macro", "recall_macro", "f1_macro", "nll", "ece", "mce"} <= set(t)
        assert 0 <= t["ece"] <= t["mce"] <= 1
    assert run["test"] != run["test_mc"]
    assert len(run["reliability"]) == len(run["reliability_mc"]) == 15
    assert sum(b["count"] for b in run["reliability_mc"]) == 120
    acc = [h["val_accuracy"] for h in run["history"]]
    expected = next((i + 1 for i, a in enumerate(acc) if a >= 0.3), None)
    assert run["epochs_to_threshold"] == expected and run["target"] == 0.3
    assert run["lr"] == 1e-2 and run["history"][0]["lr"] == 1e-2
    assert run["timings"]["estimate_seconds"] > 0


def test_lr_study_run_on_a_single_logit_model():
    data = _toy_with_test(n_out=1)
    run = lr_study_run(tiny_model(n_out=1), data, dict(controller="uncertainty", signal="vi", relative=1.0, lr=1e-2),
                       fit_kw=dict(epochs=2, batch_size=32), every="epoch", T=4, probe_size=16)
    assert run["status"] == "completed" and run["decision_rates"]["n"] == 2
    assert run["epochs_to_threshold"] is None and run["target"] is None
    assert len(run["test_mc"]) == len(run["test"]) and 0 <= run["test_mc"]["ece"] <= 1


def _result(method, seed, acc, reached, arm, lr=1e-3, dataset="d"):
    return dict(study="lr", dataset=dataset, method=method, seed=seed, lr=lr, status="completed", epochs=8, target=.7,
                epochs_to_threshold=reached, arm=arm | dict(lr=lr), decision_rates=dict(n=10, down=.2, up=.5, hold=.3, skip=0.),
                test=dict(accuracy=acc, ece=.1, f1_macro=acc, nll=.5), test_mc=dict(accuracy=acc, ece=.05))


def test_lr_table_and_verdicts_pair_by_seed_within_dataset_and_start_rate():
    from bnnstudy.lr import lr_table, lr_verdicts
    unc = dict(controller="uncertainty", signal="vi", relative=1.0)
    res = [_result("vi_rel1-lr1e-3", s, .8 + .01 * s, 3, unc) for s in range(5)]
    res += [_result("fixed-lr1e-3", s, .75 + .01 * s + .001 * (s % 2), None, dict(controller="fixed")) for s in range(5)]
    res += [_result("fixed-lr1e-2", s, .9, 2, dict(controller="fixed"), lr=1e-2) for s in range(5)]   # other start rate: not paired
    res += [dict(study="hpo", dataset="d", method="bnn", seed=0), dict(study="lr", dataset="d", method="fixed", seed=0)]   # skipped
    t = lr_table(res)
    assert len(t) == 15 and set(t.family) == {"vi_rel1", "fixed"}
    assert t.loc[t.arm == "vi_rel1-lr1e-3", "threshold"].unique().tolist() == ["rel1"]
    assert t.loc[t.arm == "vi_rel1-lr1e-3", "down"].tolist() == [.2] * 5
    v = lr_verdicts(t, claims={"test_accuracy": True, "epochs_to_threshold": False})
    assert set(v.start_lr) == {1e-3} and set(v.control) == {"fixed"} and len(v) == 2   # no uncertainty arm at 1e-2
    acc = v.set_index("metric").loc["test_accuracy"]
    assert acc.verdict == "better" and acc.n == 5 and acc.mean_diff == pytest.approx(.05 - .0004)
    ep = v.set_index("metric").loc["epochs_to_threshold"]
    assert ep.mean_diff == pytest.approx(3 - 9) and ep.verdict == "better"   # a miss counts as epochs + 1 = 9


def test_lr_verdicts_with_one_seed_say_so():
    from bnnstudy.lr import lr_table, lr_verdicts
    res = [_result("entropy_q50-lr1e-3", 0, .8, 3, dict(controller="uncertainty", signal="entropy", quantile=.5)),
           _result("warmup-lr1e-3", 0, .7, 3, dict(controller="warmup"))]
    v = lr_verdicts(lr_table(res), claims={"test_accuracy": True})
    assert v.verdict.tolist() == ["too few seeds"] and v.n.tolist() == [1]


def test_a_diverged_run_is_reported_without_test_metrics():
    data = _toy_with_test()
    model = tiny_model()
    with torch.no_grad(): model.head[1].weight.fill_(float("nan"))   # NaN outputs from the first step
    run = lr_study_run(model, data, dict(controller="uncertainty", signal="entropy", relative=1.0, lr=1e-2),
                       fit_kw=dict(epochs=2, batch_size=32), every=2, T=3, probe_size=16)
    assert run["status"] == "diverged" and "NaN" in run["test"]["error"] and run["reliability"] == []


def _study(n=5):
    unc = dict(controller="uncertainty", signal="entropy", quantile=.5)
    res = [_result("entropy_q50-lr1e-3", s, .8 + .01 * s, 3 + s % 2, unc) for s in range(n)]
    res += [_result("fixed-lr1e-3", s, .75 + .01 * s, None if s == 0 else 6, dict(controller="fixed")) for s in range(n)]
    return res


def test_every_reported_metric_is_a_claim_softmax_and_mc_dropout():
    from bnnstudy.lr import LR_CLAIMS, LR_REPORT_METRICS
    for p in ("test", "mc"):
        for k in ("accuracy", "precision_macro", "recall_macro", "f1_macro", "nll", "ece", "mce"):
            assert LR_CLAIMS[f"{p}_{k}"] is (k not in ("nll", "ece", "mce")) and f"{p}_{k}" in LR_REPORT_METRICS
    assert LR_CLAIMS["epochs_to_threshold"] is False and {"down", "up", "hold"} <= set(LR_REPORT_METRICS)


def test_summary_table_gives_a_t_interval_over_seeds_and_counts_misses():
    from scipy import stats
    from bnnstudy.lr import lr_table, lr_summary_table
    s = lr_summary_table(lr_table(_study())).set_index(["family", "metric"])
    acc = s.loc[("entropy_q50", "test_accuracy")]
    x = [.8 + .01 * k for k in range(5)]
    half = stats.t.ppf(.975, 4) * pd.Series(x).std() / 5 ** .5
    assert (acc.seeds, acc.n) == (5, 5) and acc["mean"] == pytest.approx(.82)
    assert (acc.low, acc.high) == pytest.approx((.82 - half, .82 + half))
    ep = s.loc[("fixed", "epochs_to_threshold")]
    assert ep.reached == 4 and ep["mean"] == pytest.approx((9 + 4 * 6) / 5)   # the miss at epochs + 1 = 9
    assert s.loc[("fixed", "hold"), "mean"] == pytest.approx(.3)


def test_formatted_tables_round_and_write_misses_as_misses():
    from bnnstudy.lr import lr_table, lr_summary_table, format_summary
    res = [r | dict(epochs_to_threshold=None) if r["method"].startswith("fixed") else r for r in _study()]
    f = format_summary(lr_summary_table(lr_table(res)), ["test_accuracy", "epochs_to_threshold"]).set_index("arm")
    assert list(f.columns) == ["dataset", "start rate", "seeds", "accuracy", "epochs to threshold"]
    assert f.loc["fixed", "epochs to threshold"] == "missed (0/5)"
    assert f.loc["entropy_q50", "epochs to threshold"].endswith("(5/5 reached)")
    assert f.loc["entropy_q50", "accuracy"].startswith("0.820 [") and f.loc["entropy_q50", "start rate"] == "0.001"


def test_verdict_grid_and_counts_cover_every_claim():
    from bnnstudy.lr import lr_table, lr_verdicts, verdict_grid, verdict_counts
    v = lr_verdicts(lr_table(_study()))
    g = verdict_grid(v, "test_accuracy")
    assert g.columns.tolist() == ["dataset", "start rate", "arm", "fixed"] and g.fixed.iloc[0].startswith("better (+0.050")
    c = verdict_counts(v)
    assert int(c[["better", "worse", "inconclusive", "not tested"]].to_numpy().sum()) == len(v)
    assert c.set_index("metric").loc["test_precision_macro", "not tested"] == 1   # not recorded: said, not dropped


def test_lr_figures_draw_and_say_when_there_is_nothing():
    import matplotlib
    matplotlib.use("Agg")
    from bnnstudy.lr import (lr_table, lr_summary_table, lr_verdicts, plot_verdicts, plot_decision_rates, plot_decisions,
                             plot_learning_curves, lr_reliability)
    t = lr_table(_study())
    assert len(plot_verdicts(lr_verdicts(t)).axes) == 1
    assert len(plot_decision_rates(lr_summary_table(t)).axes[0].patches) == 2 * 3
    empty = lr_table([])
    assert "no verdicts" in plot_verdicts(lr_verdicts(empty)).axes[0].texts[0].get_text()
    assert "no decisions" in plot_decision_rates(lr_summary_table(empty)).axes[0].texts[0].get_text()
    assert "no run" in plot_decisions([], "entropy_q50-lr1e-3").axes[0].texts[0].get_text()
    assert "no val_accuracy" in plot_learning_curves([]).axes[0].texts[0].get_text()
    assert lr_reliability([], "mc").empty


def test_a_metric_some_seeds_lack_says_over_how_many_seeds():
    from bnnstudy.lr import lr_table, lr_summary_table, format_summary
    res = _study()
    res[0] = res[0] | dict(status="diverged", test=dict(error="NaN outputs"), test_mc=dict(error="NaN outputs"))
    f = format_summary(lr_summary_table(lr_table(res)), ["test_accuracy"]).set_index("arm")
    assert f.loc["entropy_q50", "accuracy"].endswith("(4 of 5 seeds)") and "seeds)" not in f.loc["fixed", "accuracy"]
