"""Itineraries and saddle graphs (spec §3.1, §4.3) on linear nets, whose saddles are known in closed form.

Whitened linear net, Σ_yx = diag(s) with distinct s: the fixed points are labelled by the set of learned modes;
from small init the flow visits {} → {1} → {1,2} → … (spec §5.1). At θ = 0 the Hessian has eigenvalues ±s_k, each
with multiplicity H (one copy per unit, spec §3.2), so the Morse index there is H·rank(Σ_yx).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import numerics as N
from numerics.itinerary import describe_point, function_label, itinerary, learned_modes
from numerics.saddle_graph import graph_to_dict, saddle_connections, saddle_graph, unstable_directions


def _linear(width=3, s=(3.0, 2.0, 1.0)):
    arch = N.build_architecture("linear-fc", d_in=len(s), d_out=len(s), width=width)
    return arch, N.whitened(list(s))


def _flow(arch, task, eps, seeds):
    fun = lambda th: N.loss_and_grad(arch, task, th)  # noqa: E731
    return N.gradient_flow(fun, N.init_params(arch, eps, seed=0, n_seeds=seeds), 40.0)


def test_itinerary_visits_the_linear_saddles_in_order():
    arch, task = _linear()
    res = _flow(arch, task, 1e-6, 1)
    visits = itinerary(arch, task, res)
    assert [v.label for v in visits] == ["modes{}", "modes{1}", "modes{1,2}", "modes{1,2,3}"]
    # Plateau levels L_k = ½ Σ_{j>k} s_j² (spec §6.5); the plateau point is O(ε)-close to the saddle.
    np.testing.assert_allclose([v.info.loss for v in visits[:3]], [7.0, 2.5, 0.5], rtol=1e-2)
    assert [v.info.effective_width for v in visits] == [0, 1, 2, 3]
    assert visits[0].info.morse_index == 3 * 3  # H · rank Σ_yx
    assert visits[0].info.min_eigenvalue == pytest.approx(-3.0, rel=1e-6)
    assert all(v.info.morse_index > 0 for v in visits[:3]) and visits[-1].info.morse_index == 0
    assert all(v.near_fixed_point and not v.degenerate for v in visits)
    assert visits[1].t_enter < visits[1].t < visits[1].t_leave
    d = visits[1].to_dict()
    assert d["label"] == "modes{1}" and "theta" not in d


def test_learned_modes_and_labels():
    arch, task = _linear()
    w = np.diag([2.9, 0.9, 0.6])  # mode k learned when a_k > s_k/2: 2.9 > 1.5, 0.9 < 1, 0.6 > 0.5
    assert learned_modes(task, w) == (1, 3)
    quad = N.build_architecture("quadratic", d_in=2, width=2)
    qt = N.QuadraticGaussianTask(np.diag([1.0, -1.0]))
    theta = np.zeros(quad.n_params)
    assert function_label(quad, qt, theta, 7.33333, 1, 10.0) == "w1|L=7.33"
    assert function_label(quad, qt, theta, 1e-12, 2, 10.0) == "w2|L=0"


def test_degenerate_saddle_of_quadratic_net_has_index_zero():
    # f = Σ v_i (u_i·x)² is cubic in θ, so the Hessian vanishes at θ = 0 (spec §3.1, §3.3): index 0, degenerate.
    arch = N.build_architecture("quadratic", d_in=2, width=2)
    info = describe_point(arch, N.QuadraticGaussianTask(np.diag([1.0, -1.0])), np.zeros(arch.n_params))
    assert info.morse_index == 0 and info.effective_width == 0 and info.grad_norm == 0.0


def test_saddle_graph_over_an_ensemble():
    arch, task = _linear()
    res = _flow(arch, task, 1e-6, 3)
    g = saddle_graph(itinerary(arch, task, res, b) for b in range(3))
    assert isinstance(g, nx.DiGraph)
    assert list(nx.topological_sort(g)) == ["modes{}", "modes{1}", "modes{1,2}", "modes{1,2,3}"]
    assert all(d["count"] == 3 and len(d["transition_times"]) == 3 for _, _, d in g.edges(data=True))
    assert g.nodes["modes{1,2,3}"]["final"] == 3 and g.nodes["modes{}"]["morse_index"] == 9
    assert g.nodes["modes{1}"]["loss"] == pytest.approx(2.5, rel=1e-2)
    # Transition times increase along the path (drops happen in order of s_k).
    times = [g.edges[a, b]["mean_time"] for a, b in nx.utils.pairwise(nx.topological_sort(g))]
    assert times == sorted(times)
    assert {e["source"] for e in graph_to_dict(g)["edges"]} == {"modes{}", "modes{1}", "modes{1,2}"}


def test_saddle_connections_from_the_origin():
    # H = 1: the rank is at most 1, so the fixed points are {} (origin), {1}, {2} (saddle) and the minimum {1}.
    arch, task = _linear(width=1, s=(2.0, 1.0))
    lam, vec = unstable_directions(arch, task, np.zeros(arch.n_params))
    np.testing.assert_allclose(lam, [-2.0, -1.0], rtol=1e-8)
    g = saddle_connections(arch, task, np.zeros(arch.n_params), depth=2)
    assert g.nodes["modes{}"]["morse_index"] == 2
    assert sorted(g.successors("modes{}")) == ["modes{1}", "modes{2}"]
    # From the origin, ±e along the −s_k eigenvector stays on the invariant manifold of mode k (spec §4.1).
    for _, dst, d in g.out_edges("modes{}", data=True):
        assert {k for k, *_ in d["directions"]} == ({0} if dst == "modes{1}" else {1})
        assert d["count"] == 2  # both signs
    # The mode-2 saddle has index 1 (rotation towards mode 1) and leads to the minimum {1}.
    assert g.nodes["modes{2}"]["morse_index"] == 1 and list(g.successors("modes{2}")) == ["modes{1}"]
    assert g.nodes["modes{1}"]["morse_index"] == 0
