"""Pictures drawn with matplotlib: the toy entry's scatter over D's shading,
D against D*, and class-coverage bar charts.

matplotlib is imported on first use, with the Agg backend (no display
needed), so training a model that draws none of these never imports it.
Every function returns a uint8 HxWx3 image (`files.save_png` writes it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

if TYPE_CHECKING:
    from keras_gans.data.mixtures import Mixture


def _pyplot():
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def _to_image(fig) -> np.ndarray:
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    _pyplot().close(fig)
    return image


def mixture_scatter(samples: np.ndarray, mixture: Mixture,
                    d_fn: Callable[[np.ndarray], np.ndarray] | None = None,
                    title: str = "", resolution: int = 120) -> np.ndarray:
    """Samples over the mixture's modes, with D's output (`d_fn(points) ->
    values`, e.g. D(x) in [0, 1]) as the shaded background.

    2-D mixtures: a scatter of the samples (black), the modes' 3-std circles
    (red) over D on a grid. 1-D: a histogram of the samples against the true
    density, and D(x) as a curve on a second axis."""
    plt = _pyplot()
    samples = np.asarray(samples, np.float64).reshape(-1, mixture.dim)
    e = mixture.extent
    if mixture.dim == 2:
        fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
        if d_fn is not None:
            axis = np.linspace(-e, e, resolution)
            xx, yy = np.meshgrid(axis, axis)
            values = np.asarray(d_fn(np.stack([xx.ravel(), yy.ravel()], 1).astype("float32")))
            mesh = ax.pcolormesh(xx, yy, values.reshape(xx.shape), cmap="coolwarm",
                                 shading="auto", vmin=0.0, vmax=1.0)
            fig.colorbar(mesh, ax=ax, fraction=0.046, pad=0.04, label="D(x)")
        inside = np.all(np.abs(samples) <= e, axis=1)
        ax.scatter(samples[inside, 0], samples[inside, 1], s=2, c="black", alpha=0.35,
                   linewidths=0)
        for mx, my in mixture.means:
            ax.add_patch(plt.Circle((mx, my), 3 * mixture.std, fill=False, color="red", lw=0.8))
        ax.set_xlim(-e, e)
        ax.set_ylim(-e, e)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    else:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        grid = np.linspace(-e, e, 400)
        inside = samples[np.abs(samples[:, 0]) <= e, 0]
        ax.hist(inside, bins=100, range=(-e, e), density=True, color="0.6", label="samples")
        ax.plot(grid, mixture.density(grid[:, None]), "k-", lw=1.2, label="$p_{data}$")
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        if d_fn is not None:
            ax2 = ax.twinx()
            ax2.plot(grid, np.asarray(d_fn(grid[:, None].astype("float32"))).ravel(), "b-",
                     lw=1.2, label="D(x)")
            ax2.set_ylim(0, 1)
            ax2.set_ylabel("D(x)", color="b")
        ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_image(fig)


def discriminator_vs_optimum(x: np.ndarray, d: np.ndarray, d_star: np.ndarray,
                             p_data: np.ndarray, p_g: np.ndarray, title: str = "") -> np.ndarray:
    """D(x) and D*(x) = p_data / (p_data + p_g) on a 1-D grid `x`, with both
    densities below."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), dpi=100, sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    top.plot(x, d_star, "k-", lw=2, label="$D^*(x) = p_{data} / (p_{data} + p_g)$")
    top.plot(x, d, "r--", lw=1.5, label="trained D(x)")
    top.axhline(0.5, color="0.7", lw=0.8)
    top.set_ylim(0, 1)
    top.set_ylabel("D(x)")
    top.legend(fontsize=8, loc="lower right")
    if title:
        top.set_title(title, fontsize=9)
    bottom.plot(x, p_data, "k-", label="$p_{data}$")
    bottom.plot(x, p_g, "g-", label="$p_g$")
    bottom.set_xlabel("x")
    bottom.set_ylabel("density")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    return _to_image(fig)


def class_bars(shares: Sequence[float], reference: Sequence[float] | None = None,
               names: Sequence[str] | None = None, title: str = "") -> np.ndarray:
    """A bar chart of the samples' class shares, beside the real data's
    class frequencies (`reference`), with the 1% line that counts a class
    as covered."""
    plt = _pyplot()
    shares = np.asarray(shares, np.float64)
    k = len(shares)
    names = list(names) if names else [str(i) for i in range(k)]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * k + 2), 3.5), dpi=100)
    pos = np.arange(k)
    width = 0.4 if reference is not None else 0.8
    ax.bar(pos - (width / 2 if reference is not None else 0), shares, width, label="samples")
    if reference is not None:
        ax.bar(pos + width / 2, np.asarray(reference, np.float64), width, color="0.6",
               label="real data")
    ax.axhline(0.01, color="red", lw=0.8, ls="--", label="1% (covered)")
    ax.set_xticks(pos)
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel("share of samples")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_image(fig)


def box_plot(groups: dict[str, Sequence[float]], ylabel: str = "", title: str = "") -> np.ndarray:
    """One box per group (name -> values) with every value drawn over it,
    e.g. the best FID of each trial of a study, per model."""
    plt = _pyplot()
    names = list(groups)
    fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(names) + 1.5), 3.8), dpi=100)
    data = [np.asarray(groups[n], np.float64) for n in names]
    ax.boxplot([d if len(d) else [np.nan] for d in data], showfliers=False)
    rng = np.random.default_rng(0)
    for i, d in enumerate(data, start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(d)), d, s=12, color="black", alpha=0.6,
                   zorder=3)
    ax.set_xticks(range(1, len(names) + 1))
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=9)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_image(fig)


def budget_curves(curves: dict[str, Sequence[Sequence[float]]], ylabel: str = "",
                  title: str = "") -> np.ndarray:
    """Per name, the best score reached against the number of trials k
    (`curves[name][k - 1]` = (mean, low, high) of a bootstrap): a line and a band."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8), dpi=100)
    for name, curve in curves.items():
        if not len(curve):
            continue
        c = np.asarray(curve, np.float64)
        k = np.arange(1, len(c) + 1)
        line, = ax.plot(k, c[:, 0], marker="o", ms=3, label=name)
        ax.fill_between(k, c[:, 1], c[:, 2], color=line.get_color(), alpha=0.15)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hyper-parameter samples tried", fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _to_image(fig)
