"""Figures of claims: a claim draws with matplotlib and calls :func:`save_figure`, which writes a PNG into the
report folder being built (or does nothing when no report is being written, e.g. ``--json`` runs in tests).

The folder is set per claim by the runner (:func:`figure_directory`), so claims stay plain functions that run the
same way in this process, in a worker process or on a Dask worker.

The ``draw_*`` functions draw the paper figures (docs/theory.md §7.1) from numbers a claim has already computed,
passed as one dict, so that any claim can add its picture with a single call.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_FIGURE_DIR: str | None = None


@contextmanager
def figure_directory(path: str | None) -> Iterator[None]:
    """Within the block, :func:`save_figure` writes into ``path`` (None: figures are not written)."""
    global _FIGURE_DIR
    previous, _FIGURE_DIR = _FIGURE_DIR, path
    try:
        yield
    finally:
        _FIGURE_DIR = previous


def figures_enabled() -> bool:
    """Whether a report is being written (claims may skip drawing otherwise)."""
    return _FIGURE_DIR is not None


def save_figure(fig, name: str) -> str | None:
    """Save ``fig`` as ``<name>.png`` in the current figure directory; return its file name (or None)."""
    import matplotlib.pyplot as plt

    try:
        if _FIGURE_DIR is None:
            return None
        fname = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png"
        fig.savefig(os.path.join(_FIGURE_DIR, fname), dpi=110, bbox_inches="tight")
        return fname
    finally:
        plt.close(fig)


def new_figure(ncols: int = 1, width: float = 5.0, height: float = 3.6, nrows: int = 1):
    """A matplotlib figure with the Agg backend (no display needed) and ``nrows`` × ``ncols`` axes.

    Parameters
    ----------
    ncols, nrows : int
        Number of panel columns and rows.
    width, height : float
        Size of one panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of matplotlib.axes.Axes
        The panels row by row.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, list(axes.ravel())


# ------------------------------------------------------------------------------------------------ paper figures
# Each drawer below takes numbers its claim has already computed (curves, drop times, closed-form predictions) and
# only draws: the claim's verdict never depends on it, and with figures disabled it returns before importing
# matplotlib.  They live here, not in the claim modules, so that a claim anywhere can call one in a single line.


def _positive(t) -> np.ndarray:
    """Times for a log axis: the t = 0 record would fall off it, so it is shown at the first positive time."""
    t = np.asarray(t, dtype=float)
    pos = t[t > 0]
    return np.maximum(t, pos.min() if pos.size else 1.0)


def _levels(ax, levels, color="k", label: str | None = None, log: bool = False, scale: float = 1.0) -> None:
    """Predicted plateau levels as dashed lines (a zero level has no place on a log axis)."""
    first = True
    for lv in np.asarray(levels, dtype=float) / scale:
        if not np.isfinite(lv) or (log and lv <= 0):
            continue
        ax.axhline(lv, ls="--", color=color, lw=0.8, zorder=1, label=label if first else None)
        first = False


def _loss_floor(ax, curves, rel: float = 1e-5) -> None:
    """Clip a log loss axis at ``rel`` times the largest loss: converged runs reach round-off, which would squash
    the plateaus into the top of the panel."""
    # Only finite values: a run that blew up must still be drawn (the claim's verdict, not the picture, reports it).
    values = [np.asarray(loss, dtype=float) for _, loss in curves]
    values = [v[np.isfinite(v)] for v in values]
    if not any(v.size for v in values):
        return
    top = max(float(v.max()) for v in values if v.size)
    low = min(float(v.min()) for v in values if v.size)
    if top <= 0:
        return
    floor = max(rel * top, 0.5 * low)
    ax.set_ylim(floor, 2 * top)
    # Runs continue long after the last drop; on a linear time axis that tail would take most of the panel.
    ends = [np.asarray(t)[np.argmax(np.asarray(loss) < floor)] for t, loss in curves if np.min(loss) < floor]
    if ax.get_xscale() == "linear" and len(ends) == len(curves):
        ax.set_xlim(right=1.15 * float(max(ends)))


