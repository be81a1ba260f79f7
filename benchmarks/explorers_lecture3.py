"""Median time of one update of lecture 3's filter explorer (compute + redraw to PNG).

Run:  .venv/bin/python benchmarks/explorers_lecture3.py
Goal: under 50 ms, so moving a slider or typing a number feels immediate. The settings cycle through
every named filter, padding and stride, as a student would, so no update repeats the previous one.
"""

import itertools
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from dlcourse import conv, data  # noqa: E402
from dlcourse.widgets.convolution import FeatureMapFigure  # noqa: E402

GOAL_MS = 50


def main(repeats=3):
    image = data.load_fashion_mnist("test").images[0]
    figure = FeatureMapFigure(image)
    figure.update("vertical edge", 0, 1)
    figure.png()                                   # the first draw caches the static background
    settings = list(itertools.product(conv.FILTERS, (0, 1, 2), (1, 2, 3))) * repeats
    times = []
    for name, padding, stride in settings:
        t0 = time.perf_counter()
        figure.update(name, padding, stride)
        figure.png()
        times.append((time.perf_counter() - t0) * 1e3)
    median = statistics.median(times)
    print(f"filter explorer: median {median:.1f} ms, max {max(times):.1f} ms over {len(times)} updates "
          f"(goal < {GOAL_MS} ms): {'ok' if median < GOAL_MS else 'SLOW'}")
    return median


if __name__ == "__main__":
    main()
