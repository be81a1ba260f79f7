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


_BACKEND_READY = False


def _resolve_backend():
    # rc_context restores every rcParam on exit: if pyplot sets up its backend (Jupyter's inline
    # backend changes rcParams as it starts) inside one, that set-up is undone and later figures of
    # the notebook stop showing. Set the backend up once, before the first context.
    global _BACKEND_READY
    if not _BACKEND_READY:
        plt.switch_backend(plt.get_backend())
        _BACKEND_READY = True


def course_style():
    """The course style for the figures made inside ``with course_style():``; rcParams are restored after."""
    _resolve_backend()
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
        fig = plt.figure(figsize=(12, 3.4))
        axes = fig.add_gridspec(1, 2, width_ratios=[1, 4]).subplots()
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


def activation_curves(axes=None):
    """g(Z) and g'(Z) for the sigmoid, tanh and ReLU (lecture 2), one panel each."""
    from .functions import ACTIVATIONS

    if axes is None:
        axes = plt.subplots(1, 3, figsize=(13, 3.2), sharey=True)[1]
    z = np.linspace(-4, 4, 401)
    for ax, name in zip(axes, ("sigmoid", "tanh", "relu")):
        g = ACTIVATIONS[name]
        ax.plot(z, g(z), color=BLUE, label="$g(Z)$")
        ax.plot(z, g.derivative(z), "--", color=ORANGE, label="$g'(Z)$")
        ax.set_title({"relu": "ReLU"}.get(name, name)), ax.set_xlabel("$Z$")
        ax.set_ylim(-1.2, 2.2)
    axes[0].set_ylabel("$A = g(Z)$"), axes[0].legend(loc="upper left")
    return axes


def training_curves_with_validation(runs, ax=None):
    """F on the training and on the validation data per epoch, for {name: OptimizeResult with validation}."""
    ax = ax or plt.subplots(figsize=(10, 4.5))[1]
    for (name, result), colour in zip(runs.items(), PALETTE):
        epochs = np.arange(len(result.values))
        ax.plot(epochs, result.values, color=colour, lw=2, label=f"{name}: training")
        ax.plot(epochs, result.validation_values, "--", color=colour, lw=2.5, label=f"{name}: validation")
        best = int(np.argmin(result.validation_values))
        ax.plot([best], [result.validation_values[best]], "o", color=colour, ms=10)
    ax.set_xlabel("epoch"), ax.set_ylabel(r"$F(\beta)$ (mean cross-entropy)")
    ax.set_yscale("log")
    ax.legend(ncol=2, fontsize=11)
    return ax


def gradient_spread_plot(sizes, measured, theory, ax=None):
    """E‖∇F_B − ∇F‖² against the batch size B (log–log): measured, and σ²/B·(n−B)/(n−1)."""
    ax = ax or plt.subplots(figsize=(8, 4.2))[1]
    ax.loglog(sizes, theory, "-", color=BLUE, label=r"theory $\frac{\sigma^2}{B}\cdot\frac{n-B}{n-1}$")
    ax.loglog(sizes, measured, "o", color=VERMILION, ms=9, label="measured (400 minibatches each)")
    ax.set_xlabel("batch size $B$"), ax.set_ylabel(r"$E\,\|\nabla F_B - \nabla F\|^2$")
    ax.legend()
    return ax


__all__ = ["activation_curves", "training_curves_with_validation", "gradient_spread_plot",
           "PALETTE", "training_curves", "epoch_time_table", "STYLE", "use_course_style", "course_style",
           "cross_entropy_curve", "image_and_vector", "chord_counterexample", "loss_surface"]


# --- contrast on white (WCAG 2) and the colours that pass it -------------------------------------

