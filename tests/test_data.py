"bnnstudy.data on small synthetic Parquet folders: bad input, missing splits, sizes, cache, Hub-form equivalence."
import io, math, os, subprocess, sys, warnings
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from bnnstudy import data as D
from bnnstudy.data import DATASETS, load_data

WINE_COLS = list(D._WINE_FEATURES)

@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    "Each test gets its own cache folder and an empty memo; no data folder from the environment."
    monkeypatch.setenv("BNNSTUDY_CACHE", str(tmp_path/"cache"))
    monkeypatch.delenv("BNNSTUDY_DATA_DIR", raising=False)
    D._MEMO.clear()
    yield
    D._MEMO.clear()

def write(path, table):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path

def image_table(n, hwc=(28, 28, 1), seed=0, n_classes=10):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (n, *hwc), dtype=np.uint8)
    return pa.table({"image": pa.array([p.tobytes() for p in pixels], pa.binary()),
                     "label": pa.array(np.arange(n) % n_classes, pa.int64())}), pixels

def mnist_dir(root, n_train=200, n_test=50):
    write(root/"mnist"/"train.parquet", image_table(n_train, seed=1)[0])
    write(root/"mnist"/"test.parquet", image_table(n_test, seed=2)[0])
    return root

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()

def text_table(n, seed=0, n_classes=4):
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, rng.integers(3, 12))) + " <br />" for _ in range(n)]
    return pa.table({"text": texts, "label": pa.array(np.arange(n) % n_classes, pa.int64())})

def wine_table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    cols = {c: rng.normal(size=n) + i for i, c in enumerate(WINE_COLS)}
    return pa.table({**cols, "quality": pa.array(rng.integers(3, 9, n), pa.int64()),
                     "color": pa.array(["red" if i % 3 == 0 else "white" for i in range(n)])})

# --- bad input -------------------------------------------------------------------------------------------

def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'; known datasets: imdb, ag_news, mnist, cifar10, wine_quality"):
        load_data("cifar100")

