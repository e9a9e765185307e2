"Behaviour of bnnstudy.models beyond the notebook's examples: padding, seeding, ranges, build_model errors."
import inspect
from types import SimpleNamespace
import pytest
import torch
from torch import nn
from bnnstudy import models as M


def _tokens(gen, n, t, vocab=40):
    x = torch.randint(1, vocab, (n, t), generator=gen)
    for i, length in enumerate(torch.randint(1, t + 1, (n,), generator=gen).tolist()): x[i, length:] = 0
    return x


@pytest.mark.parametrize("cls,kw", [(M.BiLSTMAttention, dict(n_classes=3)), (M.LSTMClassifier, {})])
def test_text_outputs_ignore_padding_and_other_rows(cls, kw):
    gen = torch.Generator().manual_seed(0)
    model = cls(vocab_size=40, embed_dim=6, units=5, **kw).eval()
    x = _tokens(gen, 8, 15)
    padded = torch.cat([x, torch.zeros(8, 20, dtype=torch.long)], 1)
    with torch.no_grad():
        together = model(padded)
        alone = torch.cat([model(row[None, :int(M.token_lengths(row[None]))]) for row in x])
    torch.testing.assert_close(together, alone, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_text_lstm_equals_the_packed_sequence_computation(bidirectional):
    "Same outputs, final states and gradients as pack_padded_sequence + PyTorch's (Bi)LSTM with the same weights."
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    gen = torch.Generator().manual_seed(1)
    encoder = M.TextLSTM(40, 6, 5, bidirectional=bidirectional)
    reference = nn.LSTM(6, 5, batch_first=True, bidirectional=bidirectional)
    with torch.no_grad():
        for name, w in encoder.lstm.named_parameters(): getattr(reference, name).copy_(w)
        if bidirectional:
            for name, w in encoder.lstm_backward.named_parameters(): getattr(reference, name + "_reverse").copy_(w)
    x = _tokens(gen, 9, 14)
    x[0] = 0   # an all-padding row counts as one (padding) token
    lengths = M.token_lengths(x)
    assert lengths.tolist()[0] == 1 and lengths.max() <= 14
    out, last, mask = encoder(x)
    packed, (h, _) = reference(pack_padded_sequence(encoder.embedding(x), lengths, batch_first=True, enforce_sorted=False))
    packed = pad_packed_sequence(packed, batch_first=True)[0]
    torch.testing.assert_close(out, packed, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(last, torch.cat(list(h), 1), atol=1e-6, rtol=1e-5)
    assert torch.equal(mask, torch.arange(out.shape[1]) < lengths[:, None])
    ours = torch.autograd.grad((out ** 2).sum() + last.sum(), list(encoder.lstm.parameters()))
    theirs = torch.autograd.grad((packed ** 2).sum() + h.sum(), [reference.weight_ih_l0, reference.weight_hh_l0,
                                                                 reference.bias_ih_l0, reference.bias_hh_l0])
    for a, b in zip(ours, theirs): torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_reverse_padded_is_an_involution():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(5, 7, 3, generator=gen)
    lengths = torch.tensor([7, 1, 3, 5, 2])
    once = M.reverse_padded(x, lengths)
    assert torch.equal(M.reverse_padded(once, lengths), x)
    assert torch.equal(once[2, :3], x[2, :3].flip(0)) and torch.equal(once[2, 3:], x[2, 3:])


def test_lstm_classifier_uses_the_state_after_the_last_real_token():
    model = M.LSTMClassifier(vocab_size=40, embed_dim=6, units=5).eval()
    x = torch.tensor([[5, 9, 3, 0, 0], [4, 4, 4, 4, 4]])
    with torch.no_grad():
        _, (h, _) = model.trunk.encoder.lstm(model.trunk.encoder.embedding(x[:1, :3]))
        torch.testing.assert_close(model.trunk(x)[:1], h[-1])
    assert model(x).shape == (2, 1)


def test_all_padding_row_is_finite():
    model = M.BiLSTMAttention(vocab_size=40, n_classes=2, embed_dim=6, units=5).eval()
    with torch.no_grad(): assert torch.isfinite(model(torch.zeros(2, 7, dtype=torch.long))).all()


def test_text_models_reject_float_input():
    with pytest.raises(TypeError, match="integer token ids"):
        M.LSTMClassifier(vocab_size=40)(torch.randn(2, 5))


def test_mlp_predicts_in_original_units_and_saves_the_target_stats():
    model = M.MLPRegressor(11, neurons=8, layers=2, target_mean=5.8, target_std=0.9).eval()
    x = torch.randn(4, 11, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw = model.head[1](model.trunk(x)).squeeze(-1)
        torch.testing.assert_close(model(x), raw * 0.9 + 5.8)
    state = model.state_dict()
    assert state["head.2.target_mean"].item() == pytest.approx(5.8)
    clone = M.MLPRegressor(11, neurons=8, layers=2)
    clone.load_state_dict(state)
    with torch.no_grad(): torch.testing.assert_close(clone.eval()(x), model(x))


def test_dropout_lives_only_in_the_head_of_every_model():
    for name, cls in M.MODELS.items():
        required = {k: v for k, v in dict(vocab_size=30, n_classes=3, in_channels=1, img_size=8, n_features=4).items()
                    if k in inspect.signature(cls).parameters}
        model = cls(**required)
        assert isinstance(model, M.TrunkHead)
        assert not any(isinstance(m, nn.Dropout) for m in model.trunk.modules()), name
        assert any(isinstance(m, nn.Dropout) for m in model.head.modules()), name


def test_mc_samples_runs_the_trunk_once():
    model = M.ImageCNN(1, 10, 8, filters=4, dense=16, dropout=0.5)
    calls = []
    model.trunk.register_forward_hook(lambda *a: calls.append(1))
    x = torch.randn(3, 1, 8, 8)
    s = M.mc_samples(model, x, 7)
    assert len(calls) == 1 and s.shape == (7, 3, 10)
    assert not torch.equal(M.mc_samples(model, x, 2), M.mc_samples(model, x, 2))   # no generator: fresh masks
    assert model.training   # mode restored


# --- build_model -----------------------------------------------------------------------------------------
# Any object with the contract's attributes works; these stand-ins mirror bnnstudy.data.Data's properties.
def _data(name, task, modality, n_classes, input_shape, vocab_size=None, target_mean=None, target_std=None):
    return SimpleNamespace(info=SimpleNamespace(name=name, task=task, modality=modality, n_classes=n_classes),
                           n_classes=n_classes, input_shape=input_shape, vocab_size=vocab_size,
                           target_mean=target_mean, target_std=target_std)

DATA = dict(imdb=_data("imdb", "binary", "text", 2, (32,), vocab_size=100),
            ag_news=_data("ag_news", "multiclass", "text", 4, (32,), vocab_size=100),
            mnist=_data("mnist", "multiclass", "image", 10, (1, 28, 28)),
            cifar10=_data("cifar10", "multiclass", "image", 10, (3, 32, 32)),
            wine_quality=_data("wine_quality", "regression", "tabular", 1, (11,), target_mean=5.8, target_std=0.87),
            digits=_data("digits", "multiclass", "tabular", 10, (64,)))   # a registered table (mlp_classifier)


def _example_input(data, n=3):
    if data.info.modality == "text": return torch.randint(0, data.vocab_size, (n, *data.input_shape))
    return torch.randn(n, *data.input_shape)


@pytest.mark.parametrize("dataset", sorted(M.DEFAULT_MODEL))
def test_default_models_fit_their_data(dataset):
    data = DATA[dataset]
    model = M.build_model(M.DEFAULT_MODEL[dataset], data, lr=1e-3, batch_size=32)   # training args are ignored
    with torch.no_grad(): out = model.eval()(_example_input(data))
    assert out.shape == ((3,) if data.info.task == "regression" else (3, data.n_classes))


def test_lstm_on_imdb_gives_one_logit():
    with torch.no_grad(): out = M.build_model("lstm", DATA["imdb"]).eval()(_example_input(DATA["imdb"]))
    assert out.shape == (3, 1)


@pytest.mark.parametrize("name", sorted(M.HPARAM_RANGES))
def test_every_range_end_builds_a_working_model(name):
    data = DATA[({v: k for k, v in M.DEFAULT_MODEL.items()} | {"mlp_classifier": "digits"}).get(name, "imdb")]
    for end in (0, 1):
        params = {}
        for k, spec in M.HPARAM_RANGES[name].items():
            assert isinstance(spec, tuple) and spec[0] in ("float", "int", "choice")
            params[k] = spec[1][end - 1] if spec[0] == "choice" else spec[1 + end]
        model = M.build_model(name, data, **params)
        with torch.no_grad(): assert torch.isfinite(model.eval()(_example_input(data))).all()


def test_seed_makes_weights_reproducible_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    a = M.build_model("cnn", DATA["mnist"], seed=3, filters=8)
    b = M.build_model("cnn", DATA["mnist"], seed=3, filters=8)
    c = M.build_model("cnn", DATA["mnist"], seed=4, filters=8)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.trunk[0].weight, c.trunk[0].weight)


def test_build_model_errors():
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        M.build_model("resnet", DATA["mnist"])
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['units'\] for model 'cnn'"):
        M.build_model("cnn", DATA["mnist"], units=64)
    with pytest.raises(ValueError, match="come from the data"):
        M.build_model("cnn", DATA["mnist"], n_classes=5)
    with pytest.raises(ValueError, match="needs image classification data, but 'imdb' is text binary; use 'bilstm_attention'"):
        M.build_model("cnn", DATA["imdb"])
    with pytest.raises(ValueError, match="needs text binary data"):
        M.build_model("lstm", DATA["ag_news"])
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        M.build_model("cnn", DATA["mnist"], kernel_size=4)
    with pytest.raises(ValueError, match="dropout must be a probability"):
        M.build_model("bilstm_attention", DATA["imdb"], dropout=1.5)


def test_split_hparams():
    assert M.split_hparams(dict(lr=1e-3, batch_size=32, units=64)) == (dict(units=64), dict(lr=1e-3, batch_size=32))


def test_mlp_classifier_takes_registered_tables_and_register_model_adds_a_model():
    "issue 13 item 9: a tabular classifier for registered datasets, and user models with their search space."
    data = DATA["digits"]
    with torch.no_grad(): assert M.build_model("mlp_classifier", data, neurons=16).eval()(_example_input(data)).shape == (3, 10)
    with pytest.raises(ValueError, match="needs tabular classification data"): M.build_model("mlp_classifier", DATA["mnist"])
    def builder(d, width=4): return nn.Linear(d.input_shape[0], width)
    M.register_model("user_linear", builder, {"width": ("int", 2, 8)})
    try:
        assert M.build_model("user_linear", data, width=3, lr=0.1).out_features == 3
        assert M.HPARAM_RANGES["user_linear"] == {"width": ("int", 2, 8)}
        with pytest.raises(ValueError, match="built-in"): M.register_model("cnn", builder, {})
    finally:
        for d in (M.MODELS, M._BUILDERS, M.HPARAM_RANGES): d.pop("user_linear", None)
