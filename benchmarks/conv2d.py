"""dlcourse's vectorized numpy convolution against torch.nn.functional.conv2d on the CPU, side by side.

Run:  .venv/bin/python benchmarks/conv2d.py
Goal: numpy / torch ≤ 3 (the teaching code is fast enough to use, not just to read). Both run on the
same inputs in float64 with the same number of threads, alternating, and the ratio of the medians of
the repeats is printed for each shape (a lecture-sized batch and a homework-sized one).
"""

import functools
import statistics
import time

import numpy as np
import torch

from dlcourse import conv

GOAL = 3.0
SHAPES = [  # (n, C, H, W), (C_out, C, k, k), padding, stride
    ((64, 1, 28, 28), (16, 1, 3, 3), 1, 1),
    ((64, 16, 14, 14), (32, 16, 3, 3), 1, 1),
    ((8, 3, 32, 32), (8, 3, 5, 5), 2, 2),
]


def _median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main(repeats=21):
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    worst = 0.0
    for x_shape, w_shape, padding, stride in SHAPES:
        x, W, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
        xt, Wt, bt = torch.tensor(x), torch.tensor(W), torch.tensor(b)
        ours = conv.conv2d(x, W, b, padding=padding, stride=stride)
        theirs = torch.nn.functional.conv2d(xt, Wt, bt, padding=padding, stride=stride).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)   # the same numbers first
        ours = functools.partial(conv.conv2d, x, W, b, padding=padding, stride=stride)
        theirs = functools.partial(torch.nn.functional.conv2d, xt, Wt, bt, padding=padding, stride=stride)
        t_numpy, t_torch = [], []
        for _ in range(3):                                                  # alternate, to share any noise
            t_numpy.append(_median_ms(ours, repeats))
            t_torch.append(_median_ms(theirs, repeats))
        ratio = statistics.median(t_numpy) / statistics.median(t_torch)
        worst = max(worst, ratio)
        print(f"x {x_shape}, W {w_shape}, padding {padding}, stride {stride}: numpy {statistics.median(t_numpy):.2f} ms, "
              f"torch {statistics.median(t_torch):.2f} ms, ratio {ratio:.2f} (goal ≤ {GOAL:g})")
    print(f"worst ratio {worst:.2f}: {'ok' if worst <= GOAL else 'ABOVE GOAL'}")
    return worst


if __name__ == "__main__":
    main()
