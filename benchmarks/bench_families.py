"""Per-call cost of ``numerics.loss_and_grad`` for every built-in architecture, before and after a change.

Run by hand: ``python benchmarks/bench_families.py [--compare-with GIT_REF] [--repeat 5] [--rounds 3]``.

(a) Each built-in architecture on its default problem (the sizes and task ``s2s simulate ARCH`` uses by default:
    the population task where there is one, else a dataset of P = 64 samples), at B = 1 and B = 256 parameter sets
    per call.
(b) ``fc --activation EXPR`` for tanh(z), z*tanh(z), z**3 (σ, σ′, σ″ compiled by SymPy's lambdify) against the
    hand-written tanh-fc, xtanh-fc, cubic on the same dataset.

Timing is timeit-style: the number N of calls per repeat is calibrated so that one repeat lasts ``--min-time``
seconds, ``--repeat`` repeats of N calls are timed with ``time.perf_counter`` and the minimum per call is reported
(the least disturbed repeat; on a shared machine the mean mostly measures the neighbours).

``--compare-with REF`` extracts REF with ``git archive REF | tar -x`` into a temporary directory (no change to the
repository: no checkout, no worktree).  Two long-lived worker processes, one with ``PYTHONPATH`` set to that
directory and one with it set to the working tree, take turns case by case (for each case and B, one side times it,
then the other; who goes first alternates), for ``--rounds`` rounds; each number is the minimum over the rounds.  So
both columns come from one run on the same machine, and a burst of load from elsewhere hits both sides alike.  The
timing code is this file's in both workers; only the library differs.  Cases that REF cannot build
(``fc --activation`` before the registry) are shown as "-".  Nothing is written outside the temporary directory.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SEED = 20261126
SAMPLES = 64
BATCHES = (1, 256)
SLOWER = 1.10  # after/before above this is reported as a slow-down

# name -> (build_architecture arguments, task); the task and sizes are the defaults of proofs_check/problem.py
# (s2s simulate ARCH with no options), written out here so that both sides of a comparison time the same problem.
LINEAR_S = (5.0, 4.0, 3.0, 2.0, 1.0)
COEFS = (3.0, 2.0, 1.0)
QUAD_A = (2.0, 1.0, -1.0, -2.0)
ICL_LAMBDA, ICL_CONTEXT = (1.0, 0.5, 0.25), 32
BUILTINS: dict[str, tuple[dict, tuple]] = {
    "linear-fc": ({"d_in": 5, "d_out": 5, "width": 8}, ("whitened", LINEAR_S)),
    "linear-conv": ({"d_in": 3, "kernel": 2, "width": 4}, ("coefs", COEFS)),
    "relu-fc": ({"width": 8}, ("dataset", SAMPLES)),
    "relu-conv": ({"width": 8}, ("dataset", SAMPLES)),
    "quadratic": ({"d_in": 4, "width": 8}, ("quadratic", QUAD_A)),
    "tanh-fc": ({"width": 8}, ("dataset", SAMPLES)),
    "xtanh-fc": ({"width": 8}, ("dataset", SAMPLES)),
    "cubic": ({"width": 8}, ("dataset", SAMPLES)),
    "attn-s": ({"dim": 3, "width": 5}, ("icl", ICL_LAMBDA)),
    "attn-m": ({"dim": 3, "width": 5}, ("icl", ICL_LAMBDA)),
    "deep-linear": ({"d_in": 5, "d_out": 5, "hidden": 8, "width": 8}, ("whitened", LINEAR_S)),
    "diagonal-linear": ({"dim": 3}, ("coefs", COEFS)),
}
# fc --activation EXPR and the built-in it spells out.
USER_UNITS: dict[str, tuple[str, str]] = {
    "fc[sigma=tanh(z)]": ("tanh(z)", "tanh-fc"),
    "fc[sigma=z*tanh(z)]": ("z*tanh(z)", "xtanh-fc"),
    "fc[sigma=z**3]": ("z**3", "cubic"),
}


# ------------------------------------------------------------------------------------------------- worker side
def _task(numerics, np, arch, spec: tuple):
    kind, value = spec
    if kind == "whitened":
        return numerics.whitened(list(value), arch.input_dim, arch.output_dim)
    if kind == "coefs":
        b = np.asarray(value, dtype=float)
        return numerics.LinearRegressionTask(np.eye(b.size), b[None, :], b[None, :] @ b[:, None])
    if kind == "quadratic":
        return numerics.QuadraticGaussianTask(np.diag(np.asarray(value, dtype=float)))
    if kind == "icl":
        return numerics.ICLTask(np.diag(np.asarray(value, dtype=float)), ICL_CONTEXT)
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((value, arch.input_dim))
    y = rng.standard_normal((value, arch.output_dim))
    return numerics.Dataset(x, y)


def _calibrate(f, min_time: float) -> int:
    """Calls per repeat: the smallest N found (growing ×10 at most) with N calls lasting at least ``min_time``."""
    f()  # warm-up (first-call caches, lazy imports)
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n
        n = max(n + 1, min(n * 10, int(n * 1.2 * min_time / max(dt, 1e-9))))


def _best(f, n: int, repeat: int) -> float:
    """Minimum over ``repeat`` repeats of the mean time of one call in a repeat of ``n`` calls."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def _cases(numerics):
    for name, (sizes, task) in BUILTINS.items():
        yield name, (lambda n=name, s=sizes: numerics.build_architecture(n, **s)), task
    for label, (expr, base) in USER_UNITS.items():
        sizes, task = BUILTINS[base]
        yield label, (lambda e=expr, s=sizes: numerics.build_architecture("fc", activation=e, **s)), task