def _run(code, tmp_path, **env):
    env = {**os.environ, "BNNSTUDY_CACHE": str(tmp_path/"cache"), "HF_HOME": str(tmp_path/"hf"),
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", **env}
    env.pop("BNNSTUDY_DATA_DIR", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)

def test_offline_without_local_files_is_one_line_naming_hub_and_data_dir(tmp_path):
    empty = tmp_path/"empty"; empty.mkdir()
    r = _run(f"from bnnstudy.data import load_data; load_data('mnist', data_dir={str(empty)!r})", tmp_path)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("FileNotFoundError: mnist is not available"), r.stderr[-2000:]
    assert "ylecun/mnist" in last and "BNNSTUDY_DATA_DIR" in last and str(empty) in last
    # the chained Hub exception is suppressed: the error is the only message
    assert "During handling" not in r.stderr

def test_local_files_need_no_hub(tmp_path):
    "With the files present, loading works with the Hub switched off."
    root = mnist_dir(tmp_path/"data")
    r = _run(f"from bnnstudy.data import load_data; d = load_data('mnist', data_dir={str(root)!r}); print(len(d.train))", tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "180"

def test_missing_column_names_file_and_column(tmp_path):
    write(tmp_path/"mnist"/"train.parquet", pa.table({"pixels": [b"x"], "label": [0]}))
    write(tmp_path/"mnist"/"test.parquet", image_table(5)[0])
    with pytest.raises(ValueError, match=r"train\.parquet does not have the mnist schema: column 'image' is missing"):
        load_data("mnist", data_dir=tmp_path)

def test_wrong_column_type_names_file(tmp_path):
    write(tmp_path/"imdb"/"train.parquet", pa.table({"text": ["a b"], "label": ["pos"]}))
    with pytest.raises(ValueError, match=r"imdb[/\\]train\.parquet .*column 'label' is string, not integer"):
        load_data("imdb", data_dir=tmp_path)

@pytest.mark.parametrize("damage", ["garbage", "truncated", "footer_cut", "empty"])
def test_corrupt_parquet_names_file(tmp_path, damage):
    path = mnist_dir(tmp_path)/"mnist"/"test.parquet"
    good = path.read_bytes()
    path.write_bytes({"garbage": b"this is not parquet at all", "truncated": good[:len(good)//2],
                      "footer_cut": good[:-3], "empty": b""}[damage])   # footer_cut: a copy that stopped 3 bytes short
    with pytest.raises(ValueError, match=r"test\.parquet is not a readable Parquet file"):
        load_data("mnist", data_dir=tmp_path)

def test_wrong_pixel_count_names_file_and_row(tmp_path):
    root = mnist_dir(tmp_path)
    t = image_table(10)[0]
    short = pa.array([b"\0"*784]*9 + [b"\0"*700], pa.binary())
    write(root/"mnist"/"test.parquet", t.set_column(0, "image", short))
    with pytest.raises(ValueError, match=r"test\.parquet: 1 rows of 'image' are not 784 raw bytes .*row 9 has 700"):
        load_data("mnist", data_dir=root)

def test_label_out_of_range_names_file(tmp_path):
    root = mnist_dir(tmp_path)
    t = image_table(10)[0]
    write(root/"mnist"/"test.parquet", t.set_column(1, "label", pa.array([0]*9 + [10], pa.int64())))
    with pytest.raises(ValueError, match=r"test\.parquet: label 10 in row 9 is outside 0\.\.9"):
        load_data("mnist", data_dir=root)

def test_bad_wine_colour_names_file(tmp_path):
    t = wine_table(20)
    write(tmp_path/"wine_quality"/"winequality.parquet", t.set_column(t.column_names.index("color"), "color", pa.array(["rose"]*20)))
    with pytest.raises(ValueError, match=r"winequality\.parquet: column 'color' holds \['rose'\]"):
        load_data("wine_quality", data_dir=tmp_path)

@pytest.mark.parametrize("kw, err, msg", [
    (dict(n_train=190), ValueError, "exceed the 200 training rows"),
    (dict(n_train="all"), TypeError, "int count or a float fraction"),
    (dict(n_val=1.0), ValueError, r"\[0, 1\)"),
    (dict(n_test=-3), ValueError, "n_test must be >= 0"),
    (dict(n_test=1.5), ValueError, r"n_test=1.5 is a fraction and must be in \[0, 1\]"),
    (dict(seed=-1), ValueError, "seed must be a non-negative integer"),
    (dict(n_train=0), ValueError, "leaves no training rows"),
])
def test_bad_sizes(tmp_path, kw, err, msg):
    with pytest.raises(err, match=msg):
        load_data("mnist", data_dir=mnist_dir(tmp_path), **kw)

def test_bad_text_settings(tmp_path):
    write(tmp_path/"imdb"/"train.parquet", text_table(20, n_classes=2))
    write(tmp_path/"imdb"/"test.parquet", text_table(10, n_classes=2))
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 3"):
        load_data("imdb", data_dir=tmp_path, vocab_size=2)
    with pytest.raises(ValueError, match="max_len must be a positive integer"):
        load_data("imdb", data_dir=tmp_path, max_len=0)

# --- splits ----------------------------------------------------------------------------------------------

def test_sizes_counts_and_fractions(tmp_path):
    root = mnist_dir(tmp_path)
    d = load_data("mnist", data_dir=root)
    assert (len(d.train), len(d.val), len(d.test)) == (180, 20, 50)
    d = load_data("mnist", data_dir=root, n_train=90, n_val=0.1, n_test=20)
    assert (len(d.train), len(d.val), len(d.test)) == (90, 10, 20)
    d = load_data("mnist", data_dir=root, n_train=0.5, n_val=30, n_test=0.5)
    assert (len(d.train), len(d.val), len(d.test)) == (85, 30, 25)
    assert torch.bincount(d.val.y, minlength=10).tolist() == [3]*10          # stratified
    d = load_data("mnist", data_dir=root, n_val=0)
    assert (len(d.train), len(d.val)) == (200, 0) and d.val.x.shape == (0, 1, 28, 28)

def test_seeded_determinism_and_disjoint_splits(tmp_path):
    root = mnist_dir(tmp_path)
    a, b = load_data("mnist", data_dir=root, seed=3), load_data("mnist", data_dir=root, seed=3, cache=False)
    c = load_data("mnist", data_dir=root, seed=4)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.val.rows, b.val.rows)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert not torch.equal(a.val.rows, c.val.rows)
    assert torch.equal(a.test.rows, c.test.rows)                              # test does not depend on the seed
    for d in (a, c):
        assert not set(d.train.rows.tolist()) & set(d.val.rows.tolist())
        assert len(set(d.train.rows.tolist()) | set(d.val.rows.tolist())) == 200

def test_missing_train_split_is_carved_with_a_warning(tmp_path):
    write(tmp_path/"ag_news"/"test.parquet", text_table(400))
    with pytest.warns(UserWarning, match=r"ag_news: .* has no train split, only test \(400 rows\); carved test \(80 rows\)"):
        d = load_data("ag_news", data_dir=tmp_path)
    assert len(d.warnings) == 1 and "carved" in d.warnings[0]
    assert (len(d.train), len(d.val), len(d.test)) == (288, 32, 80)
    rows = [set(s.rows.tolist()) for s in (d.train, d.val, d.test)]
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])
    assert torch.bincount(d.test.y).tolist() == [20]*4
    with pytest.warns(UserWarning, match=r"carved test \(100 rows\)"):
        d = load_data("ag_news", data_dir=tmp_path, n_test=100, n_train=50)   # n_test decides how much is carved
    assert (len(d.train), len(d.test)) == (50, 100)

