"""Itineraries and saddle graphs (spec §3.1, §4.3) on linear nets, whose saddles are known in closed form.

Whitened linear net, Σ_yx = diag(s) with distinct s: the fixed points are labelled by the set of learned modes;
from small init the flow visits {} → {1} → {1,2} → … (spec §5.1). At θ = 0 the Hessian has eigenvalues ±s_k, each
with multiplicity H (one copy per unit, spec §3.2), so the Morse index there is H·rank(Σ_yx).
"""

from __future__ import annotations

import sys

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


# ------------------------------------------------------------------------------------------------ Morse cache


def _records(visits):
    return [(v.label, v.info.morse_index, v.info.effective_width) for v in visits]


def test_morse_cache_reuses_the_index_of_settled_saddles_across_seeds():
    arch, task = _linear()
    res = _flow(arch, task, 1e-6, 3)
    plain = [itinerary(arch, task, res, b) for b in range(3)]
    cache = N.MorseCache()
    cached = [itinerary(arch, task, res, b, morse_cache=cache, source=100 + b) for b in range(3)]
    assert [_records(v) for v in cached] == [_records(v) for v in plain]
    assert not any(v.info.morse_cached for v in cached[0])  # the first seed computes every saddle
    reused = [v for its in cached[1:] for v in its if v.info.morse_cached]
    assert reused and cache.hits == len(reused) and len(cache) == cache.misses
    first = {v.label: v for v in cached[0]}
    for v in reused:  # the index, λ_min and origin of the first seed's visit of the same saddle
        assert v.info.morse_from == (100, first[v.label].t)
        assert v.info.min_eigenvalue == first[v.label].info.min_eigenvalue
        d = v.to_dict()
        assert d["morse_cached"] is True and d["morse_from"] == {"source": 100, "t": first[v.label].t}
    assert plain[1][0].to_dict()["morse_cached"] is False and plain[1][0].to_dict()["morse_from"] is None


def test_inertia_count_gives_the_same_indices_without_min_eigenvalue():
    arch, task = _linear()
    res = _flow(arch, task, 1e-6, 2)
    for b in range(2):
        a, c = itinerary(arch, task, res, b), itinerary(arch, task, res, b, min_eigenvalue=False)
        assert _records(a) == _records(c) and all(v.info.min_eigenvalue is None for v in c)
    # a record without λ_min is not reused by a caller who wants it
    cache = N.MorseCache()
    itinerary(arch, task, res, 0, morse_cache=cache, min_eigenvalue=False)
    again = itinerary(arch, task, res, 1, morse_cache=cache, min_eigenvalue=True)
    assert not any(v.info.morse_cached for v in again) and all(v.info.min_eigenvalue is not None for v in again)


def test_unsettled_visits_and_fragile_records_are_not_reused():
    arch, task = _linear()
    res = _flow(arch, task, 1e-6, 2)
    cache = N.MorseCache()
    for b in range(2):  # cache_rtol = 0: no visit with a nonzero gradient counts as settled
        assert not any(v.info.morse_cached for v in itinerary(arch, task, res, b, morse_cache=cache, cache_rtol=0.0))
    assert cache.hits == 0 and cache.unsettled > 0
    # At θ = 0 the Hessian has eigenvalues ±3, ±2, ±1 (c_min = 1). τ = 0.05: isolated, reused. τ = 0.5: −1 lies
    # within a factor 4 of −τ, so the record is fragile and each visit computes its own index.
    theta = np.zeros(arch.n_params)
    for atol, reused in ((0.05, True), (0.5, False)):
        cache = N.MorseCache()
        infos = [describe_point(arch, task, theta, hess_atol=atol, morse_cache=cache) for _ in range(2)]
        assert [i.morse_cached for i in infos] == [False, reused] and infos[1].morse_index == 9


def test_level_labels_are_cached_only_on_request_and_a_cache_serves_one_problem():
    quad = N.build_architecture("quadratic", d_in=2, width=2)
    qt = N.QuadraticGaussianTask(np.diag([1.0, -1.0]))
    theta = np.zeros(quad.n_params)
    for level_labels, second in ((False, False), (True, True)):
        cache = N.MorseCache(level_labels=level_labels)
        infos = [describe_point(quad, qt, theta, morse_cache=cache) for _ in range(2)]
        assert infos[0].label == "w0|L=2" and [i.morse_cached for i in infos] == [False, second]
    arch, task = _linear()
    with pytest.raises(N.InputError, match="morse_cache"):
        describe_point(arch, task, np.zeros(arch.n_params), morse_cache=cache)
    cache = N.MorseCache()
    describe_point(arch, task, np.zeros(arch.n_params), morse_cache=cache)
    with pytest.raises(N.InputError, match="morse_cache"):  # same architecture, another task
        describe_point(arch, N.whitened([3.0, 2.0, 1.0]), np.zeros(arch.n_params), morse_cache=cache)


