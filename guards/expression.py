"""Safe parsing of a user's unit σ(z) (``--activation EXPR``), shared by both sides of the workbench.

Parsing is input validation, not a derivation: ``theory`` proves σ's properties from the parsed expression and
``numerics`` differentiates and compiles it on its own, so the cross-check between the two still compares two
derivations of everything downstream of the text.

SymPy's ``parse_expr`` evaluates Python, so the text is first tokenised and only numbers, the variable ``z``, the
operators ``+ - * / ** ( ) ,`` and the functions of :data:`FUNCTIONS` are let through: no attribute access, no
dunder names, no strings, no builtins.  Evaluation (``9**9**9`` is evaluated eagerly) runs under a time bound.

The rules, each an ``InputError`` naming the argument (``--activation`` on the command line, ``activation`` in
the API), the value and the rule:

* it parses, uses only the variable ``z`` and depends on it;
* σ is real for real z (checked at z = ±0.5, ±2: ``sqrt(z)``, ``z**(1/3)``, ``log(z)`` fail);
* σ is finite at z = 0 (``1/z``, ``log(z)`` fail) and differentiable there (the one-sided difference quotients
  agree: ``Abs(z)`` fails, ``Abs(z)**3`` passes): the flow, its Hessian and the escape law need σ′ near the zero
  unit.

>>> parse_activation("z + z**2/2")
z**2/2 + z
>>> from guards.errors import InputError
>>> try:
...     parse_activation("abs(z)")
... except InputError as exc:
...     print(exc.rule.split(";")[0])
must be differentiable at z = 0 (the one-sided slopes are -1 and 1)
"""

from __future__ import annotations

import functools
import io
import math
import tokenize
from typing import TYPE_CHECKING, Any

from .alarm import within
from .errors import BoundExceeded, invalid

if TYPE_CHECKING:
    import sympy as sp

# SymPy costs every command about 0.3 s to import, and only a user's expression needs it: the symbol Z and the
# function table are built on first use (module ``__getattr__``, PEP 562), so ``from guards.expression import Z``
# still works and importing guards, numerics or the CLI does not import SymPy.
MAX_CHARS = 500
PARSE_SECONDS = 5.0
_OPERATORS = {"+", "-", "*", "/", "**", "(", ")", ","}
_PROBES = (-2.0, -0.5, 0.5, 2.0)


@functools.cache
def _symbol() -> sp.Symbol:
    import sympy as sp

    return sp.Symbol("z", real=True)


@functools.cache
def _functions() -> dict[str, Any]:
    import sympy as sp

    return {
        "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
        "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "atan": sp.atan, "asinh": sp.asinh, "erf": sp.erf,
        "erfc": sp.erfc, "Abs": sp.Abs, "abs": sp.Abs, "sign": sp.sign, "Max": sp.Max, "Min": sp.Min,
        "Heaviside": sp.Heaviside, "pi": sp.pi, "E": sp.E,
        # parse_expr's number transformation emits these names.
        "Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
    }


#: Public names built on first access: Z (the real symbol z every parsed σ is written in) and FUNCTIONS (the
#: functions a user's expression may call, name -> SymPy object).
_LAZY = {"Z": _symbol, "FUNCTIONS": _functions}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


def _tokens_ok(text: str, argument: str) -> None:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        raise invalid(argument, text, "does not parse as an expression in z") from None
    for tok in tokens:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.NUMBER):
            continue
        if tok.type == tokenize.NAME:
            if tok.string == "z" or tok.string in _functions():
                continue
            if tok.string.isidentifier() and len(tok.string) <= 2 and tok.string.isalpha():
                raise invalid(argument, text, f"uses the symbol {tok.string!r}; the only variable is z "
                              "(the unit's pre-activation)")
            raise invalid(argument, text, f"uses {tok.string!r}, which is not z or one of the functions "
                          + ", ".join(sorted(k for k in _functions() if k[0].islower())))
        elif tok.type == tokenize.OP and tok.string in _OPERATORS:
            continue
        else:
            raise invalid(argument, text, f"does not parse as an expression in z (unexpected {tok.string!r})")


