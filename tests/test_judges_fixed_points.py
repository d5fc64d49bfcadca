"""Judges of the fixed-point claims C1, C4, C5, C20, C21, C33, C34, C35 (proofs_check/claims/fixed_points.py).

Each judge is fed a true measurement shaped like its claim's real output (the numbers of a real run, or built
from the theory with errors of the size the real runs show) and must PASS; measurements a wrong theory would
give — a scaled spectrum, a level 1 % of L_0 off, a missing or extra entry, a NaN, a wrong count, a wrong
direction — must FAIL.  The judges are pure, so nothing is simulated here.
"""

from __future__ import annotations

import copy
import doctest
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from proofs_check.claims import fixed_points as F
from proofs_check.registry import REGISTRY, resolving_power
from theory.fixed_points.classify import linear_morse_index, linear_saddle_spectrum

EPS = F.EPS


def _label(S) -> str:
    return "S={" + ",".join(str(k) for k in S) + "}"


def _fails(judge, measured) -> bool:
    return not judge(measured).passed


# ------------------------------------------------------------------------------------------------------- C1


def _c1() -> dict:
    """The real run's numbers (relu-fc width 2 -> 3, linear-fc width 1 -> 2, spec §2.4)."""
    def cons(gw, floor, dmap, scale, gpd, mpd):
        return {"grad_wide": gw, "floor": floor, "map_change": dmap, "map_scale": scale, "grad_per_d": gpd,
                "map_per_d": mpd}

    return {
        "symbolic": dict.fromkeys(F.C1_SYMBOLIC, True),
        "refused": {"relu-fc (iv)": "construction (iv) does not apply to relu-fc: phi is not linear in u",
                    "quadratic (iii)": "construction (iii) does not apply to quadratic: phi is not 1-homogeneous"},
        "forced quadratic (iii): identity holds": False,
        "numeric": {
            "relu-fc": {"seed": 0, "grad_narrow": 1.129e-16, "constructions": {
                "i": cons(1.062e-16, 1.386e-13, 2.22e-16, 3.709, 0.555, 1.625),
                "ii": cons(1.129e-16, 1.365e-13, 0.0, 3.709, 1.003, 2.709),
                "iii": cons(1.404e-16, 1.334e-13, 2.22e-16, 3.709, 0.670, 1.950)},
                "control": {"gamma_u": -0.7, "grad_wide": 0.4138, "floor": 2.104e-13}},
            "linear-fc": {"seed": 0, "grad_narrow": 4.237e-16, "constructions": {
                "i": cons(5.673e-16, 1.559e-13, 4.44e-16, 3.950, 1.248, 1.770),
                "ii": cons(4.237e-16, 2.450e-13, 0.0, 3.950, 2.723, 2.950),
                "iii": cons(3.375e-16, 1.836e-13, 2.22e-16, 3.950, 1.656, 2.124),
                "iv": cons(3.375e-16, 1.836e-13, 2.22e-16, 3.950, 1.656, 2.124)}},
        },
    }


def _c1_with(path, value):
    m = copy.deepcopy(_c1())
    *head, last = path
    node = m
    for k in head:
        node = node[k]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return m


def test_c1_passes_the_true_measurement():
    assert F.judge_c1(_c1()).passed


@pytest.mark.parametrize("path, value", [
    (("symbolic", "relu-fc (iii)"), False),                                  # a construction not proved
    (("symbolic", "linear-fc (iv)"), KeyError),                              # a construction not attempted
    (("refused", "relu-fc (iv)"), False),                                    # an inapplicable one accepted
    (("forced quadratic (iii): identity holds",), True),                     # the forced control holds
    (("numeric", "relu-fc", "seed"), None),                                  # no narrow fit converged
    (("numeric", "linear-fc", "grad_narrow"), math.nan),                     # max(0, nan) = 0 used to pass
    (("numeric", "linear-fc", "grad_narrow"), 1e-6),                         # the narrow point is not a fixed point
    (("numeric", "linear-fc", "constructions", "iv"), KeyError),             # a missing construction
    (("numeric", "relu-fc", "constructions", "i", "grad_wide"), math.nan),   # a NaN gradient
    (("numeric", "relu-fc", "constructions", "i", "grad_wide"), 1e-11),      # 10x above the round-off floor
    (("numeric", "relu-fc", "constructions", "ii", "map_change"), 1e-12),    # the map moved
    (("numeric", "relu-fc", "control", "grad_wide"), 1e-16),                 # gamma_u < 0 "works" for ReLU
    (("numeric", "relu-fc", "control"), KeyError),                           # the control not run
])
def test_c1_rejects_wrong_measurements(path, value):
    assert _fails(F.judge_c1, _c1_with(path, value))


