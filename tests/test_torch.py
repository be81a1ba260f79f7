"""dlcourse.torch: devices, models, the training loop, and lecture 1 in PyTorch; DDP with torchrun."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dlcourse import objectives, optim
from dlcourse import torch as dtorch
from dlcourse.data import load_digits

ROOT = Path(__file__).resolve().parents[1]


def test_pick_device_prints_its_choice(capsys):
    device = dtorch.pick_device()
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device.type in (expected, "mps")
    assert capsys.readouterr().out.startswith(f"device: {device.type}")
    with pytest.raises(ValueError, match=r"prefer: expected 'cuda', 'mps' or 'cpu', got 'tpu'"):
        dtorch.pick_device("tpu")


@pytest.fixture(scope="module")
def images():
    return dtorch.load_images("mnist-subset").subset(600, 200)


def test_mnist_subset_images(images):
    full = dtorch.load_images("mnist-subset")
    assert full.X_train.shape == (4000, 1, 28, 28) and full.X_test.shape == (1000, 1, 28, 28)
    assert set(full.y_train.tolist()) == set(range(10)) and 0 <= full.X_train.min() and full.X_train.max() == 1


def test_fashion_mnist_images():
    data = dtorch.load_images("fashion-mnist")
    assert data.X_train.shape == (60000, 1, 28, 28) and data.X_test.shape == (10000, 1, 28, 28)


@pytest.mark.parametrize("kind", ["softmax", "mlp", "cnn"])
def test_models_give_scores_per_class(kind, images):
    model = dtorch.make_model(kind)
    assert model(images.X_train[:5]).shape == (5, 10)


def test_training_is_deterministic_on_cpu_and_learns(images):
    runs = []
    for _ in range(2):
        dtorch.seed_everything(3)                      # the same initial weights
        model = dtorch.make_model("mlp")
        h = dtorch.train(model, images, epochs=3, device="cpu", seed=3, progress=False)
        runs.append((h, [p.detach().clone() for p in model.parameters()]))
    (h1, p1), (h2, p2) = runs
    assert h1.loss == h2.loss and all(torch.equal(a, b) for a, b in zip(p1, p2))
    assert h1.loss[-1] < h1.loss[0] and h1.test_accuracy[-1] > 0.6
    assert len(h1.seconds) == 3 and min(h1.images_per_second) > 0


def test_softmax_regression_in_torch_matches_dlcourse_numpy():
    digits = load_digits()
    F = objectives.softmax_regression(digits.X, digits.y, lam=1e-2)
    beta_np = optim.gradient_descent(F, np.zeros(F.n_params), learning_rate=0.5, n_steps=200, tol=1e-300).beta
    beta_t = dtorch.softmax_regression_gd(digits.X, digits.y, lam=1e-2, learning_rate=0.5, n_steps=200).numpy()
    np.testing.assert_allclose(beta_t, beta_np, rtol=1e-10, atol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"kind: expected 'softmax', 'mlp' or 'cnn'"):
        dtorch.make_model("rnn")
    with pytest.raises(ValueError, match=r"name: expected one of \['fashion-mnist', 'mnist-subset'\], got 'cifar'"):
        dtorch.load_images("cifar")
    with pytest.raises(ValueError, match=r"epochs, batch_size, learning_rate"):
        dtorch.train(dtorch.make_model("softmax"), None, epochs=0)


def _run(args, out):
    cmd = [*args, str(ROOT / "benchmarks" / "train_images.py"), "--model", "mlp", "--dataset", "mnist-subset",
           "--epochs", "2", "--n-train", "2000", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_ddp_on_two_cpu_processes_matches_one_process(tmp_path):
    torchrun = Path(sys.executable).parent / "torchrun"
    _run([sys.executable], tmp_path / "single")
    ddp = _run([str(torchrun), "--standalone", "--nproc_per_node=2"], tmp_path / "ddp")
    assert "x 2 process(es)" in ddp and "images/s" in ddp and "time to 97% test accuracy" in ddp
    r0, r1 = (torch.load(tmp_path / "ddp" / f"weights-rank{r}.pt") for r in (0, 1))
    one = torch.load(tmp_path / "single" / "weights-rank0.pt")
    for name in r0["state"]:
        assert torch.equal(r0["state"][name], r1["state"][name]), name            # identical replicas
        torch.testing.assert_close(r0["state"][name], one["state"][name], rtol=1e-4, atol=1e-4)
    assert abs(r0["test_accuracy"] - one["test_accuracy"]) <= 0.01


def test_training_leaves_no_global_state_changed(images):
    before = torch.are_deterministic_algorithms_enabled()
    dtorch.train(dtorch.make_model("softmax"), images.subset(64, 16), epochs=1, device="cpu", progress=False)
    assert torch.are_deterministic_algorithms_enabled() == before