def _value(expr: sp.Expr, z: float) -> complex:
    import sympy as sp

    return complex(sp.N(expr.xreplace({_symbol(): sp.Float(z)}), 17))


def _check_at_zero(expr: sp.Expr, argument: str, shown: Any) -> None:
    import sympy as sp

    rule_real = "must be real for real z"
    for z in _PROBES:
        try:
            value = _value(expr, z)
        except (TypeError, ValueError, ZeroDivisionError):
            raise invalid(argument, shown, f"{rule_real} (no numeric value at z = {z:g})") from None
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            raise invalid(argument, shown, f"{rule_real} (its value at z = {z:g} is {value:.3g})")
    try:
        at0 = _value(expr, 0.0)
    except (TypeError, ValueError, ZeroDivisionError):
        at0 = complex("nan")
    exact = sp.sympify(expr.xreplace({_symbol(): 0}))
    if not (math.isfinite(at0.real) and math.isfinite(at0.imag)) or exact.has(sp.zoo, sp.nan):
        raise invalid(argument, shown, "must be finite at z = 0 (the zero unit sits there)")
    h = 1e-6
    right = (_value(expr, h).real - at0.real) / h
    left = (at0.real - _value(expr, -h).real) / h
    if not (math.isfinite(left) and math.isfinite(right)) or abs(right - left) > 1e-3 * max(1.0, abs(right)):
        raise invalid(argument, shown, f"must be differentiable at z = 0 (the one-sided slopes are {left:.3g} and "
                      f"{right:.3g}); the flow, its Hessian and the escape law need sigma' near the zero unit")


def parse_activation(source: str | sp.Basic, argument: str = "--activation") -> sp.Expr:
    """σ(z) from a string in SymPy syntax or a SymPy expression in one symbol named ``z``; the module docstring
    lists the rules.  The result is in the real symbol :data:`Z`."""
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr, standard_transformations

    Z = _symbol()
    shown = source if isinstance(source, str) else str(source)
    error = lambda: BoundExceeded(f"{argument}: parsing {shown[:60]!r} took longer than {PARSE_SECONDS:g} s")  # noqa: E731
    with within(PARSE_SECONDS, error):
        if isinstance(source, str):
            text = source.strip()
            if not text:
                raise invalid(argument, source, "must be an expression in z, e.g. 'tanh(z)'")
            if len(text) > MAX_CHARS:
                raise invalid(argument, source, f"at most {MAX_CHARS} characters")
            _tokens_ok(text, argument)
            namespace = {"__builtins__": {}, **_functions()}
            try:
                expr = parse_expr(text, local_dict={"z": Z}, global_dict=namespace,
                                  transformations=standard_transformations)
            except (SyntaxError, TypeError, ValueError, AttributeError, NameError, ZeroDivisionError,
                    OverflowError, RecursionError, MemoryError):
                raise invalid(argument, source, "does not parse as an expression in z") from None
        elif isinstance(source, sp.Basic):
            names = {s.name for s in source.free_symbols if isinstance(s, sp.Symbol)}
            if names - {"z"}:
                raise invalid(argument, shown, f"uses the symbol(s) {sorted(names - {'z'})}; the only variable is z")
            expr = source.xreplace({s: Z for s in source.free_symbols})
        else:
            raise invalid(argument, source, "must be a string or a SymPy expression in z")
        # (A Symbol is also a SymPy Boolean, so relations are excluded by their own classes.)
        relation = sp.core.relational.Relational | sp.logic.boolalg.BooleanFunction | sp.logic.boolalg.BooleanAtom
        if not isinstance(expr, sp.Expr) or isinstance(expr, relation):
            raise invalid(argument, shown, "must be an expression in z, not a relation or a tuple")
        if expr.free_symbols != {Z}:
            raise invalid(argument, shown, "must depend on z")
        if expr.has(sp.I):
            raise invalid(argument, shown, "must be real for real z (it contains I)")
        _check_at_zero(expr, argument, shown)
    return expr