def test_c1_rejects_a_misplaced_unit_weight():
    assert _fails(F.judge_c1, F._c1_misplaced(_c1(), 1e-3))
    assert _fails(F.judge_c1, F._c1_misplaced(_c1(), 1e-9))  # first order: 1e-9 x 0.55 >> the 1.4e-12 bound


# ------------------------------------------------------------------------------------------------------- C4


def _c4() -> dict:
    """Six random (s, H) as the claim draws them; FD eigenvalues off by the ~0.6 eps max s the real run shows."""
    rng = np.random.default_rng(4)
    trials = []
    for _ in range(F.C4_TRIALS):
        D, H = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        s = np.sort(rng.uniform(0.2, 5.0, D))[::-1]
        pred = np.sort(np.concatenate([np.tile(s, H), -np.tile(s, H)]))
        noise = 0.6 * EPS * s.max() * np.where(np.arange(pred.size) % 2, 1.0, -1.0)
        trials.append({"s": s.tolist(), "H": H, "predicted": pred.tolist(), "eigenvalues": (pred + noise).tolist()})
    return {"symbolic": dict.fromkeys(F.C4_SYMBOLIC, True), "numeric": trials}


def _c4_trial(i: int, **changes) -> dict:
    m = _c4()
    m["numeric"][i] = dict(m["numeric"][i], **{k: f(m["numeric"][i][k]) for k, f in changes.items()})
    return m


def test_c4_judge():
    m = _c4()
    assert F.judge_c4(m).passed
    assert _fails(F.judge_c4, F._c4_scaled(m, 0.02))                                 # eigenvalues x 1.02
    assert _fails(F.judge_c4, F._c4_scaled(m, 1e-9))
    assert _fails(F.judge_c4, _c4_trial(0, eigenvalues=lambda e: e[:-1]))            # a missing eigenvalue
    assert _fails(F.judge_c4, _c4_trial(1, eigenvalues=lambda e: [*e, 0.0]))         # an extra eigenvalue
    assert _fails(F.judge_c4, _c4_trial(2, eigenvalues=lambda e: [math.nan, *e[1:]]))  # a NaN
    assert _fails(F.judge_c4, _c4_trial(3, predicted=lambda p: [*p[:-1], 2 * p[-1]]))  # a wrong multiplicity
    assert _fails(F.judge_c4, dict(m, numeric=m["numeric"][:-1]))                     # a trial left out
    assert _fails(F.judge_c4, dict(m, symbolic={"3x3 H=2": True, "2x3 H=2": False}))  # the rectangular case


# ------------------------------------------------------------------------------------------------------- C5


def _c5() -> dict:
    """s = (3, 2, 1), H = 2, the four catalogue points with a zero unit; FD errors as measured (2e-11 on the
    spectrum's positive part, round-off on the negatives)."""
    s, H = [3, 2, 1], 2
    entries = {}
    for S in [(), (1,), (2,), (3,)]:
        pred = sorted(float(x) for x in linear_saddle_spectrum(s, S, H))
        rest = [j for j in (1, 2, 3) if j not in S]
        lam = [x + (2e-11 if x > 0.5 else 4e-16) for x in pred]
        entries[_label(S)] = {
            "S": list(S), "top": list(S) == list(range(1, len(S) + 1)), "exact_multiset": True,
            "predicted_min": float(-max(s[j - 1] for j in rest)),
            "zero_unit_negatives": [float(-s[j - 1]) for j in rest] * (H - len(S)),
            "extra_negatives": sorted(float(s[i - 1] - s[j - 1]) for i in S for j in rest if s[j - 1] > s[i - 1]),
            "eigenvalues": lam, "hessian_scale": max(abs(x) for x in pred),
            "theta_scale": math.sqrt(s[S[0] - 1]) if S else 0.0}
    return {"s": s, "H": H, "entries": entries}


