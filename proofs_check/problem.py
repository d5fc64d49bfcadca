"""Shared problem options of ``s2s simulate`` and ``s2s predict``: architecture, sizes, task, width, init scale
and seeds, so that the same command-line options mean the same initial weights in both commands.

Task options (spec §7.2 defaults):

* linear-fc, deep-linear: ``--singular-values 5,4,3,2,1`` → whitened input, y = Σ_yx x, Σ_yx = diag(s);
* linear-conv, diagonal-linear: ``--target-coefs 1,0.5,...`` → x ~ N(0, I), y = β*ᵀx;
* quadratic: ``--target-eigs 2,1,-1,-2`` → x ~ N(0, I), y = xᵀ diag(a) x;
* attn-s, attn-m: ``--cov-eigs 1,0.5,... --context N [--rank R]`` → in-context regression with Λ = diag(λ);
* every other architecture (or ``--task dataset``): a teacher dataset, ``--samples P`` inputs x ~ N(0, I) (or
  ``--data FILE.npz`` with arrays X, Y), labels from a teacher of the same architecture with ``--teacher-width``
  units whose weights are N(0, 1) from ``--data-seed``.

Seeds: member k of ``--seeds K`` starting at ``--seed S`` has θ_0 = default_rng(S + k).standard_normal(n)·ε.

Sweeps (``s2s simulate`` only, ``add_problem_arguments(sweep=True)``): ``--width`` and ``--init-scale`` take comma
lists of distinct values (at most :data:`MAX_SWEEP` each); the command builds one problem per combination with
single values, so every rule below applies to each value and names the option.

Rules checked before anything is allocated (exit 2, one line naming the option): a task option that the
architecture's task does not read is an error, not ignored; every list is non-empty and finite (singular values
>= 0, covariance eigenvalues > 0); ε must keep the plateau gradient ≈ ε^(q−1) a normal float64 (q = the total
degree of f in θ, :data:`DEGREE`) and the initial loss and gradient finite; the memory the run will need
(task, initial weights, integrator working arrays, per-sample activations, per-seed results) is estimated from the
sizes and ``--seeds`` and must fit in :func:`guards.memory_limit`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

import guards
import numerics

SIZE_OPTIONS = ("d_in", "d_out", "width", "kernel", "dim", "rank", "hidden")
DATASET_OPTIONS = ("samples", "teacher_width", "data_seed", "data")
DATASET_DEFAULTS = {"samples": 64, "teacher_width": 2, "data_seed": 12345}
CONTEXT_DEFAULT = 32
MAX_LIST = 100_000  # longer lists are refused by the memory estimate long before this; this bounds parsing
MAX_SWEEP = 100  # values of one swept option (--width, --init-scale in simulate); each is its own run
RESULT_BYTES_PER_SEED = 50_000  # per-seed analysis and output (traces, itinerary) as Python objects
WORKING_ARRAYS = 26  # (B, n) arrays a run holds: θ₀ and the integrator's ~24 working arrays, with margin


def floats(text: str) -> list[float]:
    """Parse ``"5,4,3"`` into a non-empty list of finite floats (argparse type)."""
    parts = text.split(",")
    if len(parts) > MAX_LIST:
        raise argparse.ArgumentTypeError(f"at most {MAX_LIST} comma-separated numbers, got {len(parts)}")
    try:
        values = [float(v) for v in parts if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {guards.show(text)}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one number, got {guards.show(text)}")
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"every number must be finite, got {guards.show(text)}")
    return values


def _sweep_list(text: str, convert: Callable[[str], Any], what: str) -> list[Any]:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > MAX_SWEEP:
        raise argparse.ArgumentTypeError(f"at most {MAX_SWEEP} comma-separated values, got {len(parts)}")
    if not all(parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated {what} with no empty entry, got "
                                         f"{guards.show(text)}")
    try:
        values = [convert(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {guards.show(text)}") from None
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"each value at most once, got {guards.show(text)}")
    return values


def sweep_ints(text: str) -> list[int]:
    """Parse ``"2,4,8"`` (a width sweep) into distinct integers (argparse type; ranges are checked per value by
    :func:`build_problem`, naming the option)."""
    return _sweep_list(text, int, "integers")


def sweep_floats(text: str) -> list[float]:
    """Parse ``"1e-2,1e-4"`` (an init-scale sweep) into distinct finite floats (argparse type)."""
    values = _sweep_list(text, float, "numbers")
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"every number must be finite, got {guards.show(text)}")
    return values


def add_problem_arguments(p: argparse.ArgumentParser, *, sweep: bool = False) -> None:
    """The options shared by ``simulate`` and ``predict``.  With ``sweep=True`` (``simulate``) ``--width`` and
    ``--init-scale`` take comma lists (each parsed value is then a list; the caller builds one problem per value),
    otherwise single values, as ``predict`` reads them."""
    p.add_argument("arch", help="architecture name, or a family (fc, conv) with --activation (see `s2s derive --list`)")
    p.add_argument("--activation", default=None, metavar="EXPR",
                   help="fc/conv: the unit sigma(z) in SymPy syntax, e.g. 'sin(z)' or 'z + z**2/2'")
    p.add_argument("--bias", action="store_true", default=False, help="fc: add a bias to the pre-activation z")
    for name in SIZE_OPTIONS:
        if name != "width":
            p.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=None)
    if sweep:
        p.add_argument("--width", type=sweep_ints, default=None, metavar="H[,H...]",
                       help="number of units H; a comma list (2,4,8) sweeps it")
        p.add_argument("--init-scale", type=sweep_floats, default=[1e-3], metavar="EPS[,EPS...]",
                       help="epsilon: init iid N(0, eps^2) (default 1e-3); a comma list (1e-2,1e-4) sweeps it")
    else:
        p.add_argument("--width", type=int, default=None, help="number of units H")
        p.add_argument("--init-scale", type=float, default=1e-3, help="epsilon: init iid N(0, eps^2)")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--seeds", type=int, default=1, help="number of seeds (one batched run)")
    p.add_argument("--task", choices=["auto", "dataset"], default="auto")
    p.add_argument("--singular-values", type=floats, help="linear task: whitened, Sigma_yx = diag(s)")
    p.add_argument("--target-coefs", type=floats, help="linear-conv/diagonal task: y = beta*^T x, x ~ N(0, I)")
    p.add_argument("--target-eigs", type=floats, help="quadratic task: y = x^T diag(a) x, x ~ N(0, I)")
    p.add_argument("--cov-eigs", type=floats, help="in-context task: Lambda = diag(lambda)")
    p.add_argument("--context", type=int, default=None, help=f"in-context task: context length N ({CONTEXT_DEFAULT})")
    p.add_argument("--samples", type=int, default=None, help="dataset task: number of samples P (default 64)")
    p.add_argument("--teacher-width", type=int, default=None, help="dataset task: teacher units (default 2)")
    p.add_argument("--data-seed", type=int, default=None, help="dataset task: seed of inputs and teacher (12345)")
    p.add_argument("--data", help="dataset task: .npz file with arrays X (P, d_in) and Y (P, d_out)")


@dataclass(frozen=True)
class TaskForm:
    """A population task (docs/theory.md §1.3, §7.2): the options it reads and which architectures it fits, decided
    from the architecture's population form and sizes, never from its name."""

    key: str
    options: tuple[str, ...]
    fits: Callable[[Any], bool]


