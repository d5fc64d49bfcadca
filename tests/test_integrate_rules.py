"""Stopping rules of the integrators (numerics/integrate): ``gtol = 0`` disables convergence, even where the gradient
is exactly zero (a start on the origin saddle), so the run reaches t_max as documented."""

from __future__ import annotations

import numpy as np
import pytest

import numerics


@pytest.mark.parametrize("method", ["flow", "descent"])
def test_gtol_zero_never_reports_convergence(method):
    arch = numerics.build_architecture("linear-fc", d_in=2, d_out=2, width=2)
    task = numerics.whitened([2.0, 1.0])

    def fun(th):
        return numerics.loss_and_grad(arch, task, th)

    theta0 = np.zeros((1, arch.n_params))  # ∇L(0) = 0 exactly: the origin is a saddle
    if method == "flow":
        res = numerics.gradient_flow(fun, theta0, 5.0, gtol=0)
    else:
        res = numerics.gradient_descent(fun, theta0, 0.1, t_max=5.0, gtol=0)
    assert res[0].status == "t_max"
    # with the rule on, the same start is (wrongly for a saddle, but as documented) a converged point
    on = numerics.gradient_flow(fun, theta0, 5.0) if method == "flow" else numerics.gradient_descent(
        fun, theta0, 0.1, t_max=5.0)
    assert on[0].status == "converged"