def _c5_entry(label: str, **changes) -> dict:
    m = _c5()
    e = m["entries"][label]
    m["entries"][label] = dict(e, **{k: f(e[k]) for k, f in changes.items()})
    return m


def test_c5_judge():
    m = _c5()
    assert F.judge_c5(m).passed
    assert m["entries"]["S={3}"]["extra_negatives"] == [-2.0, -1.0]
    assert _fails(F.judge_c5, F._c5_min_scaled(m, 0.01))
    assert _fails(F.judge_c5, F._c5_extra_scaled(m, 0.01))
    assert _fails(F.judge_c5, _c5_entry("S={}", predicted_min=lambda _: -2.0))          # lambda_min = -s_2 at r = 0
    assert _fails(F.judge_c5, _c5_entry("S={3}", extra_negatives=lambda x: x[:1]))      # an extra negative missed
    assert _fails(F.judge_c5, _c5_entry("S={1}", eigenvalues=lambda e: [*e[:2], -0.5, *e[3:]]))  # one too many
    assert _fails(F.judge_c5, _c5_entry("S={2}", eigenvalues=lambda e: [math.nan, *e[1:]]))
    assert _fails(F.judge_c5, _c5_entry("S={2}", extra_negatives=lambda x: [math.nan]))  # NaN in a prediction
    assert _fails(F.judge_c5, _c5_entry("S={2}", exact_multiset=lambda _: False))
    assert _fails(F.judge_c5, dict(m, entries={k: v for k, v in m["entries"].items() if k != "S={3}"}))


# ------------------------------------------------------------------------------------------------------- C20


def _level(a, S) -> Fraction:
    r = len(S)
    tau = (sum(a) - sum(a[k - 1] for k in S)) / (1 + Fraction(r, 2))
    return sum(a[k] ** 2 for k in range(len(a)) if k + 1 not in S) + tau**2 * (1 + Fraction(r, 2)) / 2


def _c20_task(a, H, sets=None) -> dict:
    a = [Fraction(x) for x in a]
    if sets is None:  # every S with |S| <= H whose m_k = a_k + tau_S/2 are all non-zero (§2.6)
        sets = [S for r in range(min(H, len(a)) + 1) for S in itertools.combinations(range(1, len(a) + 1), r)
                if all(a[k - 1] + (sum(a) - sum(a[j - 1] for j in S)) / (2 + r) != 0 for k in S)]
    entries = {}
    for S in sets:
        level = _level(a, S)
        entries[_label(S)] = {"level": str(level), "formula": float(level), "formula_exact": True,
                              "certified": H < 4, "numeric": float(level) * (1 + EPS), "refined_grad": 3e-14,
                              "converged": True}
    return {"a": [str(x) for x in a], "H": H, "L0": float(_level(a, ())), "entries": entries}


def _c20() -> dict:
    return {"tasks": {"A=(2, 1, -1, -2), H=3": _c20_task((2, 1, -1, -2), 3),
                      "A=(3, 1/2, -2), H=3": _c20_task(("3", "1/2", "-2"), 3),
                      "A=(2, 1, -1, -2), H=4": _c20_task((2, 1, -1, -2), 4, [(1, 2, 3, 4)])},
            "test bed sequence": ["10", "22/3", "2"]}


def _c20_entry(task: str, label: str, **changes) -> dict:
    m = copy.deepcopy(_c20())
    e = m["tasks"][task]["entries"][label]
    e.update(changes)
    return m