# The task an architecture trains on by default; the first form that fits wins, else a teacher dataset.
TASK_FORMS: tuple[TaskForm, ...] = (
    TaskForm("singular-values", ("singular_values",),
             lambda a: a.population_task is numerics.LinearRegressionTask and "d_out" in a.sizes),
    TaskForm("target-coefs", ("target_coefs",),
             lambda a: a.population_task is numerics.LinearRegressionTask and "d_out" not in a.sizes),
    TaskForm("quadratic", ("target_eigs",), lambda a: a.population_task is numerics.QuadraticGaussianTask),
    TaskForm("in-context", ("cov_eigs", "context"), lambda a: a.population_task is numerics.ICLTask),
)
TASK_OPTIONS = tuple(dict.fromkeys(o for form in TASK_FORMS for o in form.options))


def task_form(arch) -> TaskForm | None:
    """The population task form that fits ``arch`` (an architecture at its default sizes), or None (a dataset)."""
    return next((form for form in TASK_FORMS if form.fits(arch)), None)


def unit_options(args) -> dict[str, Any]:
    """``activation`` and ``bias`` for :func:`numerics.build_architecture` from ``--activation``/``--bias``."""
    out: dict[str, Any] = {}
    if getattr(args, "activation", None) is not None:
        out["activation"] = args.activation
    if getattr(args, "bias", False):
        out["bias"] = True
    return out


