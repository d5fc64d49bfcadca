"""Special functions used by the model builders.

``Relu`` is kept as an unevaluated function instead of ``Max(0, z)``: SymPy's ``Max`` re-simplifies its
arguments every time an expression is rebuilt (differentiation, substitution, lambdify), which made Hessians of
ReLU nets a hundred times slower to derive and compile.  d relu(z)/dz = Heaviside(z) (any value at z = 0).
"""

from __future__ import annotations

import sympy as sp


class Relu(sp.Function):
    """relu(z) = max(0, z), positively 1-homogeneous: relu(a z) = a relu(z) for a ≥ 0."""

    @classmethod
    def eval(cls, z):
        if z.is_number:
            return sp.Max(0, z)
        # Pull out every factor known to be positive: relu(a z) = a relu(z) for a > 0.
        factors = sp.Mul.make_args(z)
        positive = [f for f in factors if f.is_positive]
        if positive and len(positive) < len(factors):
            rest = sp.Mul(*[f for f in factors if not f.is_positive])
            return sp.Mul(*positive) * cls(rest)
        if z.is_nonnegative:
            return z
        if z.is_nonpositive:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex: int = 1):
        return sp.Heaviside(self.args[0])

    def _eval_rewrite_as_Max(self, z, **kwargs):
        return sp.Max(0, z)

    def _latex(self, printer):
        return r"\mathrm{relu}\left(" + printer._print(self.args[0]) + r"\right)"

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.maximum')}({printer._print(self.args[0])}, 0.0)"
