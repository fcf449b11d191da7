"""save_weights / load_weights: round trips; each bad file fails clearly and changes nothing."""
import os

import numpy as np
import pytest

import nn.weights
from nn import MLP, Affine, ReLU, Sequential, TwoLayerNet, load_weights, save_weights


def model(seed):
    return Sequential(Affine(3, 4, weight_init_std=1.0, rng=seed), ReLU(),
                      Affine(4, 2, weight_init_std=1.0, rng=seed + 1))


def snapshot(m):
    return {k: np.array(v, copy=True) for k, v in nn.weights._arrays(m).items()}


def assert_unchanged(m, before):
    after = snapshot(m)
    assert list(after) == list(before)
    assert all(np.array_equal(after[k], before[k]) for k in before)


def assert_refused(path, match=None) -> str:
    """Loading `path` into a fresh model fails with ValueError and changes no parameter."""
    m = model(1)
    before = snapshot(m)
    with pytest.raises(ValueError, match=match) as e:
        load_weights(m, path)
    assert_unchanged(m, before)
    return str(e.value)


def test_module_round_trip(tmp_path):
    a, b = model(0), model(10)
    path = tmp_path / "weights.npz"
    save_weights(a, path)
    arrays = [p.data for p in b.parameters()]
    load_weights(b, path)
    for (name, pa), pb, arr in zip(a.named_parameters(), b.parameters(), arrays):
        assert np.array_equal(pa.data, pb.data), name
        assert pb.data is arr  # copied in place: optimizers and layers keep their references
    with np.load(path) as f:  # names as state_dict names them
        assert sorted(f.files) == ["Affine1.W", "Affine1.b", "Affine2.W", "Affine2.b"]
    x = np.random.default_rng(0).normal(size=(5, 3))
    assert np.array_equal(a(x).data, b(x).data)


def test_path_used_as_given(tmp_path):
    path = tmp_path / "model.weights"
    save_weights(model(0), path)
    assert os.listdir(tmp_path) == ["model.weights"]  # no ".npz" appended, no temporary left
    load_weights(model(1), str(path))


def test_scalar_mlp_round_trip(tmp_path):
    a, b = MLP(2, [3, 1], rng=0), MLP(2, [3, 1], rng=1)
    save_weights(a, tmp_path / "mlp.npz")
    load_weights(b, tmp_path / "mlp.npz")
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_two_layer_net_round_trip(tmp_path):
    a, b = TwoLayerNet(5, 4, 3, weight_init_std=1.0, seed=0), TwoLayerNet(5, 4, 3, seed=1)
    path = tmp_path / "net.npz"
    save_weights(a, path)
    arrays = dict(b.params)
    load_weights(b, path)
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]) and b.params[k] is arrays[k]
    assert b.layers["Affine1"].W is b.params["W1"]
    x = np.random.default_rng(0).normal(size=(4, 5))
    assert np.array_equal(a.predict(x), b.predict(x))


def test_wrong_names_and_shapes_list_every_mismatch(tmp_path):
    m = model(0)
    before = snapshot(m)
    path = tmp_path / "bad.npz"
    np.savez(path, **{"Affine1.W": np.zeros((3, 5)), "Affine2.W": np.zeros((4, 2)),
                      "Affine2.b": np.zeros(2, dtype=np.float32), "extra": np.zeros(1)})
    with pytest.raises(ValueError) as e:
        load_weights(m, path)
    msg = str(e.value)
    assert str(path) in msg
    assert "missing: Affine1.b" in msg
    assert "unexpected: extra" in msg
    assert "Affine1.W" in msg and "(3, 5)" in msg and "(3, 4)" in msg
    assert "dtype of Affine2.b" in msg and "float32" in msg
    assert "Affine2.W" not in msg  # the one that fits is not reported
    assert_unchanged(m, before)  # Affine2.W fitted, but nothing was copied


def test_two_layer_net_mismatch(tmp_path):
    save_weights(TwoLayerNet(5, 4, 3, seed=0), tmp_path / "w.npz")
    other = TwoLayerNet(5, 6, 3, seed=1)
    before = snapshot(other)
    with pytest.raises(ValueError) as e:
        load_weights(other, tmp_path / "w.npz")
    assert all(k in str(e.value) for k in ("W1", "b1", "W2"))
    assert "b2" not in str(e.value)
    assert_unchanged(other, before)


def test_truncated_file(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(model(0), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, 30, len(data) - 10):
        path.write_bytes(data[:cut])
        assert_refused(path, "not a readable")


def test_garbage_bytes(tmp_path):
    path = tmp_path / "garbage.npz"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    assert str(path) in assert_refused(path)


def test_corrupted_member(tmp_path):
    path = tmp_path / "w.npz"
    save_weights(model(0), path)
    data = bytearray(path.read_bytes())
    data[100:140] = b"\xff" * 40  # inside the first array: header or data, the CRC catches it
    path.write_bytes(bytes(data))
    assert_refused(path, "not a readable")


def test_object_array_refused(tmp_path):
    path = tmp_path / "pickled.npz"
    state = {k: v for k, v in model(0).state_dict().items()}
    state["Affine1.b"] = np.array([{"evil": 1}, None, 1, 2], dtype=object)  # needs pickle
    np.savez(path, **state)
    assert str(path) in assert_refused(path)


def test_single_npy_refused(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.zeros(3))
    assert_refused(path, "not a readable")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_weights(model(0), tmp_path / "nope.npz")


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    save_weights(model(0), path)
    good = path.read_bytes()

    def broken_savez(f, *args, **kwargs):
        f.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save_weights(model(1), path)
    assert path.read_bytes() == good  # the old file is intact
    with pytest.raises(OSError):
        save_weights(model(1), tmp_path / "new.npz")
    assert os.listdir(tmp_path) == ["w.npz"]  # no new file, no temporary left behind


def test_rejects_other_objects(tmp_path):
    with pytest.raises(TypeError):
        save_weights(object(), tmp_path / "x.npz")