def test_wine_is_carved_silently_and_standardised_on_train(tmp_path):
    write(tmp_path/"wine_quality"/"winequality.parquet", wine_table())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = load_data("wine_quality", data_dir=tmp_path)
    assert d.warnings == [] and d.augment is None and d.vocab is None
    assert d.features == WINE_COLS + ["is_white"] and d.input_shape == (12,)
    assert (len(d.train), len(d.val), len(d.test)) == (216, 24, 60)
    assert torch.allclose(d.train.x.mean(0), torch.zeros(12), atol=1e-5)
    assert torch.allclose(d.train.x.std(0, correction=0), torch.ones(12), atol=1e-4)
    assert d.train.y.dtype == torch.float32 and d.train.y.min() >= 3            # original units
    assert d.target_mean == pytest.approx(d.train.y.double().mean().item(), rel=1e-6)
    assert d.task == "regression" and d.n_classes == 1

# --- tensors ---------------------------------------------------------------------------------------------

def test_image_tensors_normalised_with_train_stats(tmp_path):
    d = load_data("mnist", data_dir=mnist_dir(tmp_path))
    assert d.train.x.shape == (180, 1, 28, 28) and d.train.x.dtype == torch.float32 and d.train.y.dtype == torch.int64
    raw = torch.from_numpy(np.stack([np.frombuffer(b, np.uint8) for b in
                           pq.read_table(tmp_path/"mnist"/"train.parquet").column("image").to_pylist()]))
    train_raw = raw[d.train.rows].double()/255
    assert d.stats["mean"][0] == pytest.approx(train_raw.mean().item(), rel=1e-9)
    assert d.stats["std"][0] == pytest.approx(train_raw.std(correction=0).item(), rel=1e-9)
    expected = ((train_raw - d.stats["mean"][0])/d.stats["std"][0]).float().view(-1, 1, 28, 28)
    assert torch.allclose(d.train.x, expected, atol=1e-5)

