"""Saddle graphs (spec §4.3): visited saddles across an ensemble, and the connections out of a given saddle.

* :func:`saddle_graph` — the observed graph: one node per function-space fixed point (key
  :func:`numerics.itinerary.function_label`), one edge per observed transition between consecutive visits of an
  :func:`~numerics.itinerary.itinerary`. Node attributes: ``loss`` (mean over visits), ``losses``,
  ``effective_width``, ``morse_index`` (most frequent), ``min_eigenvalue`` (mean), ``visits``,
  ``first_time`` (mean time of the plateau point), ``final`` (number of runs that ended there). Edge attributes:
  ``count``, ``transition_times`` (the drop time that left the source, one per observation) and their ``mean_time``.
* :func:`saddle_connections` — the connection graph of App. F.4 / spec §4.3: from a fixed point θ_s, perturb along
  every unstable Hessian eigenvector e_k (λ_k < −tol, both signs: θ_s ± δ e_k), integrate all 2m perturbed
  points in one batched :func:`~numerics.integrate.gradient_flow`, and record the fixed point each one reaches
  (label, loss, effective width, Morse index). Edges carry ``directions`` [(k, sign, λ_k, arrival time)] and
  ``count``. With ``depth > 1`` the reached saddles (Morse index > 0) are expanded in turn.

A perturbation along a single eigenvector can stay on an invariant manifold (spec §4.1, e.g. rank-one weights of a
linear net), so the flow may *converge to a lower saddle* rather than to a minimum: that is the saddle-to-saddle
step the graph is meant to show. Round-off eventually seeds the remaining unstable directions, but the
convergence rule of the integrator (‖∇L‖ ≤ gtol·√L_scale) stops first.

Example
-------
>>> import numpy as np
>>> from numerics import build_architecture, whitened
>>> arch = build_architecture("linear-fc", d_in=2, d_out=2, width=1); task = whitened([2.0, 1.0])
>>> g = saddle_connections(arch, task, np.zeros(arch.n_params))
>>> sorted(g.successors("modes{}"))
['modes{1}', 'modes{2}']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .architectures import Architecture
from .complexity import Thresholds, target_scale
from .integrate import gradient_flow
from .itinerary import HESS_ATOL, HESS_RTOL, Visit, describe_point, zero_loss
from .objective import hessian, loss_and_grad


def saddle_graph(itineraries: Iterable[Sequence[Visit]]) -> nx.DiGraph:
    """Directed graph of the saddles visited by an ensemble of trajectories (module docstring)."""
    g = nx.DiGraph()
    for visits in itineraries:
        for k, v in enumerate(visits):
            key = v.label
            if key not in g:
                g.add_node(key, losses=[], widths=[], indices=[], eigs=[], times=[], visits=0, final=0)
            d = g.nodes[key]
            d["losses"].append(v.info.loss)
            d["widths"].append(v.info.effective_width)
            if v.info.morse_index is not None:
                d["indices"].append(v.info.morse_index)
                d["eigs"].append(v.info.min_eigenvalue)
            d["times"].append(v.t)
            d["visits"] += 1
            if k == len(visits) - 1:
                d["final"] += 1
            if k > 0:
                src = visits[k - 1].label
                if g.has_edge(src, key):
                    g.edges[src, key]["count"] += 1
                    g.edges[src, key]["transition_times"].append(visits[k - 1].t_leave)
                else:
                    g.add_edge(src, key, count=1, transition_times=[visits[k - 1].t_leave])
    for _, d in g.nodes(data=True):
        d["loss"] = float(np.mean(d["losses"]))
        d["effective_width"] = Counter(d.pop("widths")).most_common(1)[0][0]
        idx = d.pop("indices")
        d["morse_index"] = Counter(idx).most_common(1)[0][0] if idx else None
        eigs = d.pop("eigs")
        d["min_eigenvalue"] = float(np.mean(eigs)) if eigs else None
        d["first_time"] = float(np.mean(d.pop("times")))
    for _, _, d in g.edges(data=True):
        d["mean_time"] = float(np.mean(d["transition_times"]))
    return g


def unstable_directions(arch: Architecture, task: Any, theta_1d, *, hess_rtol: float = HESS_RTOL,
                        hess_atol: float = HESS_ATOL) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues λ_k < −max(hess_rtol·max|λ|, hess_atol·c_min) of ∇²L(θ) and their unit eigenvectors (columns),
    most negative first (spec §3.1: the Jacobian of the flow is −∇²L, so these are the escape directions)."""
    lam, vec = np.linalg.eigh(hessian(arch, task, np.asarray(theta_1d, dtype=float)))
    tol = max(hess_rtol * float(np.abs(lam).max()), hess_atol * target_scale(arch, task))
    keep = lam < -tol
    return lam[keep], vec[:, keep]