def test_c20_true_measurement_has_the_catalogue_sizes():
    m = _c20()
    assert [len(t["entries"]) for t in m["tasks"].values()] == [15, 7, 1]
    assert m["tasks"]["A=(2, 1, -1, -2), H=3"]["entries"]["S={1,4}"]["level"] == "2"
    assert F.judge_c20(m).passed


def test_c20_rejects_wrong_measurements():
    m = _c20()
    tb = "A=(2, 1, -1, -2), H=3"
    assert _fails(F.judge_c20, F._c20_levels_shifted(m, 0.01))                       # a level 1 % of L_0 off
    assert _fails(F.judge_c20, F._c20_levels_shifted(m, 1e-9))
    assert _fails(F.judge_c20, _c20_entry(tb, "S={1}", numeric=math.nan))             # a NaN level
    assert _fails(F.judge_c20, _c20_entry(tb, "S={1}", refined_grad=1e-8))            # not refined to 1e-10
    assert _fails(F.judge_c20, _c20_entry(tb, "S={1}", converged=False))
    assert _fails(F.judge_c20, _c20_entry(tb, "S={1,4}", formula_exact=False))        # formula != catalogue
    assert _fails(F.judge_c20, _c20_entry(tb, "S={1,4}", certified=False))
    missing = copy.deepcopy(m)
    del missing["tasks"][tb]["entries"]["S={2,3}"]
    assert _fails(F.judge_c20, missing)                                               # a missing entry
    extra = copy.deepcopy(m)
    extra["tasks"]["A=(3, 1/2, -2), H=3"] = _c20_task(("3", "1/2", "-2"), 3, [
        S for r in range(4) for S in itertools.combinations((1, 2, 3), r)])        # S = {1,2} has m_2 = 0
    assert _fails(F.judge_c20, extra)
    assert _fails(F.judge_c20, dict(m, **{"test bed sequence": ["10", "22/3", "6/5"]}))
    assert _fails(F.judge_c20, dict(m, tasks={k: v for k, v in m["tasks"].items() if k != tb}))


# ------------------------------------------------------------------------------------------------------- C21


def _c21() -> dict:
    """The real run's numbers: every finite-difference entry is exactly 0."""
    units = {"S={} unit 1": 0.0, "S={} unit 2": 0.0, "S={1} unit 2": 13.977, "S={2} unit 2": 8.320,
             "S={3} unit 2": 8.320, "S={4} unit 2": 13.977}
    return {"symbolic": dict.fromkeys(F.C21_SYMBOLIC, True),
            "zero units": {k: {"exact_zero": True, "fd_row_max": 0.0, "hessian_scale": h, "n": 10}
                           for k, h in units.items()},
            "width-3 Hessian(0)": {"fd_max": 0.0, "scale": 2.0, "n": 15}}


def test_c21_judge():
    m = _c21()
    assert F.judge_c21(m).passed
    assert _fails(F.judge_c21, F._c21_coupled(m, 1e-9))
    assert _fails(F.judge_c21, F._c21_origin(m, 1e-9))
    units = m["zero units"]
    assert _fails(F.judge_c21, dict(m, **{"zero units": {k: v for k, v in units.items() if k != "S={4} unit 2"}}))
    nan_row = dict(units, **{"S={1} unit 2": dict(units["S={1} unit 2"], fd_row_max=math.nan)})
    assert _fails(F.judge_c21, dict(m, **{"zero units": nan_row}))
    inexact = dict(units, **{"S={2} unit 2": dict(units["S={2} unit 2"], exact_zero=False)})
    assert _fails(F.judge_c21, dict(m, **{"zero units": inexact}))
    assert _fails(F.judge_c21, dict(m, symbolic=dict(m["symbolic"], **{"attn-s Hessian(0) == 0": False})))
    assert _fails(F.judge_c21, dict(m, **{"width-3 Hessian(0)": {"fd_max": math.nan, "scale": 2.0, "n": 15}}))


# ------------------------------------------------------------------------------------------------------- C33


