"""Lecture 4's explorers: median time per slider move (compute + redraw), goal < 50 ms; and numpy
attention against PyTorch's on the CPU, as a ratio.

    .venv/bin/python benchmarks/explorers_lecture4.py
"""

import statistics
import time

import numpy as np
import torch

from dlcourse.text import scaled_dot_product_attention
from dlcourse.widgets.attention import AttentionFigure, VanishingFigure


def median_ms(figure, settings):
    figure.update(**settings[0])
    figure.png()                                  # the first draw caches the background
    times = []
    for values in settings:
        started = time.perf_counter()
        figure.update(**values)
        figure.png()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main():
    vanishing = median_ms(VanishingFigure(), [{"scale": s} for s in np.linspace(0.3, 2.0, 35)])
    rng = np.random.default_rng(0)
    weights = [rng.dirichlet(np.ones(14), size=14) for _ in range(3)]
    tokens = [[f"w{i}" for i in range(14)]] * 3
    attention = median_ms(AttentionFigure(weights, tokens), [{"snippet": 0, "query": q % 14} for q in range(30)])
    print(f"vanishing-gradient explorer: median {vanishing:.1f} ms per move (goal < 50 ms)")
    print(f"attention explorer (word slider): median {attention:.1f} ms per move (goal < 50 ms)")
    Q, K, V = rng.normal(size=(3, 64, 40, 32))
    mask = np.arange(40) < rng.integers(5, 41, size=64)[:, None]
    tq, tk, tv, tm = (torch.tensor(a) for a in (Q, K, V, mask[:, None, :]))
    ours = min(_time(lambda: scaled_dot_product_attention(Q, K, V, mask[:, None, :])) for _ in range(5))
    theirs = min(_time(lambda: torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)) for _ in range(5))
    print(f"attention, 64 snippets x 40 words x d=32 (float64, CPU): numpy {1000 * ours:.2f} ms, "
          f"PyTorch {1000 * theirs:.2f} ms, ratio numpy/PyTorch {ours / theirs:.1f}")


def _time(fn, repeat=20):
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


if __name__ == "__main__":
    main()