def saddle_connections(arch: Architecture, task: Any, theta_saddle, *, delta: float = 1e-3,
                       t_max: float | None = None, depth: int = 1, max_directions: int | None = None,
                       hess_rtol: float = HESS_RTOL, hess_atol: float = HESS_ATOL,
                       thresholds_: Thresholds | None = None, graph: nx.DiGraph | None = None,
                       **flow_options: Any) -> nx.DiGraph:
    """Connection graph out of the fixed point ``theta_saddle`` (1-D), see the module docstring.

    Parameters
    ----------
    delta : float
        Size of the perturbation θ_s ± δ e_k (‖e_k‖ = 1); it must exceed the distance of θ_s from the exact
        saddle, and be small enough to stay in the saddle's linear regime.
    t_max : float, optional
        Integration horizon; default 50·(1 + ln(1/δ))/|λ| for the weakest unstable eigenvalue |λ| (escape takes
        ≈ ln(1/δ)/|λ|, spec §6.4; the convergence rule stops each member earlier).
    depth : int
        Expand reached saddles (Morse index > 0) this many times in total.
    max_directions : int, optional
        Use only the most unstable ones.
    flow_options
        Passed to :func:`~numerics.integrate.gradient_flow` (e.g. ``rtol``, ``time_budget_s``).
    """
    g = nx.DiGraph() if graph is None else graph
    scale = zero_loss(arch, task)

    def fun(th: np.ndarray):
        return loss_and_grad(arch, task, th)

    def node(theta: np.ndarray) -> str:
        info = describe_point(arch, task, theta, level_scale=scale, thresholds_=thresholds_, hess_rtol=hess_rtol,
                              hess_atol=hess_atol)
        if info.label not in g:
            g.add_node(info.label, loss=info.loss, effective_width=info.effective_width,
                       morse_index=info.morse_index, min_eigenvalue=info.min_eigenvalue, theta=np.array(theta),
                       expanded=False)
        return info.label

    frontier = [np.asarray(theta_saddle, dtype=float).reshape(-1)]
    for _ in range(max(1, depth)):
        nxt: list[np.ndarray] = []
        for th in frontier:
            src = node(th)
            if g.nodes[src]["expanded"]:
                continue
            g.nodes[src]["expanded"] = True
            lam, vec = unstable_directions(arch, task, th, hess_rtol=hess_rtol, hess_atol=hess_atol)
            if max_directions is not None:
                lam, vec = lam[:max_directions], vec[:, :max_directions]
            g.nodes[src]["escape_eigenvalues"] = lam.tolist()
            if lam.size == 0:
                continue
            starts = np.concatenate([th + delta * vec.T, th - delta * vec.T])
            horizon = t_max if t_max is not None else 50.0 * (1.0 + np.log(1.0 / delta)) / float(np.abs(lam).min())
            res = gradient_flow(fun, starts, horizon, save_every=None, **flow_options)
            m = lam.size
            for j, member in enumerate(res):
                dst = node(member.theta_final)
                k, sign = j % m, (1 if j < m else -1)
                info = (int(k), sign, float(lam[k]), float(member.t_final), member.status)
                if g.has_edge(src, dst):
                    g.edges[src, dst]["count"] += 1
                    g.edges[src, dst]["directions"].append(info)
                else:
                    g.add_edge(src, dst, count=1, directions=[info])
                if (g.nodes[dst]["morse_index"] or 0) > 0 and not g.nodes[dst]["expanded"] and dst != src:
                    nxt.append(member.theta_final)
        frontier = nxt
        if not frontier:
            break
    return g


def graph_to_dict(g: nx.DiGraph) -> dict[str, Any]:
    """JSON-ready node/edge lists (θ and raw per-visit lists dropped)."""
    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ("theta", "losses")}

    return {"nodes": [{"label": n, **clean(d)} for n, d in g.nodes(data=True)],
            "edges": [{"source": a, "target": b, **clean(d)} for a, b, d in g.edges(data=True)]}