def test_augmentation_is_a_seeded_batch_function(tmp_path):
    d = load_data("mnist", data_dir=mnist_dir(tmp_path))
    x = d.train.x[:16]
    a = d.augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, d.augment(x, torch.Generator().manual_seed(0)))
    assert not torch.equal(a, d.augment(x, torch.Generator().manual_seed(1)))
    assert load_data("mnist", data_dir=tmp_path, augment=False).augment is None
    crop = D.RandomCropFlip(4, fill=(0., 0., 0.))
    y = torch.randn(64, 3, 32, 32)
    out = crop(y, torch.Generator().manual_seed(0))
    # every output is a shifted (maybe flipped) window of its input: its centre pixel appears in the input row
    centre = out[:, 0, 16, 16]
    assert all((y[i, 0] == centre[i]).any() for i in range(64))
    assert (out == 0).any()                                                   # some padding came in

def test_text_vocab_counts_train_rows_only(tmp_path):
    train = pa.table({"text": ["common onlytrain"]*8 + ["common onlyval"]*2, "label": [0, 1]*5})
    write(tmp_path/"imdb"/"train.parquet", train)
    write(tmp_path/"imdb"/"test.parquet", pa.table({"text": ["common onlytest <br /> Common"], "label": [1]}))
    d = load_data("imdb", data_dir=tmp_path, n_val=2, max_len=4)
    assert d.vocab[:2] == ["<pad>", "<unk>"] and "common" in d.vocab and "onlytest" not in d.vocab
    assert ("onlyval" in d.vocab) == any(r in (8, 9) for r in d.train.rows.tolist())
    assert d.test.x.tolist() == [[d.vocab.index("common"), 1, d.vocab.index("common"), 0]]
    assert d.train.x.dtype == torch.int64 and d.train.x.shape == (8, 4) and d.vocab_size == len(d.vocab)

def test_text_truncation_and_vocab_size(tmp_path):
    write(tmp_path/"imdb"/"train.parquet", text_table(50, n_classes=2))
    write(tmp_path/"imdb"/"test.parquet", text_table(10, seed=1, n_classes=2))
    d = load_data("imdb", data_dir=tmp_path, vocab_size=5, max_len=3)
    assert d.vocab_size == 5 and d.train.x.shape == (45, 3) and int(d.train.x.max()) <= 4

# --- cache -----------------------------------------------------------------------------------------------

def test_disk_cache_is_used_and_loads_without_pickle(tmp_path):
    root = mnist_dir(tmp_path/"data")
    load_data("mnist", data_dir=root)
    files = list((tmp_path/"cache"/"data").glob("mnist-*.pt"))
    assert len(files) == 1
    prep = torch.load(files[0], weights_only=True)
    assert prep["x/train"].dtype == torch.uint8 and prep["x/train"].shape == (200, 1, 28, 28)
    assert prep["hist/train"].shape == (1, 256) and int(prep["hist/train"].sum()) == 200*784
    assert torch.equal(prep["hist/test"][0], torch.bincount(prep["x/test"].reshape(-1), minlength=256))

def reference_image_splits(root, name, d):
    "What load_data returned before the cache kept pixel histograms: stats counted on the train pixels, then normalised."
    raw = {s: torch.from_numpy(np.stack([np.frombuffer(b, np.uint8) for b in
                                         pq.read_table(root/name/f"{s}.parquet").column("image").to_pylist()]))
           for s in ("train", "test")}
    h, w, c = D._IMAGE_SHAPE[name]
    raw = {s: x.view(-1, h, w, c).permute(0, 3, 1, 2).contiguous() for s, x in raw.items()}
    train = raw["train"][d.train.rows]
    levels = torch.arange(256, dtype=torch.float64)
    mean, std = [], []
    for ch in range(c):
        hist = torch.bincount(train[:, ch].reshape(-1), minlength=256).to(torch.float64)
        n = max(hist.sum().item(), 1.)
        m = (hist*levels).sum().item()/n
        var = max((hist*levels**2).sum().item()/n - m*m, 0.)
        mean.append(m/255); std.append(max(math.sqrt(var), 1e-3)/255)
    scale = (1/(255*torch.tensor(std))).view(1, c, 1, 1)
    shift = (-torch.tensor(mean)/torch.tensor(std)).view(1, c, 1, 1)
    xs = {k: raw[s][getattr(d, k).rows].to(torch.float32).mul_(scale).add_(shift)
          for k, s in (("train", "train"), ("val", "train"), ("test", "test"))}
    return xs, {"mean": mean, "std": std}