def _c33() -> dict:
    """The real run's numbers."""
    num = {"max_grad": 1.088e-15, "point_to_catalog": 2.22e-16, "catalog_to_point": 2.22e-16, "rep_scale": 1.732}
    return {"H=1 c=0": [True, 9, 9, 5], "H=1 c=1": [True, 8, 4], "H=1 c=1/2": [True, 8, 4],
            "H=1 c=-2": [True, 8, 4], "H=2 matrix-balance": {"zero_dimensional": False, "dimension": 1},
            "H=2 + v1.v2=0": [True, 49, 17],
            "H=1 numeric": dict(num, real_points=5, catalog_reps=5),
            "H=2 numeric": dict(num, real_points=17, catalog_reps=17),
            "seconds": {"H=1": 0.26, "H=2": 1.97, "H=2+g": 1.06}}


def test_c33_judge():
    m = _c33()
    assert F.judge_c33(m).passed
    assert _fails(F.judge_c33, F._c33_reps_scaled(m, 1e-6))
    assert _fails(F.judge_c33, dict(m, **{"H=2 + v1.v2=0": [True, 49, 16]}))                # a real point lost
    assert _fails(F.judge_c33, dict(m, **{"H=1 c=0": [True, 9, 8, 5]}))                     # a double root
    assert _fails(F.judge_c33, dict(m, **{"H=1 c=-2": [True, 9, 5]}))                       # c != 0 like c = 0
    assert _fails(F.judge_c33, dict(m, **{"H=2 matrix-balance": {"zero_dimensional": True, "dimension": 0}}))
    h2 = m["H=2 numeric"]
    assert _fails(F.judge_c33, dict(m, **{"H=2 numeric": dict(h2, real_points=16)}))       # one not located
    assert _fails(F.judge_c33, dict(m, **{"H=2 numeric": dict(h2, catalog_reps=18)}))      # catalogue too big
    assert _fails(F.judge_c33, dict(m, **{"H=2 numeric": dict(h2, max_grad=math.nan)}))
    assert _fails(F.judge_c33, dict(m, **{"H=2 numeric": dict(h2, max_grad=1e-8)}))
    assert _fails(F.judge_c33, dict(m, **{"H=1 numeric": dict(m["H=1 numeric"], point_to_catalog=math.nan)}))


# ------------------------------------------------------------------------------------------------------- C34


def _c34() -> dict:
    """Exact entries from the §3.2 multiset; FD spectra off by ~1e-10, as the real run shows."""
    sym = {}
    refs = {}
    for s, H, d_in, d_out in F.C34_CONFIGS:
        D = min(d_in, d_out)
        entries = {}
        for S in (S for r in range(min(H, D) + 1) for S in itertools.combinations(range(1, D + 1), r)):
            pred = linear_saddle_spectrum(s, S, H, d_in, d_out)
            lam = [float(x) for x in pred]
            inertia = [sum(x < 0 for x in lam), sum(x == 0 for x in lam), sum(x > 0 for x in lam)]
            entries[_label(S)] = {"exact": True, "inertia": inertia,
                                  "morse_formula": int(linear_morse_index(s, S, H))}
            key = f"s={tuple(s)} H={H} S={tuple(S)}"
            if d_in == d_out and key in F.C34_REFERENCES:
                refs[key] = [str(x) for x in pred]
        sym[F._c34_config(s, H, d_in, d_out)] = entries
    rng = np.random.default_rng(34)
    trials = []
    for _ in range(F.C34_TRIALS):
        D, H = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        s = np.sort(rng.choice(np.arange(1, 20), size=D, replace=False) / 4.0)[::-1]
        S = sorted(rng.choice(np.arange(1, D + 1), size=int(rng.integers(0, min(H, D) + 1)), replace=False).tolist())
        pred = sorted(float(x) for x in linear_saddle_spectrum(s.tolist(), S, H))
        trials.append({"s": s.tolist(), "H": H, "S": S, "predicted": pred,
                       "morse_formula": int(linear_morse_index(s.tolist(), S, H)),
                       "eigenvalues": [x + 1e-11 for x in pred], "rotated": [x - 1e-10 for x in pred],
                       "rescaled": [x * (1.7**2 if x > 0 else 1.0) for x in pred],
                       "theta_scale": float(np.sqrt(s.max()))})
    return {"symbolic": sym, "references": refs, "numeric": trials}