@contextmanager
def spelled_as_options() -> Iterator[None]:
    """Re-raise the API's refusal of ``activation``/``bias`` as the option the user typed (``--activation``)."""
    try:
        yield
    except guards.InputError as exc:
        if exc.argument in ("activation", "bias"):
            raise guards.invalid("--" + exc.argument, exc.value, exc.rule) from None
        raise


def architecture(args, **sizes: int):
    """The architecture the options describe (registered name, or a family with ``--activation``)."""
    with spelled_as_options():
        return numerics.build_architecture(args.arch, **unit_options(args), **sizes)


@dataclass(frozen=True)
class Problem:
    """An architecture, a task, a batch of initial weights and the text that describes them."""

    arch: Any
    task: Any
    theta0: np.ndarray
    seeds: tuple[int, ...]
    init_scale: float
    description: str

    def narrowed(self, reduce: bool = True) -> tuple[Any, np.ndarray, Any]:
        """(network, θ₀, reduction) the batch is trained as: a rotation-invariant network with more units than
        parameters per unit is exactly the narrower network its rotated units form (numerics.reduce_units,
        docs/theory.md §3.4; flow and GD steps both commute with the rotation), unless ``reduce`` is False;
        reduction None: as asked."""
        reduction = numerics.reduce_units(self.arch, self.theta0) if reduce else None
        if reduction is None:
            return self.arch, self.theta0, None
        return reduction.reduced, reduction.theta0, reduction


def _sizes(args) -> dict[str, int]:
    return {k: getattr(args, k) for k in SIZE_OPTIONS if getattr(args, k, None) is not None}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _users(option: str) -> str:
    """The registered architectures whose population task reads ``option``, for error messages."""
    forms = [f for f in TASK_FORMS if option in f.options]
    names = [n for n in numerics.ARCHITECTURE_NAMES if task_form(numerics.build_architecture(n)) in forms]
    return ", ".join(names)


def _check_options(label: str, form: TaskForm | None, use_dataset: bool, args) -> None:
    """Task options the chosen task does not read are errors (module docstring)."""
    given = [k for k in (*TASK_OPTIONS, *DATASET_OPTIONS) if getattr(args, k, None) is not None]
    in_context = form is not None and "context" in form.options
    for k in given:
        if k in DATASET_OPTIONS:
            if not use_dataset:
                raise guards.invalid(_option(k), getattr(args, k), f"applies only to a dataset task; {label} uses "
                                     "its population task here (add --task dataset)")
        elif use_dataset and not (in_context and k in form.options):
            raise guards.invalid(_option(k), getattr(args, k), f"does not apply to the dataset task of {label}")
        elif not use_dataset and k not in form.options:
            raise guards.invalid(_option(k), getattr(args, k), f"does not apply to {label} (only to {_users(k)})")
    if args.data is not None:
        extra = [k for k in ("samples", "teacher_width", "data_seed") if getattr(args, k) is not None]
        if extra:
            raise guards.invalid(_option(extra[0]), getattr(args, extra[0]), "does not apply with --data (the file "
                                 "gives the samples)")


def _check_scale(arch, eps: float) -> None:
    q = arch.total_degree  # f ~ ε^q at θ = ε θ̂, so the plateau gradient is O(ε^(q−1)) (docs/theory.md §5)
    smallest = float(np.finfo(float).tiny) ** (1.0 / (q - 1))
    if eps < smallest:
        raise guards.invalid("--init-scale", eps, f"the plateau gradient of {arch.label} is about eps^{q - 1}, which "
                             f"underflows float64 below eps = {smallest:.2g}")


def _estimate_bytes(arch, task_bytes: float, n_seeds: int, per_sample: float) -> float:
    """Large arrays of a run: the task, θ₀ and the integrator's ~24 (B, n) working arrays, per-sample activations
    (a handful of (B, P, width) arrays) and the per-seed results."""
    return task_bytes + 8.0 * n_seeds * (arch.n_params * WORKING_ARRAYS + per_sample) + RESULT_BYTES_PER_SEED * n_seeds


