"""Figures of claims: a claim draws with matplotlib and calls :func:`save_figure`, which writes a PNG into the
report folder being built (or does nothing when no report is being written, e.g. ``--json`` runs in tests).

The folder is set per claim by the runner (:func:`figure_directory`), so claims stay plain functions that run the
same way in this process, in a worker process or on a Dask worker.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

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


def new_figure(ncols: int = 1, width: float = 5.0, height: float = 3.6):
    """A matplotlib figure with the Agg backend (no display needed) and ``ncols`` axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, list(axes[0])
