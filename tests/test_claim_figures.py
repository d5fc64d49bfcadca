"""The paper-figure drawers of proofs_check.figures: each writes a PNG from a claim's numbers, and nothing at all
when no report is being written."""

import numpy as np
import pytest

from proofs_check import figures
from proofs_check.figures import figure_directory

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _staircase(levels, drops, t_end=10.0, n=200):
    """A loss curve stepping through ``levels`` with smooth drops at ``drops``: stands in for a simulation."""
    t = np.linspace(0.0, t_end, n)
    loss = np.full(n, float(levels[-1]))
    for k, td in enumerate(drops):
        loss += (levels[k] - levels[k + 1]) / (1 + np.exp(np.minimum(4 * (t - td), 50.0)))
    return t, loss


def _fig2b():
    lin = [_staircase([1.0, 0.3, 0.05, 0.01], [2, 4, 6]), _staircase([1.0, 0.2, 0.02, 1e-4], [2, 5, 8])]
    return {"alpha": [0.0, 2.0], "linear_curves": lin,
            "linear_levels": [np.array([18.0, 0.0]), np.array([4.8, 0.3, 0.07, 0.0])], "span": [0.5, 50.0],
            "span_predicted": [0.1, 48.0],
            "attention_curves": [_staircase([0.75, 0.5, 0.25, 0.01], [100, 300, 900], t_end=1e4)],
            "attention_levels": [0.75, 0.5, 0.25, 0.01]}


def _c26():
    return {"delta": [1e-5, 1e-7], "curves": [_staircase([9.0, 2.5, 0.5, 0.0], [0.1, 5, 10], t_end=15)] * 2,
            "levels": [2.5, 0.5, 0.0], "drop_times": np.array([[5.0, 10.0], [7.0, 14.0]]), "s": [3.0, 2.0, 1.0]}


def _c27():
    eps = [1e-6, 1e-2, 0.3]
    return {"eps": eps, "curves": [_staircase([7.0, 2.5, 0.5, 0.0], [2, 4, 8])] * 3, "levels": [7.0, 2.5, 0.5, 0.0],
            "plateau_span": [9.0, 3.0, 0.5], "span_predicted": [9.2, 3.1, 0.2], "min_distance": [0.01, 0.1, 0.8]}


def _c28():
    ts = np.linspace(0.0, 30.0, 40)
    grow = 1e-3 * np.exp(0.3 * ts)
    return {"tanh": {"t": ts, "loss": 3.0 / (1 + ts), "drop_times": [10.0], "t_saved": ts,
                     "sigma": np.stack([grow, 1e-3 + 0 * ts], axis=1), "t_read": 15.0},
            "xtanh": {"t": ts, "loss": 3.0 / (1 + ts), "drop_times": [8.0, 20.0], "t_saved": ts,
                      "norms": np.stack([grow, np.sqrt(grow) * 1e-2, 1e-3 + 0 * ts], axis=1),
                      "active": (ts > 8).astype(int) + (ts > 20)}}


def _fig4g():
    ts = np.linspace(0.0, 100.0, 30)
    return {"curves": [_staircase([1.5, 0.3, 0.01], [40, 70], t_end=100)] * 2, "first_drop": [40.0, float("nan")],
            "t_saved": ts, "norms": np.stack([0.02 * np.exp(ts / 30), 0.02 + 0 * ts], axis=1), "eps": 0.02}


def _c29():
    ts = np.linspace(0.0, 1000.0, 50)
    sv = np.stack([0.01 + (ts > t0) * 1.4 for t0 in (100, 300, 600)], axis=1)
    return {"curves": [_staircase([7.0, 2.5, 0.5, 0.0], [100, 300, 600], t_end=1000)],
            "drop_times": [[100.0, 300.0, 600.0]], "levels": [7.0, 2.5, 0.5, 0.0], "t_saved": ts, "sv": sv,
            "rank_threshold": 0.14, "plateau_times": [173.0, 424.0, 1000.0], "ranks": [1, 2, 3]}


CASES = [(figures.draw_fig2b, _fig2b), (figures.draw_c26, _c26), (figures.draw_c27, _c27),
         (figures.draw_c28, _c28), (figures.draw_fig4g, _fig4g), (figures.draw_c29, _c29)]
IDS = [draw.__name__ for draw, _ in CASES]


@pytest.mark.parametrize(("draw", "data"), CASES, ids=IDS)
def test_each_paper_figure_is_written_as_a_png(tmp_path, draw, data):
    with figure_directory(str(tmp_path)):
        name = draw(data())
    assert name is not None and name.endswith(".png")
    png = (tmp_path / name).read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 1000
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize(("draw", "data"), CASES, ids=IDS)
def test_nothing_is_drawn_when_figures_are_disabled(tmp_path, draw, data):
    with figure_directory(None):
        assert draw(data()) is None
    assert not figures.figures_enabled() and draw(data()) is None
    assert list(tmp_path.iterdir()) == []


def test_figure_names_differ_so_no_claim_overwrites_another(tmp_path):
    with figure_directory(str(tmp_path)):
        names = {draw(data()) for draw, data in CASES}
    assert len(names) == len(CASES) and len(list(tmp_path.iterdir())) == len(CASES)


def test_new_figure_lays_out_rows_and_keeps_one_row_by_default():
    fig, axes = figures.new_figure(2, width=2.0, height=1.5, nrows=2)
    assert len(axes) == 4 and tuple(fig.get_size_inches()) == (4.0, 3.0)
    fig, (ax,) = figures.new_figure()
    assert tuple(fig.get_size_inches()) == (5.0, 3.6)


def test_a_run_that_blew_up_is_still_drawn(tmp_path):
    # A drawing error would turn a failing claim into an erroring one: non-finite losses must not break the axes.
    data = _c29()
    t, loss = data["curves"][0]
    loss = loss.copy()
    loss[-5:] = [np.inf, np.nan, np.inf, np.nan, np.inf]
    data["curves"] = [(t, loss)]
    data["sv"] = np.full_like(data["sv"], np.nan)
    with figure_directory(str(tmp_path)):
        name = figures.draw_c29(data)
    assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)