def _c34_trial(i: int, **changes) -> dict:
    m = copy.deepcopy(_c34())
    t = m["numeric"][i]
    m["numeric"][i] = dict(t, **{k: f(t[k]) for k, f in changes.items()})
    return m


def _first_with_zero(m: dict) -> int:
    return next(i for i, t in enumerate(m["numeric"]) if 0.0 in t["predicted"])


def test_c34_judge():
    m = _c34()
    assert sum(len(e) for e in m["symbolic"].values()) == 29 and len(m["references"]) == 3
    assert F.judge_c34(m).passed
    assert _fails(F.judge_c34, F._c34_scaled(m, 0.01))                                       # spectrum x 1.01
    assert _fails(F.judge_c34, F._c34_scaled(m, 1e-8))
    assert _fails(F.judge_c34, _c34_trial(3, rotated=lambda r: [x * 1.01 for x in r]))      # rotation moves it
    assert _fails(F.judge_c34, _c34_trial(3, morse_formula=lambda k: k + 1))                # a wrong Morse index
    z = _first_with_zero(m)
    lost_zero = _c34_trial(z, rescaled=lambda r: sorted(r[:r.index(0.0)] + [0.3] + r[r.index(0.0) + 1:]))
    assert _fails(F.judge_c34, lost_zero)                                                    # rescaling: a zero lost
    assert _fails(F.judge_c34, _c34_trial(5, eigenvalues=lambda e: [math.nan, *e[1:]]))
    assert _fails(F.judge_c34, _c34_trial(5, eigenvalues=lambda e: e[1:]))                  # a missing eigenvalue
    assert _fails(F.judge_c34, dict(m, numeric=m["numeric"][:-1]))                           # a trial left out
    bad = copy.deepcopy(m)
    bad["symbolic"]["s=(5, 3, 2) H=3 3x3"]["S={1}"]["inertia"][0] += 1                       # inertia != formula
    assert _fails(F.judge_c34, bad)
    bad = copy.deepcopy(m)
    bad["symbolic"]["s=(3, 2, 1) H=2 4x3"]["S={2}"]["exact"] = False
    assert _fails(F.judge_c34, bad)
    bad = copy.deepcopy(m)
    del bad["symbolic"]["s=(3, 2, 1) H=2 3x3"]["S={2,3}"]                                   # a missing entry
    assert _fails(F.judge_c34, bad)
    bad = copy.deepcopy(m)
    bad["references"]["s=(5, 3, 2) H=2 S=(1,)"][-1] = "11"                                  # a wrong reference
    assert _fails(F.judge_c34, bad)


# ------------------------------------------------------------------------------------------------------- C35


def _c35() -> dict:
    """The real run's numbers."""
    r6 = math.sqrt(6)
    return {
        "zero-unit Hessian rows exactly 0": True,
        "hessian": {
            "spec §2.6 representative": {
                "fixed_point": True, "inertia(-,0,+)": [0, 11, 4],
                "eigenvalues": [-2.2519923814114947e-15, *[0.0] * 9, 1.9260248278891297e-15, 3.265986323710904,
                                9.797958971132712, 13.063945294843617, 21.063945294843613]},
            "balanced representative": {
                "fixed_point": True, "inertia(-,0,+)": [0, 11, 4],
                "eigenvalues": [*[0.0] * 11, 3.4943218589451956, 10.482965576835586, 13.977287435780783,
                                20.96593115367117]}},
        "predicted_eigenvalues": [4 * r6 / 3, 4 * r6, 16 * r6 / 3, 8 + 16 * r6 / 3],
        "G*": ["0", "2/3", "-10/3", "-16/3"], "G*_predicted": [0.0, 2 / 3, -10 / 3, -16 / 3],
        "predicted escape": {"direction": [0.0, 0.0, 0.0, 1.0], "runner_up": [0.0, 0.0, 1.0, 0.0], "v_sign": -1},
        "class": "degenerate saddle",
        "numeric escape": {"u": [0.0, 0.0, 0.0, 1.0], "v_sign": -1.0,
                           "G*_diag": [2.220446049250313e-16, 0.6666666666666667, -3.333333333333333,
                                       -5.333333333333333]},
        "flow": {"t_end": 94.55, "final_loss": 2.0, "final_grad": 9.9999996e-09, "curvature": 3.999999995,
                 "predicted_level": 2.0, "predicted_level_exact": "2", "L0": 10.0},
    }