def worker(args) -> None:
    """Serve timings (``PYTHONPATH`` chooses the code): one request ``LABEL<TAB>B`` per stdin line, one JSON answer
    per stdout line; the first answer describes the process."""
    import numpy as np

    import numerics

    print(json.dumps({"numerics": str(Path(numerics.__file__).resolve().parent), "numpy": np.__version__}),
          flush=True)
    cases = {label: (build, task) for label, build, task in _cases(numerics)}
    calls: dict[tuple[str, int], tuple] = {}
    for line in sys.stdin:
        label, batch = line.rstrip("\n").split("\t")
        key = (label, int(batch))
        if key not in calls:
            build, task_spec = cases[label]
            try:
                arch = build()
            except Exception as exc:  # noqa: BLE001 - an older tree may not know the case: reported, not fatal
                print(json.dumps({"unavailable": f"{type(exc).__name__}: {exc}"[:200]}), flush=True)
                continue
            task = _task(numerics, np, arch, task_spec)
            theta = 0.5 * np.random.default_rng(SEED + key[1]).standard_normal((key[1], arch.n_params))
            call = functools.partial(numerics.loss_and_grad, arch, task, theta)
            calls[key] = (call, _calibrate(call, args.min_time), arch.n_params)
        call, n, n_params = calls[key]
        print(json.dumps({"seconds": _best(call, n, args.repeat), "calls": n, "n_params": n_params}), flush=True)


# ------------------------------------------------------------------------------------------------- driver side
class Worker:
    """A long-lived worker process timing the code under ``code_root``."""

    def __init__(self, code_root: Path, args, cwd: str):
        env = dict(os.environ, PYTHONPATH=str(code_root))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--repeat", str(args.repeat),
               "--min-time", str(args.min_time)]
        self.root = code_root
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.info = self._read()
        if not self.info["numerics"].startswith(str(code_root.resolve())):
            self.close()
            raise SystemExit(f"worker for {code_root} imported numerics from {self.info['numerics']} "
                             "(PYTHONPATH ignored)")

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"worker for {self.root} died (exit {self.proc.wait()})")
        return json.loads(line)

    def time(self, label: str, batch: int) -> dict:
        self.proc.stdin.write(f"{label}\t{batch}\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _extract(ref: str, into: Path) -> str:
    """``git archive REF | tar -x -C into`` (reads the repository, changes nothing in it); returns the commit."""
    r = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"--compare-with: {ref!r} is not a commit of {ROOT}")
    commit = r.stdout.strip()
    blob = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return commit