def contrast_ratio(colour, background="#ffffff"):
    """WCAG 2 contrast ratio (L1 + 0.05) / (L2 + 0.05) of two colours (1 to 21).

    Text needs at least 4.5:1 on its background, lines and markers at least 3:1.
    """
    from matplotlib.colors import to_rgb

    def luminance(c):
        rgb = np.array(to_rgb(c))
        rgb = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(rgb @ [0.2126, 0.7152, 0.0722])

    hi, lo = sorted([luminance(colour), luminance(background)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Okabe–Ito's orange, sky blue and yellow are too light for a line on white (2.3, 2.3 and 1.3:1):
# lines use the members that pass 3:1, plus a darkened orange of the same hue.
DARK_ORANGE = "#A86400"
LINE_PALETTE = [BLUE, VERMILION, GREEN, PURPLE, BLACK, DARK_ORANGE]
# Text in a figure (titles, direct labels) needs 4.5:1: blue, black, and a darker vermilion.
TEXT_RED = "#B34700"
TEXT_PALETTE = [BLUE, BLACK, TEXT_RED, DARK_ORANGE]
# Ten or more lines: colour × line style, so that no two lines look alike (and a legend names them).
LINE_STYLES = ["-", "--", ":", "-."]


def line_style(j):
    """(colour, linestyle) of line j: the 6 line colours, then again dashed, dotted, ..."""
    return LINE_PALETTE[j % len(LINE_PALETTE)], LINE_STYLES[(j // len(LINE_PALETTE)) % len(LINE_STYLES)]


def gradient_step(ax=None, *, beta=2.0, learning_rate=0.3):
    """One gradient-descent step on F(β) = β²: the tangent at β (slope ∇F(β) = 2β) and the step −γ∇F(β)."""
    ax = ax or plt.subplots(figsize=(11, 4.4))[1]
    b = np.linspace(-2.6, 2.6, 300)
    ax.plot(b, b ** 2, color=BLUE, label=r"$F(\beta)=\beta^2$")
    slope = 2 * beta
    t = np.linspace(beta - 1.1, beta + 0.6, 2)
    ax.plot(t, beta ** 2 + slope * (t - beta), "--", color=BLACK, lw=2,
            label=rf"tangent: slope $\nabla F(\beta)={slope:g}$")
    new = beta - learning_rate * slope
    ax.annotate("", xy=(new, -0.35), xytext=(beta, -0.35),
                arrowprops=dict(arrowstyle="-|>", color=VERMILION, lw=3, mutation_scale=25))
    ax.text((beta + new) / 2, -0.55, rf"step $-\gamma\nabla F(\beta) = {-learning_rate * slope:g}$"
            rf" ($\gamma={learning_rate:g}$)", color=TEXT_RED, ha="center", va="top", fontsize=15)
    ax.plot([beta], [beta ** 2], "o", color=BLACK, ms=11, label=rf"$\beta={beta:g}$")
    ax.plot([new], [new ** 2], "o", color=VERMILION, ms=11, label=rf"new $\beta={new:g}$")
    ax.vlines([beta, new], -0.35, [beta ** 2, new ** 2], colors="0.5", lw=1, ls=":")
    ax.set_xlabel(r"$\beta$"), ax.set_ylabel(r"$F(\beta)$")
    ax.set_ylim(-1.6, 7), ax.set_xlim(-2.6, 2.6)
    ax.legend(loc="upper center", ncol=2)
    return ax


__all__ += ["contrast_ratio", "LINE_PALETTE", "TEXT_PALETTE", "DARK_ORANGE", "TEXT_RED", "line_style",
            "gradient_step"]


# --- lecture 3: images ------------------------------------------------------------------------

def image_grid(images, titles=None, *, ncols=8, cmap="gray", symmetric=False, size=1.6, suptitle=None):
    """Images (m, h, w) in a grid with optional titles; `symmetric` centres a diverging map on 0
    (filters, feature maps). Returns the figure."""
    images = np.asarray(images, dtype=float)
    m = len(images)
    ncols = min(ncols, m)
    nrows = -(-m // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.5 if suptitle else 0)),
                             squeeze=False)
    top = np.abs(images).max() or 1.0
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k >= m:
            continue
        if symmetric:
            ax.imshow(images[k], cmap="PuOr_r", vmin=-top, vmax=top)
        else:
            ax.imshow(images[k], cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize=13)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def examples_per_class(images, y, class_names, *, per_class=6, seed=0, size=0.55):
    """A grid with one row per class: `per_class` random examples of each (`size` inches), the class name on the left."""
    images, y = np.asarray(images), np.asarray(y)
    rng = np.random.default_rng(seed)
    K = len(class_names)
    fig, axes = plt.subplots(K, per_class, figsize=(size * per_class + 2.2, size * K), squeeze=False)
    for k in range(K):
        picks = rng.choice(np.flatnonzero(y == k), size=per_class, replace=False)
        for ax, i in zip(axes[k], picks):
            ax.imshow(images[i], cmap="gray")
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
        axes[k, 0].set_ylabel(class_names[k], rotation=0, ha="right", va="center", fontsize=14)
    fig.subplots_adjust(wspace=0.05, hspace=0.08, left=0.22, right=0.99, top=0.99, bottom=0.01)
    return fig


def confusion_matrix(C, class_names, ax=None):
    """A confusion matrix C[k, l] (true class k, predicted l) as a heat map with the counts written in."""
    C = np.asarray(C)
    if ax is None:
        ax = plt.subplots(figsize=(6, 4.5))[1]
    ax.imshow(C, cmap="Blues")
    K = len(class_names)
    for k in range(K):
        for j in range(K):
            ax.text(j, k, str(C[k, j]), ha="center", va="center", fontsize=10,
                    color="white" if C[k, j] > C.max() / 2 else "black")
    ax.set_xticks(range(K), class_names, rotation=60, ha="right"), ax.set_yticks(range(K), class_names)
    ax.set_xlabel("predicted class"), ax.set_ylabel("true class"), ax.grid(False)
    return ax


def feature_map_rows(image, maps, *, n_channels=8):
    """One image and what a CNN makes of it: a row per layer [(name, (C, h, w) array)], its first channels."""
    fig, axes = plt.subplots(len(maps), n_channels + 1, figsize=(1.25 * (n_channels + 1), 1.3 * len(maps)),
                             squeeze=False)
    for r, (name, A) in enumerate(maps):
        axes[r, 0].imshow(np.asarray(image).squeeze(), cmap="gray")
        for c, ax in enumerate(axes[r, 1:]):
            ax.imshow(A[c], cmap="magma")
        axes[r, 1].set_title(f"{name} ({A.shape[1]}×{A.shape[2]})", loc="left", fontsize=13)
        for ax in axes[r]:
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
    fig.tight_layout()
    return fig


__all__ += ["image_grid", "examples_per_class", "confusion_matrix", "feature_map_rows"]


def two_basins(a, b, values, ax=None, *, labels=(r"trained $\hat\beta$", r"$\hat\beta$, hidden units swapped")):
    """Contours of F on the plane through two minima (a = 0 and a = 1 on the horizontal axis).

    Colour levels are quantiles of F on the grid, so every band covers the same share of the
    picture: no single colour swallows the low region where the basins are.
    """
    from matplotlib.colors import BoundaryNorm

    ax = ax or plt.subplots(figsize=(12, 4.2))[1]

    levels = np.unique(np.quantile(values, np.linspace(0, 1, 16)))
    cs = ax.contourf(a, b, values, levels=levels, cmap="viridis", norm=BoundaryNorm(levels, 256))
    ax.contour(a, b, values, levels=levels, colors="white", linewidths=0.6, alpha=0.7)
    ax.plot([0], [0], "*", color="white", mec=BLACK, mew=1.5, markersize=24, label=labels[0])
    ax.plot([1], [0], "P", color="white", mec=BLACK, mew=1.5, markersize=18, label=labels[1])
    ax.figure.colorbar(cs, ax=ax, label=r"$F(\beta)$", format="%.2f")
    ax.set_xlabel(r"$a$: $\beta = \hat\beta + a\,(\hat\beta_{\rm swapped} - \hat\beta) + b\,d$")
    ax.set_ylabel(r"$b$ (random direction $d$)")
    ax.legend(loc="center left", bbox_to_anchor=(1.25, 0.5), frameon=False)
    return ax


__all__ += ["two_basins"]


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


# Sizes for figures shown on a projector (the deck's body text is about 20 px; at the course's
# 80 dpi, 18 pt is 20 px): used by the explorers' figures and lecture 1's static figures.
PROJECTOR = {"font.size": 18, "axes.titlesize": 19, "axes.labelsize": 19, "legend.fontsize": 16,
             "xtick.labelsize": 16, "ytick.labelsize": 16}


def projector_style():
    """Projector-sized fonts on top of the course style, inside ``with projector_style():``."""
    _resolve_backend()
    return matplotlib.rc_context({**STYLE, **PROJECTOR})


__all__ += ["PROJECTOR", "projector_style"]