def _c35_with(path, value):
    m = copy.deepcopy(_c35())
    *head, last = path
    node = m
    for k in head:
        node = node[k]
    node[last] = value
    return m


def test_c35_passes_the_true_measurement():
    assert F.judge_c35(_c35()).passed


@pytest.mark.parametrize("wrong, d", [
    (F._c35_eigs, 1e-3), (F._c35_g, 1e-3), (F._c35_direction, 1e-3), (F._c35_level, 0.01), (F._c35_level, 1e-9),
])
def test_c35_rejects_wrong_theories(wrong, d):
    assert _fails(F.judge_c35, wrong(_c35(), d))


@pytest.mark.parametrize("path, value", [
    (("zero-unit Hessian rows exactly 0",), False),
    (("hessian", "balanced representative", "inertia(-,0,+)"), [1, 10, 4]),   # a strict saddle after all
    (("hessian", "spec §2.6 representative", "fixed_point"), False),
    (("hessian", "spec §2.6 representative", "eigenvalues"), [*[0.0] * 12, 3.266, 9.798, 13.064]),  # one lost
    (("hessian", "spec §2.6 representative", "eigenvalues"), [*[0.0] * 11, 3.266, 9.798, 13.064, 21.064]),  # 4 digits
    (("G*",), ["0", "2/3", "-10/3", "-5"]),
    (("class",), "strict saddle"),
    (("numeric escape", "v_sign"), 1.0),                                      # escape with v > 0
    (("numeric escape", "u"), [0.0, 0.0, 1.0, 0.0]),                          # along e_3
    (("numeric escape", "u"), [0.0, 0.0, 0.0, math.nan]),
    (("numeric escape", "G*_diag"), [0.0, 2 / 3, -10 / 3, math.nan]),
    (("flow", "final_loss"), math.nan),                                       # the flow blew up
    (("flow", "final_loss"), 2 + 1e-10),
    (("flow", "final_loss"), 1.2),                                            # it escaped past L({1,4})
    (("flow", "curvature"), math.nan),
])
def test_c35_rejects_wrong_measurements(path, value):
    assert _fails(F.judge_c35, _c35_with(path, value))


# ------------------------------------------------------------------------------------------------------- all


TRUE = {"C1": _c1, "C4": _c4, "C5": _c5, "C20": _c20, "C21": _c21, "C33": _c33, "C34": _c34, "C35": _c35}


@pytest.mark.parametrize("claim_id", sorted(TRUE))
def test_every_wrong_theory_is_resolved(claim_id):
    claim = REGISTRY[claim_id]
    assert claim.judge is not None and claim.wrong
    m = TRUE[claim_id]()
    assert claim.judge(m).passed
    for wrong in claim.wrong:
        power = resolving_power(claim.judge, m, wrong)
        # every family is refused at 1 % (and the exact/round-off ones far below)
        assert power is not None and power <= 1e-2, (wrong.name, power)


def test_doctests_of_the_fixed_point_claims():
    assert doctest.testmod(F).failed == 0


def test_c20_entry_count_follows_the_nonzero_m_rule():
    assert F.c20_entries(["2", "1", "-1", "-2"], 4) == 16
    assert F.c20_entries(["3", "1/2", "-2"], 2) == 6  # S = {1,2} drops out: m_2 = 1/2 + tau/2 = 0