def _label(ax, xlabel: str, ylabel: str, title: str, legend: bool = True) -> None:
    """Axis labels, a small title and (optionally) a small legend: the look every claim figure shares."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(fontsize=7)


def _save(fig, name: str) -> str | None:
    # Panels with their own y labels overlap at matplotlib's default spacing; fixed gaps avoid the extra draw pass
    # a layout engine would cost (bbox_inches="tight" in save_figure trims the outer margin).
    fig.subplots_adjust(wspace=0.32, hspace=0.3)
    return save_figure(fig, name)


def draw_fig2b(data: dict[str, Any]) -> str | None:
    """Fig. 2B: the effect of the data spectrum on the staircase (docs/theory.md §6.6, "Data").

    Parameters
    ----------
    data : dict
        ``alpha`` (the power-law exponents), ``linear_curves`` (one ``(t, loss)`` per exponent),
        ``linear_levels`` (the predicted levels each curve visits, §6.5), ``span`` and ``span_predicted`` (measured
        and expected time from the first to the last drop per exponent), ``attention_curves`` (one ``(t, loss)``
        per seed) and ``attention_levels`` (the predicted levels, §6.8).

    Returns
    -------
    str or None
        File name of the PNG in the figure directory, or None when figures are disabled.
    """
    if not figures_enabled():
        return None
    fig, (ax1, ax2, ax3) = new_figure(3, width=4.2, height=3.4)
    curves = []
    for k, (alpha, (t, loss), levels) in enumerate(zip(data["alpha"], data["linear_curves"], data["linear_levels"],
                                                       strict=True)):
        l0 = float(levels[0])
        ax1.plot(t, np.asarray(loss) / l0, color=f"C{k}", lw=1.4, label=f"α = {alpha:g}")
        _levels(ax1, levels, color=f"C{k}", log=True, scale=l0)
        curves.append((t, np.asarray(loss) / l0))
    ax1.plot([], [], "k--", lw=0.8, label="predicted levels (§6.5)")
    ax1.set_yscale("log")
    _loss_floor(ax1, curves)
    _label(ax1, "t", "loss / L_0", "linear FC, s_k = 3k^(−α), D = 4")
    ax2.plot(data["alpha"], data["span"], "o", label="simulated (median)")
    ax2.plot(data["alpha"], data["span_predicted"], "k--", lw=0.8, label="expected, independent modes (§6.4)")
    _label(ax2, "exponent α", "first to last drop", "plateaus shrink as α → 0")
    for k, (t, loss) in enumerate(data["attention_curves"]):
        ax3.plot(t, loss, color=f"C{k}", lw=1.4, label=f"seed {k}")
    _levels(ax3, data["attention_levels"], label="predicted levels (§6.8)", log=True)
    ax3.set_yscale("log")
    _loss_floor(ax3, data["attention_curves"])
    _label(ax3, "t", "loss", "linear attention, Λ = 0.5·I: D = 3 drops remain")
    return _save(fig, "fig2B_data")


def draw_c26(data: dict[str, Any]) -> str | None:
    """Fig. 2C: start near a rank-one manifold away from the saddles (docs/theory.md §6.6, "Initialisation
    structure").

    Parameters
    ----------
    data : dict
        ``delta`` (perturbation sizes), ``curves`` (one ``(t, loss)`` per δ), ``levels`` (predicted plateau
        levels, §6.5), ``drop_times`` (array (n_δ, 2): the drops of modes 2 and 3) and ``s`` (singular values).

    Returns
    -------
    str or None
        File name of the PNG in the figure directory, or None when figures are disabled.
    """
    if not figures_enabled():
        return None
    fig, (ax1, ax2) = new_figure(2, width=4.6, height=3.4)
    for k, (delta, (t, loss)) in enumerate(zip(data["delta"], data["curves"], strict=True)):
        ax1.plot(t, loss, color=f"C{k}", lw=1.4, label=f"δ = {delta:g}")
    _levels(ax1, data["levels"], label="predicted levels (§6.5)", log=True)
    ax1.set_yscale("log")
    _loss_floor(ax1, data["curves"])
    _label(ax1, "t", "loss", "rank-one start + δ·N(0, 1): no initial plateau")
    x = np.log(1 / np.asarray(data["delta"], dtype=float))
    drops = np.asarray(data["drop_times"], dtype=float)
    s = np.asarray(data["s"], dtype=float)
    for j in range(drops.shape[1]):
        k = j + 1  # the first mode is learned by the initial fall, so the detected drops are modes 2, 3, ...
        ax2.plot(x, drops[:, j], "o", color=f"C{j}", label=f"mode {k + 1} (simulated)")
        # The prediction fixes only the slope (§6.6), so the line is anchored at the first point.
        ax2.plot(x, drops[0, j] + (x - x[0]) / s[k], "k--", lw=0.8)
    ax2.plot([], [], "k--", lw=0.8, label="slope 1/s_k (§6.6)")
    _label(ax2, "ln(1/δ)", "drop time", "later plateaus grow like ln(1/δ)/s_k")
    return _save(fig, "fig2C_init_structure")


def draw_c27(data: dict[str, Any]) -> str | None:
    """Fig. 2D: isotropic initialisation of growing scale ε (docs/theory.md §6.6, "Initialisation scale").

    Parameters
    ----------
    data : dict
        ``eps`` (init scales), ``curves`` (one ``(t, loss)`` per ε, first seed), ``levels`` (predicted plateau
        levels, §6.5), ``plateau_span`` and ``span_predicted`` (measured median and small-ε expected time from the
        first to the last drop) and ``min_distance`` (median closest approach to the rank-one saddle).

    Returns
    -------
    str or None
        File name of the PNG in the figure directory, or None when figures are disabled.
    """
    if not figures_enabled():
        return None
    fig, (ax1, ax2, ax3) = new_figure(3, width=4.2, height=3.4)
    for k, (eps, (t, loss)) in enumerate(zip(data["eps"], data["curves"], strict=True)):
        ax1.plot(t, loss, color=f"C{k}", lw=1.4, label=f"ε = {eps:g}")
    _levels(ax1, data["levels"], label="predicted levels (§6.5)", log=True)
    ax1.set_yscale("log")
    _loss_floor(ax1, data["curves"])
    _label(ax1, "t", "loss", "linear FC, s = (3, 2, 1): plateaus fade as ε grows")
    ax2.plot(data["eps"], data["plateau_span"], "o-", label="simulated (median)")
    # The expectation assumes u_k ≪ s_k (§6.3); its departure at large ε is the regime Fig. 2D is about.
    ax2.plot(data["eps"], data["span_predicted"], "k--", lw=0.8, label="small-ε expectation (§6.4)")
    ax2.set_xscale("log")
    _label(ax2, "init scale ε", "first to last drop", "plateau span")
    ax3.plot(data["eps"], data["min_distance"], "o-")
    ax3.set_xscale("log")
    ax3.set_yscale("log")
    _label(ax3, "init scale ε", "min_t ‖W(t) − diag(3, 0, 0)‖", "closest approach to the rank-one saddle", legend=False)
    return _save(fig, "fig2D_init_scale")


def draw_c28(data: dict[str, Any]) -> str | None:
    """Fig. 4D/F: tanh (rank-one growth, no staircase) beside x·tanh x (units recruited one by one), docs/theory.md
    §5.3.

    Parameters
    ----------
    data : dict
        ``tanh``: ``t``, ``loss``, ``drop_times``, ``t_saved``, ``sigma`` (array (k, 2): σ_1, σ_2 of U at the saved
        times) and ``t_read`` (where the claim reads σ_2/σ_1); ``xtanh``: ``t``, ``loss``, ``drop_times``,
        ``t_saved``, ``norms`` (array (k, H): unit norms at the saved times) and ``active`` (active units there).

    Returns
    -------
    str or None
        File name of the PNG in the figure directory, or None when figures are disabled.
    """
    if not figures_enabled():
        return None
    fig, (ax1, ax2, ax3, ax4) = new_figure(2, width=4.6, height=3.0, nrows=2)
    th, xt = data["tanh"], data["xtanh"]
    for ax, run, title in ((ax1, th, "tanh: one drop, no staircase (Fig. 4D)"),
                           (ax2, xt, "x·tanh x: one drop per unit (Fig. 4F)")):
        ax.plot(_positive(run["t"]), run["loss"], lw=1.4)
        for td in run["drop_times"]:
            ax.axvline(td, color="0.6", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("loss")
        ax.set_title(title, fontsize=9)
    sigma = np.asarray(th["sigma"], dtype=float)
    ts = _positive(th["t_saved"])
    ax3.plot(ts, sigma[:, 0], lw=1.4, label="σ_1(U)")
    ax3.plot(ts, sigma[:, 1], lw=1.4, label="σ_2(U)")
    ax3.axvline(th["t_read"], color="k", lw=0.8, ls="--", label="‖U‖ = 0.1: σ_2/σ_1 read here")
    ax3.set_xscale("log")
    ax3.set_yscale("log")
    ax3.set_xlabel("t")
    ax3.set_ylabel("singular values of U")
    ax3.legend(fontsize=7)
    norms = np.asarray(xt["norms"], dtype=float)
    ts = _positive(xt["t_saved"])
    for i in range(norms.shape[1]):
        ax4.plot(ts, norms[:, i], lw=1.2, label=f"unit {i + 1}")
    # The §1.4 activity threshold: what the claim counts as a recruited unit.
    ax4.axhline(0.1 * norms.max(), color="k", lw=0.8, ls="--", label="0.1 × max norm (active)")
    ax4.set_xscale("log")
    ax4.set_yscale("log")
    ax4.set_xlabel("t")
    ax4.set_ylabel("unit norms ‖θ_i‖")
    twin = ax4.twinx()
    twin.step(ts, xt["active"], where="post", color="0.3", lw=1.0, ls="-.")
    ax4.plot([], [], color="0.3", lw=1.0, ls="-.", label="active units (right axis)")
    ax4.legend(fontsize=7, loc="upper left")
    twin.set_ylabel("active units", fontsize=8)
    twin.set_ylim(-0.2, norms.shape[1] + 0.2)
    return _save(fig, "fig4DF_tanh_vs_xtanh")


def draw_fig4g(data: dict[str, Any]) -> str | None:
    """Fig. 4G: unit separation of the cubic net, p = 3 (docs/theory.md §5.3).

    Parameters
    ----------
    data : dict
        ``curves`` (one ``(t, loss)`` per seed), ``first_drop`` (first drop time per seed, NaN if none),
        ``t_saved`` and ``norms`` (array (k, H): unit norms of the first seed at the saved times) and ``eps``
        (init scale).

    Returns
    -------
    str or None
        File name of the PNG in the figure directory, or None when figures are disabled.
    """
    if not figures_enabled():
        return None
    fig, (ax1, ax2) = new_figure(2, width=4.6, height=3.4)
    for k, ((t, loss), td) in enumerate(zip(data["curves"], data["first_drop"], strict=True)):
        ax1.plot(_positive(t), loss, color=f"C{k}", lw=1.4, label=f"seed {k}")
        if np.isfinite(td):
            ax1.axvline(td, color=f"C{k}", lw=0.8, ls=":")
    ax1.set_xscale("log")
    _label(ax1, "t", "loss", "cubic net (p = 3); dotted: first drop")
    norms = np.asarray(data["norms"], dtype=float)
    ts = _positive(data["t_saved"])
    for i in range(norms.shape[1]):
        ax2.plot(ts, norms[:, i], lw=1.0)
    td = data["first_drop"][0]
    if np.isfinite(td):
        ax2.axvline(td, color="k", lw=0.8, ls=":", label="first drop")
        leader = norms[int(np.argmin(np.abs(np.asarray(data["t_saved"]) - td)))].max()
        # The asserted bound: every other unit below 0.1 of the leader when the leader escapes (§5.3).
        ax2.axhline(0.1 * leader, color="k", lw=0.8, ls="--", label="0.1 × leader at the first drop")
    ax2.axhline(data["eps"], color="0.5", lw=0.8, ls="-.", label=f"init scale ε = {data['eps']:g}")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    _label(ax2, "t", "unit norms ‖θ_i‖ (seed 0)", "one unit escapes, the others stay O(ε)")
    return _save(fig, "fig4G_cubic")


def draw_c29(data: dict[str, Any]) -> str | None:
    """Fig. 5: a depth-3 linear net whose second hidden layer gains one rank per drop (docs/theory.md §5.3).

    Parameters
    ----------
    data : dict
        ``curves`` (one ``(t, loss)`` per seed), ``drop_times`` (per seed), ``levels`` (predicted plateau levels,
        §6.5), ``t_saved`` and ``sv`` (array (k, r): singular values of W_2 of the first seed at the saved
        times), ``rank_threshold`` (the threshold the claim counts ranks with), ``plateau_times`` and ``ranks``
        (where the claim reads the rank of W_2 on the first seed, and what it reads).

    Returns
    -------
    str or None
        File name of the PNG in the figure directory, or None when figures are disabled.
    """
    if not figures_enabled():
        return None
    fig, (ax1, ax2) = new_figure(2, width=4.6, height=3.4)
    for k, ((t, loss), drops) in enumerate(zip(data["curves"], data["drop_times"], strict=True)):
        ax1.plot(_positive(t), loss, color=f"C{k}", lw=1.4, label=f"seed {k}")
        for td in drops:
            ax1.axvline(td, color=f"C{k}", lw=0.6, ls=":")
    _levels(ax1, data["levels"], label="predicted levels (§6.5)", log=True)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    _loss_floor(ax1, data["curves"])
    _label(ax1, "t", "loss", "depth-3 linear net, s = (3, 2, 1)")
    sv = np.asarray(data["sv"], dtype=float)
    ts = _positive(data["t_saved"])
    for i in range(sv.shape[1]):
        ax2.plot(ts, sv[:, i], lw=1.2)
    ax2.axhline(data["rank_threshold"], color="k", lw=0.8, ls="--", label="rank threshold")
    for i, (tp, r) in enumerate(zip(data["plateau_times"], data["ranks"], strict=True)):
        ax2.axvline(tp, color="0.6", lw=0.8, ls=":")
        # Staggered: the last plateaus are close together on the log axis.
        ax2.annotate(f"rank {r}", (tp, data["rank_threshold"] * 1.7**i), textcoords="offset points",
                     xytext=(-2, 3), ha="right", fontsize=7)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    pos = sv[np.isfinite(sv) & (sv > 0)]
    if pos.size:
        ax2.set_ylim(bottom=max(float(pos.min()), 1e-3 * float(pos.max())))
    _label(ax2, "t", "singular values of W_2 (seed 0)", "W_2 gains one rank per drop; dotted: where the rank is read")
    return _save(fig, "fig5_deep_linear")
