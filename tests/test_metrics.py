"Edge cases of bnnstudy.metrics that do not belong in the notebook: import cost, tensors, brute-force cross-checks."
import subprocess, sys
import numpy as np
import pytest
from bnnstudy import metrics as M


def test_import_does_not_load_torch():
    code = "import sys, bnnstudy.metrics; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def _random_probs(rng, n, c, sharpness=3.0):
    return M.probabilities(rng.normal(size=(n, c)) * sharpness)


def _brute_force_ece(probs, y, n_bins):
    "Guo et al.'s loop: bins (lower, upper], ECE weighted by counts, MCE over non-empty bins."
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, n_bins + 1)
    ece, gaps = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            gap = abs(np.mean(pred[inside] == y[inside]) - conf[inside].mean())
            ece += inside.mean() * gap
            gaps.append(gap)
    return ece, max(gaps)


@pytest.mark.parametrize("n_bins", [1, 10, 15])
def test_calibration_matches_the_reference_loop(n_bins):
    rng = np.random.default_rng(n_bins)
    probs = _random_probs(rng, 500, 4)
    y = rng.integers(0, 4, 500)
    cal = M.calibration(probs, y, n_bins=n_bins)
    ece, mce = _brute_force_ece(probs, y, n_bins)
    assert cal.ece == pytest.approx(ece) and cal.mce == pytest.approx(mce)
    assert cal.bins["count"].sum() == 500 and len(cal.bins) == n_bins
    assert list(cal.bins.columns) == ["bin_lower", "bin_upper", "count", "confidence", "accuracy"]


def test_torch_tensors_are_accepted():
    import torch
    logits = torch.randn(50, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = torch.randint(0, 3, (50,), generator=torch.Generator().manual_seed(1))
    probs = M.probabilities(logits)
    assert isinstance(probs, np.ndarray) and probs.shape == (50, 3)
    from_tensors = M.classification_metrics(torch.softmax(logits, 1), y, "multiclass")
    assert from_tensors == pytest.approx(M.classification_metrics(probs, y.numpy(), "multiclass"), rel=1e-5)
    assert M.regression_metrics(torch.arange(4.), torch.arange(4.)[:, None])["r2"] == 1.0
    assert M.epochs_to_threshold(torch.tensor([.1, .6, .7]), .5) == 2


def test_float32_softmax_rows_pass_the_sum_check():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1000, 10)).astype(np.float32) * 10
    z = np.exp(logits - logits.max(1, keepdims=True))
    probs32 = (z / z.sum(1, keepdims=True)).astype(np.float32)
    assert 0 <= M.cross_entropy(probs32, rng.integers(0, 10, 1000)) < 100


