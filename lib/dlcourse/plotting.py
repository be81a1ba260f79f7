"""Course figure style and the lecture's static figures (matplotlib).

Style: large fonts for a projector, thick lines, and the Okabe–Ito palette,
which stays distinguishable with the common forms of colour blindness.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

# Okabe & Ito (2008): colour-blind-safe qualitative palette
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, BLACK = PALETTE

STYLE = {
    "font.size": 14, "axes.titlesize": 16, "axes.labelsize": 15, "legend.fontsize": 12,
    "xtick.labelsize": 12, "ytick.labelsize": 12, "lines.linewidth": 2.5, "lines.markersize": 8,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "axes.grid": True, "grid.alpha": 0.3,
    "figure.dpi": 80, "savefig.dpi": 100, "image.cmap": "viridis", "axes.spines.top": False,
    "axes.spines.right": False,
}


def use_course_style():
    """Apply the course style to every figure that follows (a notebook's choice, at its top)."""
    plt.rcParams.update(STYLE)


def course_style():
    """The course style for the figures made inside ``with course_style():``; rcParams are restored after."""
    return matplotlib.rc_context(STYLE)


def cross_entropy_curve(ax=None):
    """−log p̂_Y against p̂_Y: more probability on the true class, smaller loss."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    p = np.linspace(0.005, 1, 400)
    ax.plot(p, -np.log(p), color=BLUE)
    ax.set_xlabel(r"$\hat p_Y$ (probability given to the true class)")
    ax.set_ylabel(r"$L(Y,\hat p) = -\log \hat p_Y$")
    ax.set_ylim(0, 5)
    return ax


def image_and_vector(image, label=None, axes=None):
    """A digit as a picture and as the flattened vector of input features X_1..X_p."""
    if axes is None:
        fig = plt.figure(figsize=(11, 3.2))
        axes = fig.add_gridspec(1, 3, width_ratios=[1, 4, 0.1]).subplots()[:2]
    ax_img, ax_vec = axes
    ax_img.imshow(image, cmap="gray_r")
    ax_img.set_title(f"image (label {label})" if label is not None else "image")
    ax_img.set_xticks([]), ax_img.set_yticks([]), ax_img.grid(False)
    vec = np.asarray(image).ravel()
    ax_vec.bar(np.arange(1, vec.size + 1), vec, color=BLUE, width=0.9)
    ax_vec.set_xlabel(rf"feature $j$ (pixel, row by row): $X_1,\dots,X_{{{vec.size}}}$")
    ax_vec.set_ylabel(r"$X_j$ (ink)")
    ax_vec.set_title("flattened into a vector of input features")
    return axes


def chord_counterexample(f, counterexample, ax=None):
    """F along a segment and the chord above which it rises: a picture of non-convexity."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    t, values, chord = counterexample.along(f)
    ax.plot(t, values, color=BLUE, label=r"$F(t\beta_a + (1-t)\beta_b)$")
    ax.plot(t, chord, "--", color=VERMILION, label="chord")
    ax.plot([counterexample.t], [counterexample.value], "o", color=BLACK, label="above the chord")
    ax.set_xlabel(r"$t$ along the segment from $\beta_b$ ($t=0$) to $\beta_a$ ($t=1$)")
    ax.set_ylabel(r"$F$")
    ax.legend()
    return ax


def loss_surface(a, b, values, ax=None, *, title="loss surface, a random 2-D slice"):
    """Contours of F on the plane β̂ + a·d1 + b·d2 (Li et al., 2018)."""
    ax = ax or plt.subplots(figsize=(6, 5))[1]
    cs = ax.contourf(a, b, values, levels=30, cmap="viridis")
    ax.contour(a, b, values, levels=15, colors="white", linewidths=0.6, alpha=0.6)
    ax.plot([0], [0], "*", color=ORANGE, markersize=16, label=r"trained $\hat\beta$")
    ax.figure.colorbar(cs, ax=ax, label=r"$F(\beta)$")
    ax.set_xlabel(r"direction $d_1$"), ax.set_ylabel(r"direction $d_2$"), ax.set_title(title)
    ax.legend(loc="upper right")
    return ax


def training_curves(histories, axes=None):
    """Loss and test accuracy per epoch for several training runs: {name: History}."""
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(12, 4))[1]
    ax_loss, ax_acc = axes
    for (name, h), colour in zip(histories.items(), PALETTE):
        epochs = np.arange(1, len(h.loss) + 1)
        ax_loss.plot(epochs, h.loss, "o-", color=colour, label=name)
        ax_acc.plot(epochs, h.test_accuracy, "o-", color=colour, label=name)
    ax_loss.set_xlabel("epoch"), ax_loss.set_ylabel("training loss (cross-entropy)")
    ax_acc.set_xlabel("epoch"), ax_acc.set_ylabel("test accuracy")
    ax_loss.legend(), ax_acc.legend()
    return axes


def epoch_time_table(rows):
    """An HTML table of (model, device, seconds per epoch, images per second) rows."""
    body = "".join(f"<tr><td>{m}</td><td>{d}</td><td>{s:.2f}</td><td>{ips:,.0f}</td></tr>" for m, d, s, ips in rows)
    return ("<table><tr><th>model</th><th>device</th><th>seconds per epoch</th><th>images per second</th></tr>"
            f"{body}</table>")


__all__ = ["PALETTE", "training_curves", "epoch_time_table", "STYLE", "use_course_style", "course_style",
           "cross_entropy_curve", "image_and_vector", "chord_counterexample", "loss_surface"]


def accuracy_along_lambda(lams, train_accuracy, validation_accuracy, ax=None):
    """Lecture 4: training and validation accuracy of the bag-of-words model along λ (log scale)."""
    ax = ax or plt.subplots(figsize=(11, 4.2))[1]
    ax.plot(lams, train_accuracy, "o-", color=BLUE, label="training")
    ax.plot(lams, validation_accuracy, "s--", color=VERMILION, label="validation")
    k = int(np.argmax(validation_accuracy))
    ax.plot([lams[k]], [validation_accuracy[k]], "*", color=BLACK, ms=18, label=r"best $\lambda$ on validation")
    ax.set_xscale("log"), ax.set_xlabel(r"$\lambda$"), ax.set_ylabel("accuracy")
    ax.legend()
    return ax


def top_words_bars(positive, negative, ax=None):
    """Lecture 4: the words with the largest positive and negative β̂_j, as horizontal bars."""
    ax = ax or plt.subplots(figsize=(11, 5.2))[1]
    words = [w for w, _ in negative[::-1]] + [w for w, _ in positive[::-1]]
    values = [b for _, b in negative[::-1]] + [b for _, b in positive[::-1]]
    ax.barh(range(len(words)), values, color=[VERMILION if v < 0 else BLUE for v in values])
    ax.set_yticks(range(len(words)), words)
    ax.axvline(0, color=BLACK, lw=1)
    ax.set_xlabel(r"$\hat\beta_j$  (blue: toward fresh, vermilion: toward rotten)")
    return ax


def positional_encoding_image(PE, ax=None):
    """Lecture 4: the sinusoidal positions, one row per position t, one column per dimension."""
    ax = ax or plt.subplots(figsize=(11, 4))[1]
    image = ax.imshow(PE.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
    ax.figure.colorbar(image, ax=ax, label="value")
    ax.grid(False)
    ax.set_xlabel("position t in the snippet"), ax.set_ylabel("dimension")
    return ax
