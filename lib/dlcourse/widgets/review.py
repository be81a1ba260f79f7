"""Lecture 5's figures: the unit's models side by side, and the tabular comparison as a chart.

The compute is in `dlcourse.review` (the models as layers) and `dlcourse.tabular` (the comparison).
"""

import matplotlib.pyplot as plt
import numpy as np

from .. import graphs
from ..plotting import BLUE, GREEN, ORANGE, PURPLE, VERMILION

RNN = "rnn"      # an entry of `draw_models` that draws lecture 4's recurrent network unrolled


def draw_models(models, *, figsize=(13, 4.2), rnn_steps=3):
    """Draw each {title: model, list of Layers, or RNN} in one row of panels; returns the figure.

    Figures take the style in force (`plotting.use_course_style()` at the notebook's top).
    """
    fig, axes = plt.subplots(1, len(models), figsize=figsize, squeeze=False)
    for ax, (title, model) in zip(axes[0], models.items()):
        if isinstance(model, str) and model == RNN:
            graphs.draw_rnn_unrolled(rnn_steps, ax=ax, title=title)
        else:
            graphs.draw_model(model, ax=ax, max_inputs=4, max_units=4, title=title)
    fig.tight_layout()
    return fig


def comparison_chart(comparison, *, figsize=(13, 4.2)):
    """Left: mean test RMSE ± one sd over the splits (the mean-only baseline dashed); right: CPU seconds to fit."""
    colours = {"ridge": BLUE, "lasso": GREEN, "random forest": ORANGE, "network": VERMILION}
    names = list(comparison.results)
    rmse = np.array([comparison.results[n].mean_rmse for n in names])
    spread = np.array([comparison.results[n].test_rmse.std() for n in names])
    seconds = np.array([comparison.results[n].fit_seconds.mean() for n in names])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    y = np.arange(len(names))
    ax1.barh(y, rmse, xerr=spread, color=[colours.get(n, PURPLE) for n in names], capsize=6)
    ax1.axvline(comparison.baseline_rmse.mean(), color="black", ls="--", lw=2, label="mean only")
    ax1.set_yticks(y, names), ax1.invert_yaxis()
    ax1.set_xlabel("test RMSE (lower is better)"), ax1.set_ylabel("model")
    ax1.legend(loc="lower right")
    ax2.barh(y, seconds, color=[colours.get(n, PURPLE) for n in names])
    ax2.set_yticks(y, names), ax2.invert_yaxis()
    ax2.set_xlabel("CPU seconds to tune and fit"), ax2.set_ylabel("model")
    fig.tight_layout()
    return fig


__all__ = ["draw_models", "comparison_chart", "RNN"]