@pytest.mark.parametrize("name, hwc", [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
@pytest.mark.parametrize("kw", [{}, dict(n_train=40, n_test=20), dict(n_val=0)],   # stats counted as all minus the rest; directly; all rows
                         ids=["default", "subset", "no-val"])
def test_image_loads_are_bit_identical_fresh_from_disk_and_uncached(tmp_path, monkeypatch, name, hwc, kw):
    root = tmp_path/"data"
    write(root/name/"train.parquet", image_table(200, hwc=hwc, seed=1)[0])
    write(root/name/"test.parquet", image_table(50, hwc=hwc, seed=2)[0])
    fresh = load_data(name, data_dir=root, **kw)                     # empty cache: built from Parquet
    uncached = load_data(name, data_dir=root, cache=False, **kw)
    D._MEMO.clear()
    monkeypatch.setattr(D, "_read_local", lambda *a: pytest.fail("Parquet read although cached"))
    from_disk = load_data(name, data_dir=root, **kw)
    xs, stats = reference_image_splits(root, name, fresh)
    assert fresh.stats == stats
    for d in (uncached, from_disk):
        assert d.stats == stats and d.fingerprint == fresh.fingerprint
    for k in ("train", "val", "test"):
        want = xs[k]
        for d in (fresh, uncached, from_disk):
            got = getattr(d, k)
            assert got.x.dtype == torch.float32 and torch.equal(got.x, want), (k, d)
            assert torch.equal(got.y, getattr(fresh, k).y) and torch.equal(got.rows, getattr(fresh, k).rows)

def test_cache_key_holds_the_format(tmp_path, monkeypatch):
    "A prepared file of another format is never read: it has another name."
    root = mnist_dir(tmp_path/"data")
    load_data("mnist", data_dir=root)
    monkeypatch.setattr(D, "_FORMAT", D._FORMAT + 1)
    D._MEMO.clear()
    load_data("mnist", data_dir=root)
    formats = sorted(torch.load(f, weights_only=True)["format"] for f in (tmp_path/"cache"/"data").glob("mnist-*.pt"))
    assert formats == [D._FORMAT - 1, D._FORMAT]

def test_cache_survives_without_parquet_reads(tmp_path, monkeypatch):
    root = mnist_dir(tmp_path/"data")
    first = load_data("mnist", data_dir=root)
    D._MEMO.clear()
    monkeypatch.setattr(D, "_read_local", lambda *a: pytest.fail("Parquet read although cached"))
    second = load_data("mnist", data_dir=root)
    assert torch.equal(first.val.x, second.val.x)

def test_memo_returns_same_tensors_and_cache_false_bypasses(tmp_path, monkeypatch):
    root = mnist_dir(tmp_path/"data")
    a, b = load_data("mnist", data_dir=root), load_data("mnist", data_dir=root)
    assert a.train.x is b.train.x
    c = load_data("mnist", data_dir=root, cache=False)
    assert c.train.x is not a.train.x and torch.equal(c.train.x, a.train.x)
    nocache = tmp_path/"other-cache"
    monkeypatch.setenv("BNNSTUDY_CACHE", str(nocache))
    load_data("mnist", data_dir=root, cache=False)
    assert not (nocache/"data").exists()

def test_changed_file_is_reread_and_changes_fingerprint(tmp_path):
    root = mnist_dir(tmp_path)
    a = load_data("mnist", data_dir=root)
    write(root/"mnist"/"train.parquet", image_table(200, seed=9)[0])
    b = load_data("mnist", data_dir=root)
    assert a.fingerprint != b.fingerprint and not torch.equal(a.train.x, b.train.x)

def test_damaged_cache_entry_is_rebuilt(tmp_path):
    root = mnist_dir(tmp_path/"data")
    a = load_data("mnist", data_dir=root)
    (entry,) = (tmp_path/"cache"/"data").glob("mnist-*.pt")
    entry.write_bytes(b"broken")
    D._MEMO.clear()
    assert torch.equal(load_data("mnist", data_dir=root).train.x, a.train.x)

# --- the Hub form goes through the same path ---------------------------------------------------------------

def test_hub_image_form_matches_local(tmp_path):
    import datasets
    from PIL import Image
    info = DATASETS["cifar10"]
    t, pixels = image_table(12, hwc=(32, 32, 3))
    pngs = []
    for p in pixels:
        buf = io.BytesIO(); Image.fromarray(p).save(buf, format="PNG"); pngs.append(buf.getvalue())
    feats = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=list(info.classes))})
    hub = datasets.Dataset.from_dict({"img": [{"bytes": b, "path": None} for b in pngs], "label": t.column("label").to_pylist()},
                                     features=feats).data.table
    canon = D._from_hub(info, {"train": hub, "test": hub})
    assert canon["train"].column_names == ["image", "label"]
    got = D._prepare(info, canon, {"train": "hub", "test": "hub"}, "x")
    want = D._prepare(info, {"train": t, "test": t}, {"train": "local", "test": "local"}, "x")
    assert torch.equal(got["x/train"], want["x/train"]) and torch.equal(got["y/train"], want["y/train"])

