"fit's contract on real data: determinism, divergence as a status, callbacks, early stopping, augmentation."
import dataclasses, math
import pytest, torch
from bnnstudy.data import load_data
from bnnstudy.models import build_model
from bnnstudy.train import Callback, evaluate, fit, predict

@pytest.fixture(scope="module", autouse=True)
def one_thread():
    "The models here are tiny: one thread is faster than two, and far faster on a shared machine."
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

@pytest.fixture(scope="module")
def wine(): return load_data("wine_quality", seed=0, n_train=1000, n_val=200, n_test=200)

@pytest.fixture(scope="module")
def mnist(): return load_data("mnist", seed=0, n_train=384, n_val=128, n_test=128)

@pytest.fixture(scope="module")
def imdb(): return load_data("imdb", seed=0, n_train=256, n_val=64, n_test=64, max_len=32, vocab_size=2000)

def _fit(data, name="mlp", seed=0, model_kw=None, **kw):
    kw = dict(epochs=2, progress=False) | kw
    return fit(build_model(name, data, seed=0, **(model_kw or {})), data, seed=seed, **kw)

def _same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))

def test_same_seed_is_bit_identical_and_another_seed_differs(wine):
    runs = [_fit(wine, seed=s, epochs=3, model_kw=dict(dropout=0.2)) for s in (0, 0, 1)]
    hist = [r.history.drop(columns="epoch_time") for r in runs]
    assert hist[0].equals(hist[1]) and _same_weights(runs[0].model, runs[1].model)
    assert not hist[0].equals(hist[2]) and not _same_weights(runs[0].model, runs[2].model)

def test_augmented_image_training_is_bit_identical(mnist):
    assert mnist.augment is not None   # the data module's random rotation, drawn from fit's generator
    a, b = (_fit(mnist, "cnn", epochs=1) for _ in range(2))
    assert a.history.drop(columns="epoch_time").equals(b.history.drop(columns="epoch_time"))
    assert _same_weights(a.model, b.model)

def test_divergence_is_a_status_not_an_exception(wine):
    r = _fit(wine, lr=1e10, epochs=3)
    assert r.status == "diverged" and "non-finite" in r.error
    assert len(r.history) == 1 and math.isnan(r.history.train_loss.iloc[0])

def test_an_exploding_but_finite_loss_is_diverged(mnist):
    "lr=1e6 on the MNIST CNN: the loss reaches ~1e29 and stays finite; that ends the run as diverged, not completed."
    cut = lambda s, n: type(s)(s.x[:n], s.y[:n])
    data = dataclasses.replace(mnist, train=cut(mnist.train, 128), val=cut(mnist.val, 64))
    r = _fit(data, "cnn", lr=1e6, epochs=3, batch_size=32, model_kw=dict(filters=8))
    assert r.status == "diverged" and "exploded past 1000 times its start" in r.error, (r.status, r.error)
    assert len(r.history) == 1 and math.isfinite(r.history.train_loss.iloc[0]) and r.history.train_loss.iloc[0] > 1e3
    assert _fit(data, "cnn", lr=1e6, epochs=1, batch_size=32, model_kw=dict(filters=8), diverge_factor=None).status == "completed"
    with pytest.raises(ValueError, match="diverge_factor"): _fit(data, "cnn", epochs=1, diverge_factor=0.5)

def test_nonfinite_validation_outputs_diverge(wine):
    class Poison(Callback):   # weights turn NaN after the last batch: the training loss stays finite
        def after_batch(self, state):
            if state.step == 2 * math.ceil(len(wine.train) / 64):
                with torch.no_grad():
                    for p in state.model.parameters(): p.fill_(float("nan"))
    r = _fit(wine, epochs=3, callbacks=[Poison()])
    assert r.status == "diverged" and "validation" in r.error
    assert len(r.history) == 2 and math.isfinite(r.history.train_loss.iloc[1])

def test_callback_exceptions_propagate(wine):
    class Broken(Callback):
        def after_epoch(self, state): raise RuntimeError("bug in a callback")
    with pytest.raises(RuntimeError, match="bug in a callback"): _fit(wine, callbacks=[Broken()])

def test_callbacks_set_lr_add_columns_and_stop(wine):
    events = []
    class Schedule(Callback):
        def before_fit(self, state): events.append("before_fit")
        def before_epoch(self, state):
            for g in state.optimizer.param_groups: g["lr"] = 1e-3 * (state.epoch + 1)
        def after_epoch(self, state):
            state.log["doubled"] = 2 * state.log["train_loss"]
            state.stop = state.epoch == 1
        def after_fit(self, state): events.append(("after_fit", len(state.history)))
    r = _fit(wine, epochs=5, callbacks=[Schedule()])
    assert r.status == "stopped" and list(r.history.lr) == [1e-3, 2e-3]
    assert list(r.history.doubled) == list(2 * r.history.train_loss)
    assert events == ["before_fit", ("after_fit", 2)]