def test_batched_dense_output_equals_one_replay_per_time():
    # itinerary and staircase_from_result build all interpolants of a member in one batch (numerics/integrate/dense)
    from scipy.optimize import brentq

    from numerics.integrate.dense import refine_crossings, step_interpolant

    arch, task = _linear()
    fun = lambda th: N.loss_and_grad(arch, task, th)  # noqa: E731
    res = N.gradient_flow(fun, N.init_params(arch, 1e-6, seed=0), 40.0, save_every=5)
    m = res[0]
    times = np.array([m.t[3], 0.5 * (m.t[7] + m.t[8]), 0.3 * m.t[12] + 0.7 * m.t[13], m.t_saved[2]])
    theta, loss = N.interpolate(fun, res, 0, times)
    for k, tk in enumerate(times):
        j = min(int(np.searchsorted(m.t, tk, side="right")) - 1, m.t.size - 2)
        np.testing.assert_allclose(theta[k], step_interpolant(fun, res, 0, j)(tk), rtol=1e-13, atol=1e-20)
    assert np.array_equal(theta[3], m.theta[2])  # a stored time returns the stored θ
    levels = [6.0, 2.0, 0.7, -1.0]  # the last is never reached
    t_batch = refine_crossings(fun, res, 0, levels)
    for level, tb in zip(levels[:3], t_batch[:3], strict=True):  # reference: Brent on a step's own interpolant
        j = int(np.flatnonzero(m.loss <= level)[0]) - 1
        interp = step_interpolant(fun, res, 0, j)
        ref = brentq(lambda tau: float(fun(interp(np.array([tau])))[0][0]) - level, m.t[j], m.t[j + 1],  # noqa: B023
                     xtol=4 * np.spacing(max(abs(m.t[j + 1]), 1.0)), rtol=4 * np.finfo(float).eps)
        assert tb == pytest.approx(ref, rel=1e-14)
    assert np.isnan(t_batch[3]) and N.refine_crossing(fun, res, 0, levels[1]) == t_batch[1]


def test_seed_sensitive_saddle_is_computed_per_seed(monkeypatch):
    # linear-fc, s = 5..1, H = 8, ε = 1e-6: the drops of s = 4 and 3 merge, and the plateau point labelled
    # modes{1,2,3} is not settled (‖∇L‖ ≈ 5 % of its peak, a cluster of eigenvalues near −τ): its index is 10 for
    # some seeds and 11 for others (MorseCache Notes). The guards keep every seed's own index; without them (any
    # near-fixed point counts as settled, any record as isolated) the cache reports the first seed's index for all.
    arch = N.build_architecture("linear-fc", d_in=5, d_out=5, width=8)
    task = N.whitened([5.0, 4.0, 3.0, 2.0, 1.0])
    fun = lambda th: N.loss_and_grad(arch, task, th)  # noqa: E731
    res = N.gradient_flow(fun, N.init_params(arch, 1e-6, seed=0, n_seeds=12), 66.5, gtol=1e-10,
                          stiff_method="LSODA")
    plain = [_records(itinerary(arch, task, res, b, min_eigenvalue=False)) for b in range(12)]
    assert len({r[1] for p in plain for r in p if r[0] == "modes{1,2,3}"}) == 2
    cache = N.MorseCache()
    guarded = [itinerary(arch, task, res, b, min_eigenvalue=False, morse_cache=cache) for b in range(12)]
    assert [_records(v) for v in guarded] == plain and cache.hits > 0
    assert not any(v.info.morse_cached for its in guarded for v in its if v.label == "modes{1,2,3}")
    monkeypatch.setattr(sys.modules["numerics.itinerary"], "MORSE_MARGIN", 1.0 + 1e-9)
    cache = N.MorseCache()
    naive = [_records(itinerary(arch, task, res, b, min_eigenvalue=False, morse_cache=cache, cache_rtol=1.0))
             for b in range(12)]
    assert naive != plain


def _described(visits):
    return [(v.label, v.info.morse_index, v.info.effective_width, v.info.morse_cached, v.info.morse_from,
             v.near_fixed_point, v.degenerate, v.t) for v in visits]


def _counters(cache):
    return cache.hits, cache.misses, cache.unsettled, len(cache)


