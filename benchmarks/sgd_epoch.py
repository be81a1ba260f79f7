"""One epoch of minibatch SGD on the MNIST subset: dlcourse's numpy network against PyTorch (CPU).

Run:  .venv/bin/python benchmarks/sgd_epoch.py   (part of `make benchmark`)
Lecture 2's full setting: 784 → 128 → 10 ReLU network, softmax/cross-entropy, λ = 1e-4 on the
weights, γ = 0.2, batches of 32, 4,000 training images (125 steps). Both sides use the same
minibatches and run side by side in this one process; the median of several epochs is printed for

* dlcourse (numpy, float64: what the lecture runs),
* PyTorch, float64 (the same numbers: `dlcourse.torch.networks`, checked equal here),
* PyTorch, float32 with tensor indexing (how one usually writes it),

and the ratio dlcourse / PyTorch (goal: <= 1.5). Also prints the full setting's accuracy and time.
"""

import statistics
import time

import numpy as np
import torch

from dlcourse import data, networks, optim
from dlcourse.torch import networks as torch_networks

REPEATS, GAMMA, LAM, BATCH, SEED = 5, 0.2, 1e-4, 32, 0


def torch_epoch(seq, X, y, batches, weights):
    optimizer = torch.optim.SGD(seq.parameters(), lr=GAMMA)
    for rows in batches:
        idx = torch.as_tensor(rows)
        loss = torch.nn.functional.cross_entropy(seq(X[idx]), y[idx]) + LAM * sum((w ** 2).sum() for w in weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def median_time(fn):
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    train, test = data.load_mnist_subset("train"), data.load_mnist_subset("test")
    F = networks.neural_network(train.X, train.y, hidden=(128,), activation="relu", lam=LAM)
    beta0 = F.init(seed=SEED)
    batches = torch_networks.epoch_batches(F.n, batch_size=BATCH, epochs=1, seed=SEED)

    t_numpy = median_time(lambda: optim.sgd(F, beta0, learning_rate=GAMMA, batch_size=BATCH, epochs=1, seed=SEED))
    timings = {}
    for dtype in (torch.float64, torch.float32):
        seq = torch_networks.sequential_from(F.model, beta0, dtype=dtype)
        X, y = torch.as_tensor(train.X, dtype=dtype), torch.as_tensor(train.y)
        weights = [m.weight for m in seq if isinstance(m, torch.nn.Linear)]
        timings[dtype] = median_time(lambda seq=seq, X=X, y=y, w=weights: torch_epoch(seq, X, y, batches, w))

    # the float64 runs compute the same β (one epoch from the same start, the same minibatches)
    one = optim.sgd(F, beta0, learning_rate=GAMMA, batch_size=BATCH, epochs=1, seed=SEED)
    seq = torch_networks.sequential_from(F.model, beta0)
    X64, y64 = torch.as_tensor(train.X), torch.as_tensor(train.y)
    torch_epoch(seq, X64, y64, batches, [m.weight for m in seq if isinstance(m, torch.nn.Linear)])
    gap = np.max(np.abs(torch_networks.beta_from(seq) - one.beta))

    print(f"one SGD epoch, MNIST subset {train.X.shape}, 784→128→10 ReLU, batch {BATCH}, γ={GAMMA}, "
          f"median of {REPEATS}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"dlcourse numpy float64 {t_numpy * 1e3:8.1f} ms")
    print(f"PyTorch float64        {timings[torch.float64] * 1e3:8.1f} ms   ratio dlcourse/torch "
          f"{t_numpy / timings[torch.float64]:5.2f}   (max |Δβ| after one epoch {gap:.1e})")
    print(f"PyTorch float32        {timings[torch.float32] * 1e3:8.1f} ms   ratio dlcourse/torch "
          f"{t_numpy / timings[torch.float32]:5.2f}   (goal <= 1.5)")

    started = time.perf_counter()
    fit = optim.sgd(F, beta0, learning_rate=GAMMA, batch_size=BATCH, epochs=10, seed=SEED)
    seconds = time.perf_counter() - started
    accuracy = np.mean(F.predict(test.X, fit.beta) == test.y)
    print(f"lecture 2's full setting (10 epochs): test accuracy {accuracy:.1%} in {seconds:.1f} s (goal >= 92% in < 60 s)")


if __name__ == "__main__":
    main()