def _us(sec: float | None) -> str:
    return "-" if sec is None else f"{sec * 1e6:.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}"


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--compare-with", metavar="GIT_REF", help="also time this commit (git archive into a temp dir)")
    p.add_argument("--repeat", type=int, default=5, help="timed repeats per case (minimum reported)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (minimum over rounds)")
    p.add_argument("--min-time", type=float, default=0.1, help="seconds per repeat (sets the calls per repeat)")
    p.add_argument("--only", nargs="+", metavar="CASE", help="time only these cases (names as in the table)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1 or args.rounds < 1 or not args.min_time > 0:
        p.error("--repeat and --rounds must be >= 1 and --min-time > 0")
    if args.worker:
        worker(args)
        return 0

    labels = [*BUILTINS, *USER_UNITS]
    if args.only:
        unknown = sorted(set(args.only) - set(labels))
        if unknown:
            p.error(f"--only: unknown case(s) {', '.join(unknown)} (known: {', '.join(labels)})")
        labels = [label for label in labels if label in args.only]
    load_before = _load()
    start = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    # side -> label -> {"n_params", batch -> seconds (min over rounds)}; side -> label -> why unavailable
    best: dict[str, dict[str, dict]] = {}
    unavailable: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="s2s-bench-") as tmp:
        sides = {"after": ROOT}
        commit = None
        if args.compare_with:
            commit = _extract(args.compare_with, Path(tmp) / "ref")
            sides = {"before": Path(tmp) / "ref", "after": ROOT}
        cwd = Path(tmp) / "cwd"  # the workers' working directory: nothing lands in the checkout
        cwd.mkdir()
        workers: dict[str, Worker] = {}
        try:
            for side, root in sides.items():
                workers[side] = Worker(root, args, str(cwd))
                best[side], unavailable[side] = {}, {}
            # Interleaved at the finest grain: for each case and batch the sides take turns (who goes first
            # alternates), round after round, so a burst of load from elsewhere hits both sides alike.
            order = list(sides)
            for rnd in range(args.rounds):
                print(f"round {rnd + 1}/{args.rounds} ...", file=sys.stderr, flush=True)
                for i, label in enumerate(labels):
                    for batch in BATCHES:
                        turn = order if (rnd + i) % 2 == 0 else order[::-1]
                        for side in turn:
                            if label in unavailable[side]:
                                continue
                            r = workers[side].time(label, batch)
                            if "unavailable" in r:
                                unavailable[side][label] = r["unavailable"]
                                continue
                            row = best[side].setdefault(label, {"n_params": r["n_params"]})
                            row[str(batch)] = min(row.get(str(batch), math.inf), r["seconds"])
        finally:
            for w in workers.values():
                w.close()
    load_after = _load()
    after = best["after"]
    before = best.get("before", {})
    numpy_version = workers["after"].info["numpy"]

    print(f"loss_and_grad per call: min over {args.rounds} interleaved rounds x {args.repeat} repeats "
          f"(>= {args.min_time:g} s per repeat)")
    print(f"date {start}; Python {sys.version.split()[0]}, NumPy {numpy_version}; "
          f"nproc {os.cpu_count()}; load average (1, 5, 15 min) before {load_before}, after {load_after}")
    if commit:
        print(f"before = {args.compare_with} ({commit[:12]}, git archive), after = working tree {ROOT}")
    print()
    header = ["architecture", "n", "B=1 before [us]", "B=1 after [us]", "after/before",
              "B=256 before [us]", "B=256 after [us]", "after/before"]
    rows, slower = [], []
    for label in BUILTINS:
        if label not in after:
            continue
        a, b = after[label], before.get(label)
        cells = [label, str(a["n_params"])]
        for batch in BATCHES:
            key = str(batch)
            old = b[key] if b else None
            cells += [_us(old), _us(a[key]), _ratio(a[key], old)]
            if old is not None and a[key] > SLOWER * old:
                slower.append(f"{label} at B = {batch}: {a[key] / old:.2f}x ({_us(old)} -> {_us(a[key])} us)")
        rows.append(cells)
    print("(a) built-in architectures on their default problem")
    print(_table(header, rows))
    print()
    header = ["fc --activation", "built-in", "B=1 compiled [us]", "B=1 hand-written [us]", "compiled/hand",
              "B=256 compiled [us]", "B=256 hand-written [us]", "compiled/hand"]
    rows = []
    for label, (_, base) in USER_UNITS.items():
        if label not in after or base not in after:
            continue
        cells = [label, base]
        for batch in BATCHES:
            key = str(batch)
            cells += [_us(after[label][key]), _us(after[base][key]), _ratio(after[label][key], after[base][key])]
        rows.append(cells)
    print("(b) user units compiled from an expression vs the hand-written built-in (both: working tree)")
    print(_table(header, rows))
    missing = sorted(unavailable.get("before", {}))
    if missing:
        print(f"\nnot available in {args.compare_with}: {', '.join(missing)}")
    if commit:
        print()
        if slower:
            print(f"more than {round((SLOWER - 1) * 100)}% slower than {args.compare_with}:")
            for s in slower:
                print("  " + s)
        else:
            print(f"no built-in is more than {round((SLOWER - 1) * 100)}% slower than {args.compare_with}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