def test_stop_in_after_batch_ends_the_epoch_early(wine):
    class StopAt(Callback):
        def after_batch(self, state): state.stop = state.step == 3; self.step = state.step
    cb = StopAt()
    r = _fit(wine, epochs=3, callbacks=[cb])
    assert r.status == "stopped" and cb.step == 3 and len(r.history) == 1 and "val_loss" in r.history

def test_callbacks_run_in_order(wine):
    seen = []
    class Mark(Callback):
        def __init__(self, order): self.order = order
        def before_fit(self, state): seen.append(self.order)
    _fit(wine, epochs=1, callbacks=[Mark(2), Mark(-1), Mark(0)])
    assert seen == [-1, 0, 2]

def test_early_stopping_restores_the_best_weights(wine):
    class Score(Callback):   # a monitored column with a known best epoch (1)
        def after_epoch(self, state): state.log["score_loss"] = [3., 1., 2., 4., 5., 6.][state.epoch]
    r = _fit(wine, epochs=6, patience=2, monitor="score_loss", callbacks=[Score()])
    assert r.status == "early_stopped" and r.best_epoch == 1 and len(r.history) == 4
    assert r.best.score_loss == 1.0
    assert evaluate(r.model, wine.val, wine.task)["mse"] == pytest.approx(r.history.val_mse.iloc[1], rel=1e-5)
    kept = _fit(wine, epochs=6, patience=2, monitor="score_loss", callbacks=[Score()], restore_best=False)
    assert evaluate(kept.model, wine.val, wine.task)["mse"] == pytest.approx(kept.history.val_mse.iloc[3], rel=1e-5)

def test_monitor_must_be_a_history_column(wine):
    with pytest.raises(ValueError, match="monitor 'val_acc' is not a history column"):
        _fit(wine, monitor="val_acc", patience=2)

@pytest.mark.parametrize("kw, match", [(dict(epochs=0), "epochs must be a positive integer"),
                                       (dict(batch_size=2.5), "batch_size must be a positive integer"),
                                       (dict(optimizer="sgd"), "optimizer must be one of"),
                                       (dict(lr=-1.0), "lr must be a positive finite number, like 1e-3, got -1.0"),
                                       (dict(lr="1e-3"), "lr must be a positive finite number"),
                                       (dict(patience=-1), "patience must be None or a non-negative")])
def test_bad_arguments_fail_clearly(wine, kw, match):
    with pytest.raises(ValueError, match=match): _fit(wine, **kw)

def test_adamw_and_weight_decay_reach_the_optimizer(wine):
    class Peek(Callback):
        def before_fit(self, state): self.opt = state.optimizer
    cb = Peek()
    _fit(wine, epochs=1, optimizer="adamw", weight_decay=0.01, callbacks=[cb])
    assert type(cb.opt) is torch.optim.AdamW
    assert cb.opt.defaults["weight_decay"] == 0.01 and cb.opt.defaults["eps"] == 1e-7

def test_single_logit_binary_model_trains_with_bce(imdb):
    r = _fit(imdb, "lstm", epochs=1, batch_size=32)
    assert r.status == "completed" and {"val_accuracy", "val_f1_binary", "val_ece"} <= set(r.history)
    test = evaluate(r.model, imdb.test, imdb.task)
    assert 0 <= test["accuracy"] <= 1 and predict(r.model, imdb.test.x).shape == (len(imdb.test), 1)

def test_augment_runs_on_training_batches_only(mnist):
    sizes = []
    def record(xb, gen):
        assert isinstance(gen, torch.Generator)
        sizes.append(len(xb)); return xb
    data = dataclasses.replace(mnist, augment=record)
    _fit(data, "cnn", epochs=1, batch_size=128)
    assert sizes == [128] * 3
    sizes.clear(); _fit(data, "cnn", epochs=1, augment=False)
    assert sizes == []

def test_without_validation_the_training_loss_is_monitored(wine):
    data = dataclasses.replace(wine, val=type(wine.val)(wine.val.x[:0], wine.val.y[:0]))
    r = _fit(data, epochs=3, patience=5)
    assert "val_loss" not in r.history and r.best_epoch == int(r.history.train_loss.idxmin())

def test_predict_keeps_the_models_mode(wine):
    model = build_model("mlp", wine, seed=0, dropout=0.5).train()
    a, b = predict(model, wine.test.x, batch_size=7), predict(model, wine.test.x)
    # another batch size takes other BLAS kernels (the last bits differ on some CPUs): equal up to float32 rounding
    assert model.training and a.shape == (len(wine.test),)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)

def test_progress_bar_can_be_shown(wine, capsys):
    _fit(wine, epochs=1, progress=True)
    assert "batch" in capsys.readouterr().err
