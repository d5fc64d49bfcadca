"""The unit σ(z) of a pointwise network f(x) = Σ_i v_i σ(u_i·x): built-ins, units compiled from a user's
expression, and φ's properties measured numerically (docs/theory.md §1.2, §5.3).

An :class:`Activation` carries σ, σ′ and σ″ as NumPy callables.  σ′ is called as ``prime(z, a)`` with a = σ(z)
already computed by the forward pass, so tanh′ = 1 − a² costs no second tanh; ``prime is None`` stands for the
identity (σ′ ≡ 1), whose multiplication the kernels skip.

* The hand-written built-ins (:data:`BUILTIN_ACTIVATIONS`) reproduce the numerics the models have always used,
  including the project's convention relu′(z) = 1[z > 0] (so relu′(0) = 0) and relu″ = 0.
* :func:`compile_activation` turns a SymPy-syntax expression (parsed and vetted by
  :func:`guards.expression.parse_activation`) into an :class:`Activation`: σ′ and σ″ by ``sympy.diff``, all three
  by ``sympy.lambdify``.  A user may hand in faster NumPy callables of their own; they are used only after they
  agree with the compiled ones on a fixed grid of probe points.
* :func:`measure_unit` measures what the theory needs to know about φ(x; u) = σ(u·x) — value at 0 (zero unit),
  parity (even φ), lowest order q and coefficient a of σ − σ(0) at 0 (escape law, §5.3, §6.9) and homogeneity degree
  — from the numbers σ, σ′, σ″ return, with no symbolic series.  It is the numeric half of a cross-check: ``theory``
  derives the same properties symbolically and never shares code with this module.

Example
-------
>>> act = compile_activation("z + z**2/2")
>>> act.second(np.zeros((2, 3))).shape
(2, 3)
>>> m = measure_unit(act)
>>> (m.order, round(m.coefficient, 12), m.parity, m.degree)
(1, 1.0, 'neither', None)
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

import guards
from guards.alarm import within

from .errors import InputError

if TYPE_CHECKING:
    import sympy as sp

# SymPy and scipy.special cost every command about 0.5 s to import and only a user's expression (--activation)
# needs them: they are imported by the functions that compile one, never at module level.

Array = np.ndarray
Sigma = Callable[[Array], Array]
Prime = Callable[[Array, Array], Array]

#: Seconds allowed for differentiating and compiling one expression (500 characters at most, see guards).
COMPILE_SECONDS = 10.0
#: Where user-supplied callables are compared with the compiled ones: 41 points in [−3, 3] and ±1e-3, so both
#: the bulk of typical pre-activations and the neighbourhood of the zero unit are covered.
PROBES = np.concatenate([np.linspace(-3.0, 3.0, 41), [-1e-3, 1e-3]])
#: Largest accepted |user − compiled| / max(1, |compiled|) on :data:`PROBES`.
CALLABLE_TOLERANCE = 1e-8
#: Relative tolerance of the parity and homogeneity tests (see :func:`measure_unit`, Notes).
SYMMETRY_TOLERANCE = 1e-9
#: Largest accepted distance of the measured log-log slope from the integer order q.
SLOPE_TOLERANCE = 0.1
_EPS = float(np.finfo(np.float64).eps)


@functools.cache
def _lambdify_modules() -> list[Any]:
    """lambdify's namespaces: it maps erf/erfc to nothing in plain NumPy; SciPy's ufuncs go first so they win over
    the "numpy" module."""
    import scipy.special

    return [{"erf": scipy.special.erf, "erfc": scipy.special.erfc}, "numpy"]


@dataclass(frozen=True)
class InPlace:
    """σ and σ′ of a unit on a network's own scratch arrays: the built-ins' kernels without large temporaries.

    Parameters
    ----------
    forward : callable
        ``forward(z) -> (a, saved)`` with a = σ(z).  z is a fresh array of pre-activations that the network owns
        and does not use again, so ``forward`` may overwrite it (tanh returns a in z's memory); ``saved`` is the
        tuple of arrays of z's shape that ``scale`` needs besides a (``(z,)``, ``(z, tanh z)`` or ``()``).
    scale : callable or None
        ``scale(dz, a, *saved)`` multiplies dz, the network's own back-propagated array, by σ′(z) in place; a and
        ``saved`` are only read, so a pull-back may run more than once, and may be matching slices (a network
        pulls back a block of batch members at a time).  ``None`` when σ′ ≡ 1.

    Notes
    -----
    Each kernel performs the same floating-point operations, in the same order, as the public ``sigma`` and
    ``prime`` of its unit: ``forward(z)[0]`` is bitwise ``sigma(z)`` and ``scale`` bitwise ``dz *= prime(z, a)``
    (docs/theory.md §1.1).  Only the memory differs: at batch B = 256 a (B, H, P) array of pre-activations is about
    1 MB, and every fresh one of that size
    costs page faults that dominate the arithmetic (``1.0 - a*a`` allocates twice; ``s = a*a`` followed by
    ``1 - s`` written into s allocates once).
    """

    forward: Callable[[Array], tuple[Array, tuple[Array, ...]]]
    scale: Callable[..., None] | None


@dataclass(frozen=True)
class Activation:
    """A pointwise unit σ with its first two derivatives, as NumPy callables.

    Parameters
    ----------
    name : str
        ``"tanh"`` etc. for a built-in, the expression text for a user's unit.
    sigma : callable
        σ(z), elementwise, returning an array of z's shape.
    prime : callable or None
        σ′ as ``prime(z, a)`` with a = σ(z) (built-ins may use a; compiled units ignore it); ``None`` for the
        identity, whose σ′ ≡ 1 the kernels skip.
    second : callable
        σ″(z), elementwise.
    expression : str or None
        SymPy text of σ for compiled units (``None`` for the hand-written built-ins).
    inplace : InPlace or None
        The built-ins' kernels for a network's scratch arrays (see :meth:`activate`, :meth:`pull_back`);
        ``None`` for compiled units, which then run ``sigma`` and ``prime`` as given.
    linear : bool
        σ(z) = a·z for *every* z, decided exactly: the built-in identity, or an expression that is a polynomial of
        degree one in z without constant term. (:func:`measure_unit` measures homogeneity on probes with |z| up
        to 6e3, which a unit clipped farther out passes; the symmetry reduction of docs/theory.md §3.4 needs
        linearity everywhere.)

    Notes
    -----
    The network is f(x) = Σ_i v_i σ(u_i·x), so φ(x; u) = σ(u·x) (docs/theory.md §1.1, §1.4); its gradient in u_i
    needs σ′ and its Hessian σ″.  The built-in ``relu`` uses the subgradient relu′(0) = 0 and relu″ = 0, and
    returns relu′ as a boolean mask (it multiplies as 0/1), exactly as the models always did.

    Examples
    --------
    >>> TANH.prime(np.array([0.0]), TANH.sigma(np.array([0.0])))
    array([1.])
    """

    name: str
    sigma: Sigma
    prime: Prime | None
    second: Sigma
    expression: str | None = None
    inplace: InPlace | None = None
    linear: bool = False

    def __reduce__(self):
        """Pickled by reference: a built-in by its name, a compiled unit by its expression (compiled again on load,
        so a user's own callables are not carried; they agreed with the compiled ones)."""
        if BUILTIN_ACTIVATIONS.get(self.name) is self:
            return _builtin_activation, (self.name,)
        if self.expression is not None:
            return compile_activation, (self.name,)
        raise TypeError(f"Activation {self.name!r} holds its own callables and cannot be pickled; build it with "
                        "compile_activation")

    def derivative(self, z: Array) -> Array:
        """σ′(z) as a float array of z's shape, from z alone (``prime`` takes σ(z) too)."""
        if self.prime is None:
            return np.ones_like(z, dtype=np.float64)
        return np.asarray(self.prime(z, self.sigma(z)), dtype=np.float64)

    def activate(self, z: Array) -> tuple[Array, tuple[Array, ...]]:
        """(σ(z), saved) for a fresh float64 array z that the caller owns and gives up: it may be overwritten.
        ``saved`` is a tuple of arrays of z's shape, handed back (whole, or the same slice of each, as a) to
        :meth:`pull_back`."""
        if self.inplace is not None:
            return self.inplace.forward(z)
        return self.sigma(z), (z,)

    def pull_back(self, dz: Array, a: Array, saved: tuple[Array, ...]) -> Array:
        """dz ⊙ σ′(z) written into dz (a float64 array the caller owns), with a and ``saved`` from
        :meth:`activate` (only read); returns dz."""
        if self.inplace is not None:
            if self.inplace.scale is not None:
                self.inplace.scale(dz, a, *saved)
        elif self.prime is not None:
            dz *= self.prime(saved[0], a)
        return dz


# --- hand-written built-ins (the numerics of the models since the start) -----------------------------------------
# The public σ, σ′, σ″ never write into their arguments (the caller's); they write into the arrays they have just
# allocated, so a chain such as 1 − t² costs one temporary.  The in-place kernels below perform the same operations
# in the same order on a network's own arrays (bitwise equal results, see InPlace).

def _one_minus(s: Array) -> Array:
    # 1 − s in s's memory; a ufunc returns a scalar, not an array, for a 0-d input.
    return np.subtract(1.0, s, out=s) if type(s) is np.ndarray else 1.0 - s


def _zeros(z: Array) -> Array:
    return np.zeros(np.shape(z))


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_prime(z: Array, a: Array) -> Array:
    # The project's subgradient convention relu'(0) = 0, i.e. 1[z > 0]; a bool mask multiplies as 0/1.
    return z > 0.0


def _relu_forward(z: Array) -> tuple[Array, tuple[()]]:
    return np.maximum(z, 0.0, out=z), ()


def _relu_scale(dz: Array, a: Array) -> None:
    # a = max(z, 0) > 0 exactly where z > 0 (NaN: false in both), so the mask of _relu_prime comes from a.
    dz *= a > 0.0


def _square_prime(z: Array, a: Array) -> Array:
    return 2.0 * z


def _square_second(z: Array) -> Array:
    return np.full(np.shape(z), 2.0)


def _square_forward(z: Array) -> tuple[Array, tuple[Array]]:
    return np.square(z), (z,)


def _square_scale(dz: Array, a: Array, z: Array) -> None:
    dz *= 2.0 * z


def _cube(z: Array) -> Array:
    a = z * z
    a *= z  # (z·z)·z
    return a


def _cube_prime(z: Array, a: Array) -> Array:
    s = 3.0 * z
    s *= z  # (3z)·z
    return s


def _cube_second(z: Array) -> Array:
    return 6.0 * z


def _cube_forward(z: Array) -> tuple[Array, tuple[Array]]:
    return _cube(z), (z,)


def _cube_scale(dz: Array, a: Array, z: Array) -> None:
    dz *= _cube_prime(z, a)


def _tanh_prime(z: Array, a: Array) -> Array:
    return _one_minus(a * a)


def _tanh_second(z: Array) -> Array:
    # −2t·(1 − t²)
    t = np.tanh(z)
    s = _one_minus(t * t)
    t *= -2.0
    t *= s
    return t


def _tanh_forward(z: Array) -> tuple[Array, tuple[()]]:
    # tanh′ = 1 − a² needs a only, so a takes z's place.
    return np.tanh(z, out=z), ()


def _tanh_scale(dz: Array, a: Array) -> None:
    dz *= _tanh_prime(None, a)


def _xtanh(z: Array) -> Array:
    return z * np.tanh(z)


def _xtanh_slope(z: Array, t: Array) -> Array:
    # t + z(1 − t²) with t = tanh(z)
    s = _one_minus(t * t)
    s *= z
    s += t
    return s


def _xtanh_prime(z: Array, a: Array) -> Array:
    return _xtanh_slope(z, np.tanh(z))


def _xtanh_second(z: Array) -> Array:
    # d/dz [t + z(1 − t²)] = 2(1 − t²) − 2 z t (1 − t²) = 2(1 − t²)·(1 − z t).
    t = np.tanh(z)
    s = _one_minus(t * t)
    s *= 2.0
    t *= z
    s *= _one_minus(t)
    return s


def _xtanh_forward(z: Array) -> tuple[Array, tuple[Array, Array]]:
    # tanh(z) is kept for the pull-back, which so needs no second tanh.
    t = np.tanh(z)
    return z * t, (z, t)


def _xtanh_scale(dz: Array, a: Array, z: Array, t: Array) -> None:
    dz *= _xtanh_slope(z, t)


IDENTITY = Activation("identity", lambda z: z, None, _zeros, linear=True)
RELU = Activation("relu", _relu, _relu_prime, _zeros, inplace=InPlace(_relu_forward, _relu_scale))
SQUARE = Activation("square", np.square, _square_prime, _square_second,
                    inplace=InPlace(_square_forward, _square_scale))
CUBE = Activation("cube", _cube, _cube_prime, _cube_second, inplace=InPlace(_cube_forward, _cube_scale))
TANH = Activation("tanh", np.tanh, _tanh_prime, _tanh_second, inplace=InPlace(_tanh_forward, _tanh_scale))
XTANH = Activation("xtanh", _xtanh, _xtanh_prime, _xtanh_second, inplace=InPlace(_xtanh_forward, _xtanh_scale))

def _builtin_activation(name: str) -> Activation:
    return BUILTIN_ACTIVATIONS[name]


BUILTIN_ACTIVATIONS: Mapping[str, Activation] = types.MappingProxyType(
    {act.name: act for act in (IDENTITY, RELU, SQUARE, CUBE, TANH, XTANH)})


# --- compiling a user's expression ---------------------------------------------------------------------------------

def _float_array(f: Callable[[Array], Any]) -> Sigma:
    """f with its result made a float64 array of z's shape (lambdify returns a Python scalar for a constant
    derivative, and z itself, maybe of integer dtype, for σ = z)."""

    def wrapped(z: Array) -> Array:
        out = f(z)
        if type(out) is np.ndarray and out.dtype == np.float64 and out.shape == np.shape(z):
            return out
        # A fresh writable array: a read-only broadcast view would surprise a caller that updates it in place.
        return np.array(np.broadcast_to(np.asarray(out, dtype=np.float64), np.shape(z)))

    wrapped.__name__ = getattr(f, "__name__", "wrapped")
    return wrapped


def _constant(value: float) -> Sigma:
    def const(z: Array) -> Array:
        return np.full(np.shape(z), value)

    return const


def _products(expr: sp.Expr) -> sp.Expr:
    """Small integer powers z**n (2 <= n <= 8) written as products: NumPy's general ``pow`` is ~50x slower than
    ``z*z*z`` on large arrays."""
    import sympy as sp

    return expr.replace(lambda e: e.is_Pow and e.exp.is_Integer and 2 <= int(e.exp) <= 8,
                        lambda e: sp.Mul(*([e.base] * int(e.exp)), evaluate=False))


def _compile(expr: sp.Expr) -> Sigma:
    import sympy as sp

    from guards.expression import Z

    if not expr.has(Z):
        return _constant(float(expr))
    # cse: σ′ and σ″ of e.g. z·tanh(z) reuse tanh(z) instead of evaluating it two or three times.
    return _float_array(sp.lambdify(Z, _products(expr), modules=_lambdify_modules(), cse=True))


def _classical(expr: sp.Expr) -> sp.Expr:
    import sympy as sp

    # sp.diff turns the kinks of Abs, sign, Heaviside, Max into DiracDelta atoms at isolated points; the flow uses
    # the classical derivative away from them (the same convention as relu'' = 0), and lambdify cannot print them.
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


def _with_a(f: Sigma) -> Prime:
    def prime(z: Array, a: Array | None = None) -> Array:
        return f(z)

    prime.__name__ = getattr(f, "__name__", "prime")
    return prime


def _deviation(given: Array, reference: Array) -> tuple[float, int]:
    """max |given − reference| / max(1, |reference|) over the probes where the reference is finite, and where."""
    ref_ok = np.isfinite(reference)
    given_ok = np.isfinite(given)
    with np.errstate(all="ignore"):
        dev = np.where(given_ok, np.abs(given - reference) / np.maximum(1.0, np.abs(reference)), np.inf)
    dev = np.where(ref_ok, dev, 0.0)  # where the compiled reference is itself not finite there is nothing to match
    k = int(np.argmax(dev))
    return float(dev[k]), k


def _checked(name: str, user: Any, reference: Array, what: str, shown: str) -> Sigma:
    """The user's callable (made shape-safe if needed) after it matched ``reference`` on :data:`PROBES`."""
    if not callable(user):
        raise guards.invalid(name, user, "must be a callable taking a NumPy array z", cls=InputError)
    label = getattr(user, "__qualname__", None) or repr(user)
    try:
        with np.errstate(all="ignore"):
            raw = user(PROBES.copy())
            out = np.broadcast_to(np.asarray(raw, dtype=np.float64), PROBES.shape)
    except Exception as exc:  # noqa: BLE001 - any failure of foreign code is the user's input error
        raise guards.invalid(name, label, f"failed on a float64 array of shape {PROBES.shape}: "
                             f"{type(exc).__name__}: {exc}", cls=InputError) from None
    dev, k = _deviation(out, reference)
    if not dev <= CALLABLE_TOLERANCE:
        raise guards.invalid(name, label, f"disagrees with {what} of {shown}: max |given - compiled| / "
                             f"max(1, |compiled|) = {dev:.3g} at z = {PROBES[k]:.6g} (given {out[k]:.10g}, compiled "
                             f"{reference[k]:.10g}; tolerance {CALLABLE_TOLERANCE:g} on {PROBES.size} points in "
                             "[-3, 3])", cls=InputError)
    fast = type(raw) is np.ndarray and raw.dtype == np.float64 and raw.shape == PROBES.shape
    return user if fast else _float_array(user)


def compile_activation(source: str | sp.Basic, *, sigma: Sigma | None = None, prime: Sigma | None = None,
                       second: Sigma | None = None, argument: str = "--activation") -> Activation:
    """An :class:`Activation` compiled from σ(z) given as SymPy-syntax text or a SymPy expression in ``z``.

    Parameters
    ----------
    source : str or sympy.Basic
        σ(z), e.g. ``"tanh(z)"`` or ``"z + z**2/2"``; vetted by :func:`guards.expression.parse_activation`.
    sigma, prime, second : callable, optional
        The user's own NumPy versions of σ(z), σ′(z) (one argument, z) and σ″(z).  Each one given is compared
        with the compiled function on :data:`PROBES` and, if it agrees, used instead (it may be faster).
    argument : str
        How the caller spells the expression's argument in error messages (``--activation``, ``activation``).

    Returns
    -------
    Activation
        ``name`` is the expression text as given, ``expression`` SymPy's text of the parsed σ.  ``prime`` is
        ``None`` only for σ = z (the identity), unless a ``prime`` callable was given.

    Raises
    ------
    guards.InputError
        ``source`` breaks a rule of :func:`~guards.expression.parse_activation`, or cannot be differentiated or
        evaluated numerically (named ``argument``).
    numerics.InputError
        A given callable fails on an array or deviates from the compiled one by more than
        :data:`CALLABLE_TOLERANCE` (relative to max(1, |compiled|)); named ``sigma``, ``prime`` or ``second``.
    guards.BoundExceeded
        Differentiating and compiling took longer than :data:`COMPILE_SECONDS`.

    Notes
    -----
    σ′ = dσ/dz and σ″ = d²σ/dz² are taken by ``sympy.diff``; DiracDelta atoms at kinks (``Abs(z)**3``,
    ``z**2*Heaviside(z)``) are dropped, i.e. the classical derivative is used away from isolated points, as for
    relu″ = 0 (SymPy's Heaviside(0) = 1/2 is kept).  All three are compiled by ``sympy.lambdify`` with NumPy (SciPy's
    ``erf``/``erfc``), and return float64 arrays of the input's shape even when a derivative is constant.  No
    ``np.errstate`` is set: overflow gives ±inf or NaN with NumPy's usual RuntimeWarning, and the integrators treat
    non-finite values themselves.

    Examples
    --------
    >>> act = compile_activation("tanh(z)", prime=lambda z: 1 - np.tanh(z) ** 2)
    >>> act.prime(np.array([0.0, 1.0]), None).round(6)
    array([1.      , 0.419974])
    >>> compile_activation("tanh(z)", prime=lambda z: 1 - np.tanh(z))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    numerics.errors.InputError: prime='<lambda>': disagrees with sigma' of tanh(z): ...
    """
    import sympy as sp

    from guards.expression import Z, parse_activation

    expr = parse_activation(source, argument)
    shown = source.strip() if isinstance(source, str) else str(source)
    text = str(expr)

    def too_slow() -> BaseException:
        return guards.BoundExceeded(f"{argument}: differentiating and compiling {shown[:60]!r} took longer than "
                                    f"{COMPILE_SECONDS:g} s")

    with within(COMPILE_SECONDS, too_slow):
        d1 = _classical(sp.diff(expr, Z))
        d2 = _classical(sp.diff(d1, Z))
        if d1.has(sp.Derivative, sp.Subs) or d2.has(sp.Derivative, sp.Subs):
            raise guards.invalid(argument, shown, "SymPy cannot differentiate it in closed form (sigma' and sigma'' "
                                 "are needed for the gradient and the Hessian)")
        try:
            f0, f1, f2 = _compile(expr), _compile(d1), _compile(d2)
            with np.errstate(all="ignore"):
                refs = [f(PROBES.copy()) for f in (f0, f1, f2)]
        except Exception as exc:  # noqa: BLE001 - a function lambdify cannot print or NumPy cannot evaluate
            raise guards.invalid(argument, shown, f"cannot be evaluated numerically with NumPy ({type(exc).__name__}:"
                                 f" {exc})") from None
        # exactly a·z (the Activation's ``linear``): decided on the expression, never on probes
        linear = bool(expr.is_polynomial(Z) and sp.degree(expr, Z) == 1 and expr.subs(Z, 0) == 0)

    f_prime: Prime | None = None if expr == Z else _with_a(f1)
    if sigma is not None:
        f0 = _checked("sigma", sigma, refs[0], "sigma", shown)
    if prime is not None:
        f_prime = _with_a(_checked("prime", prime, refs[1], "sigma'", shown))
    if second is not None:
        f2 = _checked("second", second, refs[2], "sigma''", shown)
    return Activation(shown, f0, f_prime, f2, expression=text, linear=linear)


# --- measuring φ's properties from numbers -----------------------------------------------------------------------

@dataclass(frozen=True)
class MeasuredUnit:
    """φ's properties as measured by :func:`measure_unit` (docs/theory.md §1.2, §5.3).

    Fields: ``value_at_zero`` σ(0) (u = 0 is a zero unit iff it is 0); ``parity`` ``"even"``, ``"odd"`` or
    ``"neither"``; ``order`` q and ``coefficient`` a with σ(z) − σ(0) = a z^q + o(z^q) as z → 0⁺; ``degree`` p with
    σ(αz) = α^p σ(z) for all real α (``None`` if no p in 1..max_order); ``details`` the numbers that decided them.
    """

    value_at_zero: float
    parity: str
    order: int
    coefficient: float
    degree: int | None
    details: Mapping[str, float]


#: Step ladder h_j = 2^{-1} ρ^{-j}, ρ = √2, j = 0..80 (down to 5e-13), for the order and the coefficient.
_RATIO = math.sqrt(2.0)
_LADDER = 0.5 * _RATIO ** -np.arange(81)
#: A ladder value counts when it exceeds this many times its rounding estimate (see measure_unit, Notes).
_TRUST = 100.0
_ULPS = 8.0
#: Parity grid (σ(−z) vs ±σ(z)), and the homogeneity grid of z and α (both signs of α: homogeneity over R).
_PARITY_Z = np.linspace(0.05, 3.0, 60)
_DEGREE_Z = np.linspace(-2.0, 2.0, 21)
_ALPHAS = np.array([-3.0, -2.0, -0.7, -0.3, 0.3, 0.7, 2.0, 3.0])
#: The homogeneity grid is tried at these scales of z, each judged against its own largest value, so that a unit
#: that is homogeneous only near 0 (clipped, saturating) is not taken for a homogeneous one: the probes |αz| run
#: over [0.06, 6], [1.8, 180] and [60, 6e3], overlapping (measure_unit, Notes).  No scale below 1: there σ of a
#: polynomial written with cancelling terms, (z + 1)³ − 3z² − 3z − 1, is as small as its rounding.
_DEGREE_SCALES = (1.0, 30.0, 1e3)


def _noise(values: Array, base: float) -> Array:
    # Rounding estimate of a computed value: a few ulps of the larger of |value|, |σ(0)| and 1.  The 1 covers the
    # cancellation of O(1) intermediates (log(1 + e^z) − log 2 near 0) that the output alone does not show.
    return _ULPS * _EPS * np.maximum(np.maximum(1.0, abs(base)), np.abs(values))


def _trusted_run(values: Array, noise: Array) -> tuple[int, int]:
    """[start, stop) of the run of ladder indices, ending at the last trusted one, whose values are all finite and
    above rounding: the smallest steps the measurement can use."""
    ok = np.isfinite(values) & (np.abs(values) >= _TRUST * noise)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return 0, 0
    stop = int(idx[-1]) + 1
    start = stop - 1
    while start > 0 and ok[start - 1]:
        start -= 1
    return start, stop


def _richardson(r: Array, rounding: Array) -> tuple[float, float, int]:
    """lim_{h→0} r(h) from r on consecutive ladder steps (r = L + c₁h + c₂h² + …, h shrinking by :data:`_RATIO`).

    Every entry of the Richardson tableau (up to 8 levels) gets an error estimate: the larger of Ridders' estimate
    (its distances to the two entries it was built from) and the rounding of its inputs (``rounding``, per step)
    times the tableau's amplification.  The entry with the smallest estimate wins.  Returns (limit, error, index
    of the smallest step it used).
    """
    n = r.size
    if n == 0:
        return math.nan, math.inf, -1
    if n == 1:
        return float(r[0]), math.inf, 0
    e0 = np.maximum(np.abs(r[1:] - r[:-1]), rounding[1:])
    j = int(np.argmin(e0))
    best, err, where = float(r[j + 1]), float(e0[j]), j + 1
    prev, amp = r.astype(np.float64), 1.0
    for k in range(1, min(n, 9)):
        f = _RATIO ** k
        cur = prev[1:] + (prev[1:] - prev[:-1]) / (f - 1.0)
        amp *= (f + 1.0) / (f - 1.0)
        e = np.maximum(np.maximum(np.abs(cur - prev[1:]), np.abs(cur - prev[:-1])), amp * rounding[k:])
        j = int(np.argmin(e))
        if e[j] < err:
            best, err, where = float(cur[j]), float(e[j]), j + k
        prev = cur
    return best, err, where


def _coefficient(values: Array, noise: Array, q: int, scale: float) -> tuple[float, float]:
    """Richardson limit of values / (scale h^q) over the trusted run of the ladder, and its error estimate."""
    start, stop = _trusted_run(values, noise)
    hq = scale * _LADDER[start:stop] ** q
    value, err, _ = _richardson(values[start:stop] / hq, noise[start:stop] / np.abs(hq))
    return value, err


def _symmetry(left: Array, right: Array, scale: float) -> float:
    """max |left − right| / scale over pairs where either is finite (a finite value against a non-finite one is an
    infinite deviation)."""
    with np.errstate(all="ignore"):
        d = np.abs(left - right)
    both_bad = ~np.isfinite(left) & ~np.isfinite(right)
    d = np.where(both_bad, 0.0, np.where(np.isfinite(d), d, np.inf))
    return float(np.max(d) / scale)


def measure_unit(act: Activation, *, max_order: int = 8) -> MeasuredUnit:
    """Measure σ(0), parity, lowest order q with coefficient a, and homogeneity degree of a unit, from numbers.

    Parameters
    ----------
    act : Activation
        The unit; only its callables are used (never its expression).
    max_order : int
        Largest order q and degree p looked for (1..12).

    Returns
    -------
    MeasuredUnit
        ``details`` holds: ``even_deviation``, ``odd_deviation`` (parity); ``slope``, ``slope_error`` and
        ``slope_step`` (the extrapolated log-log slope that gave q, its error estimate, the smallest step used);
        ``coefficient_error`` (error estimate of a); ``coefficient_left`` (a measured for z → 0⁻);
        ``coefficient_from_prime`` and, for q ≥ 2, ``coefficient_from_second`` (a from σ′ and σ″, NaN for q = 1);
        ``homogeneity_deviation`` and ``homogeneity_p`` (the best p over real α); ``positive_degree`` (the p that
        fits for α > 0 only, NaN if none).

    Raises
    ------
    numerics.InputError
        σ is numerically constant, or σ − σ(0) has no Taylor term of order ≤ ``max_order`` at 0 that rises above
        rounding, or its log-log slope is not within :data:`SLOPE_TOLERANCE` of an integer (named ``activation``).

    Notes
    -----
    The theory needs, for φ(x; u) = σ(u·x) (docs/theory.md §1.2, §5.3): u = 0 is a zero unit iff σ(0) = 0; φ is
    even in u iff σ is even; φ is homogeneous of degree p (over α ∈ R) iff σ is; and the lowest order q of φ in u at
    the zero unit, with coefficient a (σ(z) − σ(0) = a z^q + …), decides the escape law (ln(1/ε) for q = 1, a power
    law ε^{−(q−1)} for q ≥ 2, §6.9).

    *Parity.* d_± = max_z |σ(−z) ∓ σ(z)| / max_z |σ(z)| on 60 points z in [0.05, 3]; even if d_− ≤ 1e-9, odd if
    d_+ ≤ 1e-9.  Evaluation error is a few ulps of σ's intermediates, far below 1e-9 unless the expression cancels
    by a factor of about 10⁶; a genuine asymmetry is detected if it exceeds 1e-9 of σ's size on [−3, 3].

    *Steps.* g(h) = σ(h) − σ(0) on h_j = 2^{−1} ρ^{−j}, ρ = √2, j = 0..80 (0.5 down to 5e-13).  A value counts
    when |g| ≥ 100 δ, with the rounding estimate δ = 8 ε_mach max(1, |σ(0)|, |σ(h)|) (the 1 stands for O(1)
    intermediates that cancel, as in log(1 + e^z) − log 2); the run of counted steps ending at the smallest one is
    used.  Two errors compete along the ladder: truncation, O(h) (next Taylor term), falls with h; rounding, δ/|g| ~
    ε_mach/(a h^q), grows as h^{−q}.  Both estimates below extrapolate h → 0 by a Richardson tableau (ratio ρ, up to
    8 levels) and keep the entry with the smallest error estimate: the larger of Ridders' estimate (its distance to
    the two entries it was built from) and its inputs' rounding times the tableau's amplification.

    *Order q.* The local log-log slopes s_j = log_ρ(|g(h_j)| / |g(h_{j+1})|) = q + O(h_j) + O(δ/|g|) are
    extrapolated to h → 0; q = round(s), accepted if |s − q| ≤ 0.1 and 1 ≤ q ≤ ``max_order``.  In the tests the
    extrapolated slope is within 1e-8 of q for q ≤ 3 and within 1e-4 for q ≤ 8.  Limit: a leading term that is tiny
    against the next one (σ = 10⁻⁶ z + z²) is only seen at steps below rounding, and the slope then says q = 2.

    *Coefficient a.* r(h) = g(h)/h^q = a + c₁h + c₂h² + … over the counted steps, extrapolated the same way;
    ``coefficient_error`` is the winning entry's error estimate (an estimate, not a bound: it can be low by a small
    factor when the largest steps reach σ's radius of convergence).  Measured against exact values the relative
    error is ≲ 1e-11 for q ≤ 2, ≲ 2e-9 for q = 3, ≲ 1e-8 for q = 4, ≲ 3e-7 for q = 5, 6 and ≲ 1e-4 for q = 7, 8:
    rounding, ε_mach/h^q, is what limits high orders.  ``coefficient_from_prime`` (σ′(h)/(q h^{q−1})) and
    ``coefficient_from_second`` (σ″(h)/(q(q−1) h^{q−2})) repeat this on the given derivatives, a cross-check of
    σ′, σ″ against σ (and, for high q, usually the more accurate numbers, having a lower order to resolve).

    *One side.* q and a are measured for z → 0⁺.  ``coefficient_left`` repeats the fit for z → 0⁻ (the limit of
    g(−h)/(−h)^q) and equals a whenever σ is q times differentiable at 0.  For ReLU it is 0: the reported q = 1,
    a = 1 describe the active side only (relu is piecewise linear, not analytic, at the zero unit).

    *Degree p.* σ(αz) = α^p σ(z) is tested on 21 points z in [−2, 2] and α ∈ {±0.3, ±0.7, ±2, ±3}, relative to
    the largest |σ(αz)|, with tolerance 1e-9 as for parity, and again with z scaled by 30 and by 1e3 (each scale
    relative to its own largest value; the worst counts), so that the probes |αz| cover 0.06 to 6e3 in three
    overlapping ranges: a unit that is homogeneous only near 0, such as the identity clipped at |z| = 7, has no
    degree.  A unit whose homogeneity fails only between the probes or beyond 6e3 is not told apart (no finite set
    of probes can); :attr:`Activation.linear` decides exact linearity on the expression.  Homogeneity is over
    α ∈ R, so ReLU has degree ``None``; its positive homogeneity (α ≥ 0 only, ``field = "R>=0"`` in §1.2) is
    reported as ``details["positive_degree"]`` = 1.

    Examples
    --------
    >>> m = measure_unit(compile_activation("cos(z)"))
    >>> (m.value_at_zero, m.parity, m.order, round(m.coefficient, 10))
    (1.0, 'even', 2, -0.5)
    >>> relu = measure_unit(RELU)
    >>> (relu.order, relu.coefficient, relu.details["coefficient_left"] == 0.0, relu.degree)
    (1, 1.0, True, None)
    """
    max_order = guards.integer("max_order", max_order, minimum=1, maximum=12)
    sigma = act.sigma
    with np.errstate(all="ignore"):
        v0 = float(np.asarray(sigma(np.zeros(1)), dtype=np.float64)[0])
        pos = np.asarray(sigma(_LADDER.copy()), dtype=np.float64)
        neg = np.asarray(sigma(-_LADDER), dtype=np.float64)
        zp = np.asarray(sigma(_PARITY_Z.copy()), dtype=np.float64)
        zn = np.asarray(sigma(-_PARITY_Z), dtype=np.float64)
        if act.prime is None:
            d1 = np.ones_like(_LADDER)
        else:
            d1 = np.asarray(act.prime(_LADDER.copy(), pos), dtype=np.float64)
        d2 = np.asarray(act.second(_LADDER.copy()), dtype=np.float64)

    if not math.isfinite(v0):
        raise guards.invalid("activation", act.name, f"sigma(0) = {v0} must be finite (the zero unit sits there)",
                             cls=InputError)
    spread = np.concatenate([zp, zn, pos]) - v0
    scale = float(np.nanmax(np.abs(np.concatenate([zp, zn, [v0]]))))
    if not np.nanmax(np.abs(spread)) > 1e-12 * max(1.0, abs(v0)):
        raise guards.invalid("activation", act.name, "is numerically constant on [-3, 3]; a unit must depend on z",
                             cls=InputError)
    details: dict[str, float] = {}

    # Parity (§1.2: even φ gives the sign-flip invariant set of §4.4).
    even_dev = _symmetry(zn, zp, scale)
    odd_dev = _symmetry(zn, -zp, scale)
    details["even_deviation"], details["odd_deviation"] = even_dev, odd_dev
    parity = "even" if even_dev <= SYMMETRY_TOLERANCE else "odd" if odd_dev <= SYMMETRY_TOLERANCE else "neither"

    # Order q from the log-log slope of |σ(h) − σ(0)| (§5.3: the lowest non-vanishing order decides the mechanism).
    with np.errstate(all="ignore"):
        g_pos, g_neg = pos - v0, neg - v0
    noise_pos = _noise(pos, v0)
    start, stop = _trusted_run(g_pos, noise_pos)
    if stop - start < 2:
        raise guards.invalid("activation", act.name, "sigma(z) - sigma(0) does not rise above rounding for "
                             f"0 < z <= {_LADDER[0]:g}, so its lowest Taylor order at 0 cannot be measured",
                             cls=InputError)
    g_run, rel = np.abs(g_pos[start:stop]), noise_pos[start:stop] / np.abs(g_pos[start:stop])
    slopes = np.log(g_run[:-1] / g_run[1:]) / math.log(_RATIO)
    slope, slope_err, k = _richardson(slopes, (rel[:-1] + rel[1:]) / math.log(_RATIO))
    q = int(round(slope))
    details["slope"], details["slope_error"] = slope, slope_err
    details["slope_step"] = float(_LADDER[start + k + 1])
    if not abs(slope - q) <= SLOPE_TOLERANCE or not 1 <= q <= max_order:
        raise guards.invalid("activation", act.name, f"the log-log slope of |sigma(h) - sigma(0)| as h -> 0+ is "
                             f"{slope:.4g}: not an integer order q in 1..{max_order} (within {SLOPE_TOLERANCE:g})",
                             cls=InputError)

    # Coefficient a: Richardson extrapolation of g(h)/h^q, on each side; cross-checks from σ′ and σ″.
    a, a_err = _coefficient(g_pos, noise_pos, q, 1.0)
    details["coefficient_error"] = a_err
    # Left side on the steps of the right (on the left g may vanish identically, as for ReLU).
    hq = (-_LADDER[start:stop]) ** q
    details["coefficient_left"] = _richardson(g_neg[start:stop] / hq, noise_pos[start:stop] / np.abs(hq))[0]
    details["coefficient_from_prime"] = _coefficient(d1, _noise(d1, 0.0), q - 1, float(q))[0]
    details["coefficient_from_second"] = (_coefficient(d2, _noise(d2, 0.0), q - 2, float(q * (q - 1)))[0]
                                          if q >= 2 else math.nan)

    # Homogeneity degree p over α ∈ R (§1.2): σ(αz) = α^p σ(z), at every scale of z (the worst one counts).
    al = _ALPHAS[:, None]
    positive = _ALPHAS > 0
    devs = dict.fromkeys(range(1, max_order + 1), 0.0)
    pos_devs = dict.fromkeys(devs, 0.0)
    for zscale in _DEGREE_SCALES:
        zs = zscale * _DEGREE_Z
        with np.errstate(all="ignore"):  # σ may overflow at the large scale, and α^p σ(z) with it
            scaled = np.asarray(sigma(al * zs[None, :]), dtype=np.float64)
            base = np.broadcast_to(np.asarray(sigma(zs.copy()), dtype=np.float64)[None, :], scaled.shape)
            finite = np.abs(scaled[np.isfinite(scaled)])
            # a finite, positive scale: _symmetry's deviations are then finite or inf, never NaN (which max() drops)
            hscale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
            for p in devs:
                expected = al ** p * base
                devs[p] = max(devs[p], _symmetry(scaled, expected, hscale))
                pos_devs[p] = max(pos_devs[p], _symmetry(scaled[positive], expected[positive], hscale))
    p_best = min(devs, key=devs.__getitem__)
    details["homogeneity_deviation"], details["homogeneity_p"] = devs[p_best], float(p_best)
    p_pos = min(pos_devs, key=pos_devs.__getitem__)
    details["positive_degree"] = float(p_pos) if pos_devs[p_pos] <= SYMMETRY_TOLERANCE else math.nan
    degree = p_best if devs[p_best] <= SYMMETRY_TOLERANCE else None

    return MeasuredUnit(value_at_zero=v0, parity=parity, order=q, coefficient=a, degree=degree,
                        details=types.MappingProxyType(details))