def build_problem(args) -> Problem:
    """Architecture, task and initial weights from parsed options; bad values raise ``guards.InputError``
    (module docstring: the rules)."""
    name = args.arch
    known = (*numerics.ARCHITECTURE_NAMES, *numerics.UNIT_FAMILIES)
    if name not in known:
        raise guards.invalid("architecture", name, "unknown; choose one of " + ", ".join(known))
    if not np.isfinite(args.init_scale) or args.init_scale <= 0:
        raise guards.invalid("--init-scale", args.init_scale, "must be finite and > 0")
    if args.seed < 0:
        raise guards.invalid("--seed", args.seed, "must be >= 0")
    if args.seeds < 1:
        raise guards.invalid("--seeds", args.seeds, "must be >= 1")
    probe = architecture(args)  # default sizes: the unit, the population form and the total degree
    _check_scale(probe, float(args.init_scale))
    sizes = _sizes(args)
    for k, v in sizes.items():
        if v < 1:
            raise guards.invalid(_option(k), v, "must be an integer >= 1")
    form = task_form(probe)
    use_dataset = args.task == "dataset" or form is None
    _check_options(probe.label, form, use_dataset, args)
    if use_dataset:
        sizes.setdefault("width", 8)
        task, text = _dataset_task(probe, sizes, args)
    else:
        task, text = POPULATION_TASKS[form.key](probe, sizes, args)
    arch = architecture(args, **sizes)
    numerics.check_compatible(arch, task)
    theta0 = numerics.init_params(arch, args.init_scale, seed=args.seed, n_seeds=args.seeds)
    seeds = tuple(range(args.seed, args.seed + args.seeds))
    _check_finite_start(arch, task, theta0, float(args.init_scale))
    return Problem(arch, task, theta0, seeds, float(args.init_scale), text)


def _linear_task(probe, sizes: dict[str, int], args) -> tuple[Any, str]:
    s = guards.real_list("--singular-values", args.singular_values or [5.0, 4.0, 3.0, 2.0, 1.0], nonnegative=True,
                         power=2)
    sizes.setdefault("d_in", len(s))
    sizes.setdefault("d_out", len(s))
    if "hidden" in probe.sizes:  # a deep chain's hidden layer holds every mode
        sizes.setdefault("hidden", max(sizes.get("width", 8), len(s)))
    sizes.setdefault("width", 8)
    d = sizes["d_in"] + sizes["d_out"]
    task_bytes, per_sample = 8.0 * 4 * d * d, 4.0 * sizes["d_in"] * sizes["d_out"]
    big = "--singular-values" if len(s) >= max(sizes["d_in"], sizes["d_out"]) else (
        "--d-in" if sizes["d_in"] >= sizes["d_out"] else "--d-out")
    _check_size(args, sizes, task_bytes, per_sample, big)
    if len(s) > min(sizes["d_in"], sizes["d_out"]):
        raise guards.invalid("--singular-values", s, f"at most min(d_in, d_out) = "
                             f"{min(sizes['d_in'], sizes['d_out'])} values")
    task = numerics.whitened(s, sizes["d_in"], sizes["d_out"])
    return task, f"whitened linear regression, Sigma_yx = diag({', '.join(f'{v:g}' for v in s)})"


def _coef_task(probe, sizes: dict[str, int], args) -> tuple[Any, str]:
    b = np.asarray(guards.real_list("--target-coefs", args.target_coefs or [3.0, 2.0, 1.0], power=2), dtype=float)
    key = "d_in" if "d_in" in probe.sizes else "dim"
    sizes.setdefault(key, b.size)
    if sizes[key] != b.size:
        raise guards.invalid("--target-coefs", b.tolist(), f"needs one value per input dimension "
                             f"({_option(key)} = {sizes[key]}, got {b.size})")
    if "kernel" in probe.sizes:
        sizes.setdefault("kernel", min(2, b.size))
    if "width" in probe.sizes:
        sizes.setdefault("width", 4)
    _check_size(args, sizes, 8.0 * 3 * b.size * b.size, 4.0 * b.size, "--target-coefs")
    task = numerics.LinearRegressionTask(np.eye(b.size), b[None, :], b[None, :] @ b[:, None])
    return task, f"linear regression x ~ N(0, I), y = beta*^T x, beta* = ({', '.join(f'{v:g}' for v in b)})"