def test_itineraries_of_a_chunk_equal_one_member_at_a_time():
    # The seed-sensitive case of the next test has all three kinds of visit: answered by the cache, computed and
    # stored (settled, isolated), computed per seed (modes{1,2,3}, unsettled). Batched, every seed must get what
    # the seed-by-seed description with the same cache gives, and the cache the same records and counters.
    arch = N.build_architecture("linear-fc", d_in=5, d_out=5, width=8)
    task = N.whitened([5.0, 4.0, 3.0, 2.0, 1.0])
    fun = lambda th: N.loss_and_grad(arch, task, th)  # noqa: E731
    res = N.gradient_flow(fun, N.init_params(arch, 1e-6, seed=0, n_seeds=8), 66.5, gtol=1e-10,
                          stiff_method="LSODA")
    members, sources = [3, 0, 5, 1, 7, 2], [f"s{b}" for b in (3, 0, 5, 1, 7, 2)]
    for keep_all, min_eigenvalue in ((False, True), (True, False)):
        one, many = N.MorseCache(), N.MorseCache()
        ref = [N.itinerary(arch, task, res, b, morse_cache=one, source=s, keep_all=keep_all,
                           min_eigenvalue=min_eigenvalue) for b, s in zip(members, sources, strict=True)]
        got = N.itineraries(arch, task, res, members, morse_cache=many, sources=sources, keep_all=keep_all,
                            min_eigenvalue=min_eigenvalue)
        assert [_described(v) for v in got] == [_described(v) for v in ref]
        assert _counters(many) == _counters(one) and many.hits > 0 and many.unsettled > 0
        for a, b in zip(got, ref, strict=True):
            lam = np.array([(v.info.min_eigenvalue or 0.0, w.info.min_eigenvalue or 0.0)
                            for v, w in zip(a, b, strict=True)]).reshape(-1, 2)
            np.testing.assert_allclose(lam[:, 0], lam[:, 1], rtol=1e-12, atol=1e-14)
            assert all(np.allclose(v.theta, w.theta, rtol=1e-13, atol=1e-20) for v, w in zip(a, b, strict=True))
    # a member without a staircase has no visits, the others are unchanged
    sc = [N.staircase_from_result(res, b, fun=fun) for b in (0, 1)]
    both = N.itineraries(arch, task, res, [0, 1], staircases=[None, sc[1]])
    assert both[0] == [] and _described(both[1]) == _described(N.itinerary(arch, task, res, 1))
    twice = N.itineraries(arch, task, res, [1, 1])  # a member asked twice is described twice, not merged
    assert _described(twice[0]) == _described(twice[1]) == _described(both[1])
    with pytest.raises(N.InputError, match="one per member"):
        N.itineraries(arch, task, res, [0, 1], staircases=[sc[0]])


@pytest.mark.parametrize("atol, reused", [(0.05, True), (0.5, False)])
def test_points_of_one_batch_wait_for_the_first_record_of_their_saddle(atol, reused):
    # Three visits of θ = 0 in one batch: the first computes the index; the others reuse it only if its record is
    # isolated (τ = 0.05), else each computes its own (τ = 0.5: λ = −1 is within a factor 4 of −τ) — exactly as
    # when the three are described one after another.
    from numerics.itinerary import _describe, zero_loss

    arch, task = _linear()
    thetas = np.zeros((3, arch.n_params))
    one = N.MorseCache()
    ref = [describe_point(arch, task, th, hess_atol=atol, morse_cache=one, source=k) for k, th in enumerate(thetas)]
    many = N.MorseCache()
    got = _describe(arch, task, thetas, scale=zero_loss(arch, task), thresholds_=None, hessian_index=True,
                    hess_rtol=1e-3, hess_atol=atol, max_hessian_params=1500, min_eigenvalue=True, morse_cache=many,
                    sources=[(k, None) for k in range(3)], use_cache=np.ones(3, dtype=bool), blas_limit=1)
    assert got == ref and [i.morse_cached for i in got] == [False, reused, reused]
    assert _counters(many) == _counters(one) == ((2, 1, 0, 1) if reused else (0, 3, 0, 1))


def test_function_labels_equal_one_row_at_a_time():
    arch, task = _linear()
    thetas = N.init_params(arch, 1.0, seed=3, n_seeds=6)
    loss = N.loss(arch, task, thetas)
    widths = N.effective_width(arch, thetas, task)
    many = N.function_labels(arch, task, thetas, loss, widths, 7.0)
    assert many == [function_label(arch, task, th, lo, w, 7.0) for th, lo, w in zip(thetas, loss, widths,
                                                                                     strict=True)]
    assert len(set(many)) > 1  # the draw learns different modes
    quad = N.build_architecture("quadratic", d_in=2, width=2)
    qt = N.QuadraticGaussianTask(np.diag([1.0, -1.0]))
    assert N.function_labels(quad, qt, np.zeros((2, quad.n_params)), np.array([7.33333, 1e-12]),
                             np.array([1, 2]), 10.0) == ["w1|L=7.33", "w2|L=0"]