def test_bad_probabilities_are_rejected():
    with pytest.raises(ValueError, match="rows summing to 1"):
        M.calibration([[.7, .7]], [0])
    with pytest.raises(ValueError, match="rows summing to 1"):
        M.cross_entropy([[1.5, -.5]], [0])
    with pytest.raises(ValueError, match="rows summing to 1"):
        M.cross_entropy([[np.nan, 1.]], [0])
    with pytest.raises(ValueError, match=r"shape \(N, C\) with C >= 2"):
        M.classification_metrics([.2, .8], [1], "binary")
    with pytest.raises(ValueError, match="probs is empty"):
        M.calibration(np.zeros((0, 3)), [])
    with pytest.raises(ValueError, match="y_true is empty"):
        M.regression_metrics([], [])
    with pytest.raises(ValueError, match="NaN or infinite logits"):
        M.probabilities([[np.inf, 0.]])
    with pytest.raises(ValueError, match="integer class ids"):
        M.accuracy([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="single logit"):
        M.accuracy([0, 1], [[.3], [.9]])
    with pytest.raises(ValueError, match="mode must be"):
        M.epochs_to_threshold([1.], 1., mode="up")


def test_integral_float_labels_from_a_bce_target_work():
    assert M.accuracy(np.array([0., 1., 1.]), [0, 1, 0]) == pytest.approx(2 / 3)


def test_temperature_is_the_nll_minimum():
    rng = np.random.default_rng(3)
    true_logits = rng.normal(size=(400, 5)) * 2
    y = np.array([rng.choice(5, p=p) for p in M.probabilities(true_logits)])
    T = M.temperature_scale(true_logits * 3, y)   # over-confident by a factor of three
    grid = np.exp(np.linspace(np.log(.5), np.log(10), 2001))
    nll = [M.cross_entropy(M.probabilities(true_logits * 3 / t), y, eps=0) for t in grid]
    assert T == pytest.approx(grid[int(np.argmin(nll))], rel=2e-3)
    assert 2 < T < 4.5


def test_temperature_bounds_are_checked():
    with pytest.raises(ValueError, match="0 < low < high"):
        M.temperature_scale([[1., 0.]], [0], bounds=(2., 1.))


def test_macro_f1_matches_scikit_learn_on_random_labels():
    from sklearn.metrics import f1_score
    rng = np.random.default_rng(7)
    y, p = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    assert M.precision_recall_f1(y, p)["f1"] == pytest.approx(f1_score(y, p, average="macro"))
    assert M.precision_recall_f1(y, p, "micro")["f1"] == pytest.approx(M.accuracy(y, p))


def test_reliability_diagram_draws_one_bar_per_filled_bin():
    import matplotlib
    matplotlib.use("Agg")
    cal = M.calibration([[.1, .9], [.95, .05], [.3, .7], [.72, .28], [.62, .38]], [1, 1, 1, 1, 0])
    ax = M.reliability_diagram(cal)
    filled = int((cal.bins["count"] > 0).sum())
    assert len(ax.patches) == 2 * filled   # accuracy bars and gap bars
    assert "ECE 0.370" in ax.get_title()
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


# ---- issue 11: epochs to a plateau and paired verdicts -------------------------------------------------------

def test_epochs_to_plateau_is_the_first_epoch_near_the_best():
    curve = [.50, .60, .691, .70, .695, .68]
    assert M.epochs_to_plateau(curve, tol=.01) == 3 and M.epochs_to_plateau(curve, tol=0) == 4
    assert M.epochs_to_plateau(curve, tol=.5) == 1
    assert M.epochs_to_plateau([3., 2., 1.05, 1., 1.2], tol=.1, mode="min") == 3
    assert M.epochs_to_plateau(np.array([np.nan, .2, np.nan, .9])) == 4
    with pytest.raises(ValueError, match="mode must be"): M.epochs_to_plateau([1.], mode="up")


def test_paired_t_interval_matches_scipy():
    from scipy import stats
    rng = np.random.default_rng(11)
    a, b = rng.normal(.8, .02, 7), rng.normal(.79, .02, 7)
    v = M.paired_verdict(a, b, level=.9)
    ci = stats.ttest_rel(a, b).confidence_interval(.9)
    assert (v["low"], v["high"]) == pytest.approx((ci.low, ci.high))
    assert v["mean_diff"] == pytest.approx(np.mean(a - b)) and v["n"] == 7


def test_paired_verdict_reads_the_interval_and_is_antisymmetric():
    a, b = [.9, .92, .91, .93, .9], [.8, .83, .8, .82, .81]
    for method in ("t", "bootstrap"):
        assert M.paired_verdict(a, b, method=method)["verdict"] == "better"
        assert M.paired_verdict(b, a, method=method)["verdict"] == "worse"
        assert M.paired_verdict(a, b, method=method, higher_is_better=False)["verdict"] == "worse"
        assert M.paired_verdict(b, a, method=method, higher_is_better=False)["verdict"] == "better"
    noisy = M.paired_verdict([.9, .7, .85, .72], [.8, .8, .8, .8])
    assert noisy["low"] < 0 < noisy["high"] and noisy["verdict"] == "inconclusive"
    assert M.paired_verdict([1., 1., 1.], [1., 1., 1.])["verdict"] == "inconclusive"   # no difference at all


def test_paired_bootstrap_is_seeded_and_inside_the_data_range():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 12), rng.normal(0, 1, 12)
    one, two = (M.paired_verdict(a, b, method="bootstrap", n_boot=3000, seed=s) for s in (1, 1))
    assert one == two
    d = a - b
    assert d.min() <= one["low"] <= one["mean_diff"] <= one["high"] <= d.max()
    assert M.paired_verdict(a, b, method="bootstrap", n_boot=3000, seed=2)["low"] != one["low"]


def test_paired_verdict_refuses_what_it_cannot_judge():
    with pytest.raises(ValueError, match="samples"): M.paired_verdict([1., 2.], [1., 2., 3.])
    with pytest.raises(ValueError, match="fill misses"): M.paired_verdict([1., None], [1., 2.])
    with pytest.raises(ValueError, match="method must be"): M.paired_verdict([1., 2.], [0., 0.], method="wilcoxon")
    with pytest.raises(ValueError, match="level must be"): M.paired_verdict([1., 2.], [0., 0.], level=95)
    # the shared core.check_real rule: a string is refused with the same one-line ValueError, not a TypeError from `<`
    with pytest.raises(ValueError, match=r"level must be a number in \(0, 1\), like 0.95, got '0.95'"):
        M.paired_verdict([1., 2.], [0., 0.], level="0.95")


def test_metric_arguments_use_the_core_checks():
    with pytest.raises(ValueError, match="n_bins must be a positive integer, got True"): M.calibration([[.5, .5]], [0], n_bins=True)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0, got nan"): M.epochs_to_plateau([.1, .2], tol=float("nan"))
    with pytest.raises(ValueError, match="tol must be a finite number >= 0, got True"): M.epochs_to_plateau([.1, .2], tol=True)