def _quadratic_task(probe, sizes: dict[str, int], args) -> tuple[Any, str]:
    a = np.asarray(guards.real_list("--target-eigs", args.target_eigs or [2.0, 1.0, -1.0, -2.0], power=4), dtype=float)
    sizes.setdefault("d_in", a.size)
    sizes.setdefault("width", 8)
    if sizes["d_in"] != a.size:
        raise guards.invalid("--target-eigs", a.tolist(), f"needs one value per input dimension (--d-in = "
                             f"{sizes['d_in']}, got {a.size})")
    _check_size(args, sizes, 8.0 * 4 * a.size * a.size, 4.0 * a.size * a.size, "--target-eigs")
    task = numerics.QuadraticGaussianTask(np.diag(a))
    return task, f"x ~ N(0, I), y = x^T diag({', '.join(f'{v:g}' for v in a)}) x"


def _icl_task(probe, sizes: dict[str, int], args) -> tuple[Any, str]:
    lam = np.asarray(guards.real_list("--cov-eigs", args.cov_eigs or [1.0, 0.5, 0.25], positive=True, power=4))
    context = guards.integer("--context", args.context if args.context is not None else CONTEXT_DEFAULT, minimum=1)
    sizes.setdefault("dim", lam.size)
    sizes.setdefault("width", 5)
    if sizes["dim"] != lam.size:
        raise guards.invalid("--cov-eigs", lam.tolist(), f"needs one value per dimension (--dim = "
                             f"{sizes['dim']}, got {lam.size})")
    _check_size(args, sizes, 8.0 * 6 * lam.size ** 2, 6.0 * lam.size ** 2, "--cov-eigs")
    task = numerics.ICLTask(np.diag(lam), context)
    return task, f"in-context regression, Lambda = diag({', '.join(f'{v:g}' for v in lam)}), N = {context}"


POPULATION_TASKS: dict[str, Callable[[Any, dict[str, int], Any], tuple[Any, str]]] = {
    "singular-values": _linear_task, "target-coefs": _coef_task, "quadratic": _quadratic_task,
    "in-context": _icl_task,
}


def _check_size(args, sizes: dict[str, int], task_bytes: float, per_sample: float, big: str) -> None:
    """Refuse (exit 2) a run whose estimated memory exceeds the machine's limit, naming the option that drives it."""
    arch = architecture(args, **sizes)
    est = _estimate_bytes(arch, task_bytes, args.seeds, per_sample)
    what = f"{arch.label} with sizes {sizes} ({arch.n_params} parameters) and {args.seeds} seed(s)"
    if args.seeds > 1 and _estimate_bytes(arch, task_bytes, 1, per_sample) <= guards.memory_limit():
        guards.check_memory("--seeds", args.seeds, est, what, hint="run fewer seeds at a time")
    if WORKING_ARRAYS * arch.n_params > max(per_sample, task_bytes / 8.0):  # the network's own size dominates
        key = max(sizes, key=lambda k: sizes[k])
        guards.check_memory(_option(key), sizes[key], est, what)
    value = {"--singular-values": getattr(args, "singular_values", None), "--target-coefs": args.target_coefs,
             "--target-eigs": args.target_eigs, "--cov-eigs": args.cov_eigs}.get(big)
    if value is None:
        value = sizes.get(big[2:].replace("-", "_"), getattr(args, big[2:].replace("-", "_"), None))
    shown = f"{len(value)} values" if isinstance(value, list) else value
    guards.check_memory(big, shown, est, what)


def require_target_scale(problem: Problem, c: float) -> None:
    """A default horizon needs a target strength c > 0 (all targets zero: nothing is learned)."""
    if not c > 0:
        raise guards.invalid("task", problem.description, "has no target strength (all targets zero): nothing to "
                             "learn, so no default horizon; pass --t-max")