def test_hub_wine_form_matches_local(tmp_path):
    info = DATASETS["wine_quality"]
    local = wine_table(30)
    def uci(color):
        rows = local.filter(pa.compute.equal(local.column("color"), color))
        names = {c: c.replace("_", " ") for c in WINE_COLS} | {"ph": "pH"}
        cols = {names[c]: rows.column(c) for c in WINE_COLS}
        if color == "white": cols["free sulfur dioxide"] = pa.array(np.round(rows.column("free_sulfur_dioxide").to_numpy()).astype(int))
        return pa.table({**cols, "quality": rows.column("quality")})
    canon = D._from_hub(info, {"red": uci("red"), "white": uci("white")})["train"]
    assert canon.column_names == WINE_COLS + ["quality", "color"]
    assert canon.num_rows == 30 and canon.column("color").to_pylist().count("red") == 10
    x, y, names = D._wine(canon, "hub")
    assert names[-1] == "is_white" and x.shape == (30, 12)

def test_memo_keeps_recent_entries_within_byte_budget(tmp_path, monkeypatch):
    root = mnist_dir(tmp_path/"data")
    a = load_data("mnist", data_dir=root, seed=1)
    monkeypatch.setattr(D, "_MEMO_BYTES", D._nbytes(a) + 1)
    b = load_data("mnist", data_dir=root, seed=2)
    assert len(D._MEMO) == 1 and load_data("mnist", data_dir=root, seed=2).train.x is b.train.x
    assert load_data("mnist", data_dir=root, seed=1).train.x is not a.train.x

def test_clear_cache(tmp_path):
    root = mnist_dir(tmp_path/"data")
    load_data("mnist", data_dir=root)
    assert D._MEMO and (tmp_path/"cache"/"data").is_dir() and (tmp_path/"cache"/"hf").is_dir()
    D.clear_cache()
    assert not D._MEMO and (tmp_path/"cache"/"data").is_dir()
    D.clear_cache(disk=True)
    assert not (tmp_path/"cache"/"data").exists() and not (tmp_path/"cache"/"hf").exists()


def test_numpy_integer_counts_are_accepted_and_share_the_cache_key(tmp_path):
    "issue 12 item 9: n_train=np.int64(100) failed on the JSON cache key."
    root = mnist_dir(tmp_path)
    a = load_data("mnist", data_dir=root, n_train=np.int64(100), n_val=np.int32(20), n_test=np.int64(30), seed=np.int64(1))
    b = load_data("mnist", data_dir=root, n_train=100, n_val=20, n_test=30, seed=1)
    assert (len(a.train), len(a.val), len(a.test)) == (100, 20, 30)
    assert a.fingerprint == b.fingerprint and torch.equal(a.train.x, b.train.x)
    c = load_data("mnist", data_dir=root, n_train=np.float64(0.5), n_val=np.float32(0.25))
    assert len(c.train) > 0
