"""Gradient descent on the digits (1797×64, float64, 500 steps): dlcourse against PyTorch (CPU).

Run:  make benchmark   (or  .venv/bin/python benchmarks/gd_softmax.py)
Prints the median time of several repetitions for each and the ratio dlcourse/torch
(goal: <= 1.0), for softmax regression (10 classes) and for logistic regression
(digit >= 5 against digit < 5). Both use the same γ, λ and starting point.
"""

import statistics
import subprocess
import sys
import time

import numpy as np
import torch

from dlcourse import objectives, optim
from dlcourse.data import load_digits

STEPS, REPEATS, GAMMA, LAM = 500, 7, 0.5, 1e-3


def torch_gd(X, y, K, steps):
    """The same objective and loop, written the way one writes it in PyTorch (autograd)."""
    Xt, yt = torch.tensor(X), torch.tensor(y)
    p = X.shape[1]
    beta = torch.zeros((p + 1) * K if K > 1 else p + 1, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        if K > 1:
            B = beta.reshape(p + 1, K)
            loss = torch.nn.functional.cross_entropy(B[0] + Xt @ B[1:], yt) + LAM * (B[1:] ** 2).sum()
        else:
            z = beta[0] + Xt @ beta[1:]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yt.double()) + LAM * (beta[1:] ** 2).sum()
        beta.grad = None
        loss.backward()
        with torch.no_grad():
            beta -= GAMMA * beta.grad
    return beta.detach().numpy(), loss.item()


def median_time(fn):
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    digits = load_digits()
    X = digits.X
    cases = [("softmax regression (K=10)", digits.y, 10, objectives.softmax_regression(X, digits.y, lam=LAM)),
             ("logistic regression", (digits.y >= 5).astype(np.int64), 1,
              objectives.logistic_regression(X, (digits.y >= 5).astype(np.int64), lam=LAM))]
    print(f"digits {X.shape}, {STEPS} steps of gradient descent, γ={GAMMA}, λ={LAM}, "
          f"median of {REPEATS}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, y, K, F in cases:
        t_dl, res = median_time(lambda F=F: optim.gradient_descent(F, np.zeros(F.n_params), learning_rate=GAMMA,
                                                                    n_steps=STEPS, tol=1e-300))
        t_pt, (beta_pt, _) = median_time(lambda y=y, K=K: torch_gd(X, y, K, STEPS))
        gap = np.max(np.abs(res.beta[: beta_pt.size] - beta_pt)) if res.n_steps == STEPS else float("nan")
        print(f"{name:28s} dlcourse {t_dl * 1e3:8.1f} ms   torch {t_pt * 1e3:8.1f} ms   "
              f"ratio dlcourse/torch {t_dl / t_pt:5.2f}   (max |Δβ| {gap:.1e})")
    t_numpy = import_ms("numpy")
    t_core = import_ms("dlcourse, dlcourse.optim, dlcourse.objectives, dlcourse.networks, dlcourse.data")
    print(f"import numpy alone: {t_numpy:.0f} ms;  import dlcourse with its numpy core (optim, objectives, "
          f"networks, data; numpy included): {t_core:.0f} ms;  difference {t_core - t_numpy:.0f} ms  (goal <= 30 ms)")


def import_ms(modules):
    """Median wall time of `import modules` in fresh interpreters."""
    code = f"import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return statistics.median(runs) * 1e3


if __name__ == "__main__":
    main()