def power_law_horizon(problem: Problem, c: float, coef: float, power: int, formula: str) -> float:
    """coef/(c·ε^power), computed in logs (ε^power may underflow); when it overflows float64 the message names
    ``--init-scale`` and ``formula`` (the horizon as the caller documents it)."""
    eps = problem.init_scale
    log_t = math.log(coef / c) - power * math.log(eps)
    if log_t > math.log(1e300):
        raise guards.invalid("--init-scale", eps, f"{formula} of {problem.arch.label} overflows float64; pass --t-max "
                             "or use a larger scale")
    return math.exp(log_t)


def _check_finite_start(arch, task, theta0: np.ndarray, eps: float) -> None:
    with np.errstate(all="ignore"):
        loss, grad = numerics.loss_and_grad(arch, task, theta0[:1])
    if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))):
        raise guards.invalid("--init-scale", eps, f"the initial loss or gradient of {arch.label} is not finite in "
                             "float64 (overflow); use a smaller scale")


def _dataset_task(probe, sizes: dict[str, int], args) -> tuple[Any, str]:
    if args.data:
        x, y = _load_npz(args.data)
        return numerics.Dataset(x, y), f"dataset {args.data} ({x.shape[0]} samples)"
    samples = guards.integer("--samples", args.samples if args.samples is not None else DATASET_DEFAULTS["samples"],
                             minimum=1)
    teacher_width = guards.integer("--teacher-width", args.teacher_width if args.teacher_width is not None
                                   else DATASET_DEFAULTS["teacher_width"], minimum=1)
    data_seed = guards.integer("--data-seed", args.data_seed if args.data_seed is not None
                               else DATASET_DEFAULTS["data_seed"], minimum=0)
    context = guards.integer("--context", args.context if args.context is not None else CONTEXT_DEFAULT, minimum=1)
    probe = architecture(args, **dict(sizes, width=max(sizes.get("width", 1), teacher_width)))
    width = probe.sizes.get("width", 1)
    dims = probe.input_dim + probe.output_dim
    per = samples * (dims + 4 * width) * (context if probe.is_attention else 1)
    _check_size(args, sizes, 8.0 * 2 * samples * dims * (context if probe.is_attention else 1), per, "--samples")
    rng = np.random.default_rng(data_seed)
    teacher = probe.resized(width=teacher_width, **{k: v for k, v in sizes.items() if k != "width"})
    if teacher.is_attention:
        lam = np.asarray(args.cov_eigs or [1.0] * teacher.input_dim, dtype=float)
        if lam.size != teacher.input_dim or not np.all(lam > 0):
            raise guards.invalid("--cov-eigs", lam.tolist(), f"needs {teacher.input_dim} values > 0")
        data = numerics.sample_icl_dataset(np.diag(lam), context, samples, rng)
        return data, f"sampled in-context dataset, {samples} sequences"
    x = rng.standard_normal((samples, teacher.input_dim))
    theta_t = rng.standard_normal((1, teacher.n_params))
    y = teacher.forward(theta_t, x)[0]
    return numerics.Dataset(x, y), (f"teacher dataset: {samples} samples x ~ N(0, I), labels from a "
                                    f"{teacher_width}-unit {probe.label} teacher (data seed {data_seed})")


def _load_npz(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays X (P, d_in) and Y (P, d_out) of an ``.npz`` file, refused (exit 2) when unreadable, not real, too big
    for memory, or holding pickled objects (never unpickled: a data file must not run code)."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("X", "Y") if k not in z.files]
            if missing:
                have = ", ".join(z.files) or "none"
                raise guards.invalid("--data", path, f"has no array {missing[0]} (it has {have})")
            arrays = []
            for key in ("X", "Y"):
                with z.zip.open(key + ".npy") as fh:
                    read = {(1, 0): np.lib.format.read_array_header_1_0}.get(np.lib.format.read_magic(fh),
                                                                             np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(fh)
                guards.check_memory("--data", path, 8.0 * 4 * math.prod(shape), f"array {key} of shape {shape}")
                if dtype.kind not in "biuf":
                    raise guards.invalid("--data", path, f"array {key} must hold real numbers (dtype {dtype})")
                arrays.append(np.asarray(z[key], dtype=float))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, guards.InputError):
            raise
        raise guards.invalid("--data", path, f"cannot read arrays X and Y ({type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:120]})") from None
    x, y = arrays
    if x.ndim != 2 or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        raise guards.invalid("--data", path, f"X must be a finite (P, d_in) array and Y finite (got X {x.shape})")
    return x, y
