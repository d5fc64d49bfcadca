"""How ``s2s simulate`` cuts a sweep into chunks, and how it reports progress.

A sweep is the cross product of init scales ε and widths H (each a *point*, its own problem since n depends on H)
with the seeds S, S+1, …, S+K−1, the same seeds at every point.  Each point's seeds are cut into chunks of at most
C consecutive seeds; one chunk is one batched integration (its members share nothing but the batch, so a seed's
trajectory does not depend on its chunk beyond round-off, :mod:`numerics.integrate.flow`), and the chunk's
trajectories are dropped once its seeds are analysed, so memory is bounded by one chunk per worker, not by K.

Default chunk size: C = min(K, max(⌈K / (2W)⌉, MIN_SHARED_CHUNK), ⌈BATCH_ELEMENTS / n⌉, MAX_DEFAULT_CHUNK, the memory
fit) for W workers (a sweep of few chunks still gives every worker two, so the first lines come after half a
worker's share and a worker whose first chunk ran fast takes more, but no chunk is cut below MIN_SHARED_CHUNK
seeds for it, where batching still pays) and n the parameters of the network actually integrated (the narrower one
of a reduced run, :func:`numerics.reduce_units`), where the memory fit is
the largest C whose estimate C · 8 n (WORKING_ARRAYS + SAVED_STATES) bytes plus the per-seed results stays within
:data:`MEMORY_FRACTION` of :func:`guards.memory_limit` (SAVED_STATES: a generous count of the θ snapshots a member
records, one per accepted DOP853 step: ~150 for linear-fc, H = 50, ε = 1e-6; thousands for power-law escapes).
Batching pays until a stage array of the batch holds ~BATCH_ELEMENTS numbers, and no further: measured CPU seconds
for 256 seeds of linear-fc D = 5, H = 50 (n = 500), analysis none, 2 busy cores: 30.6 at C = 1, 12.1 at 4, 6.7 at
16, 5.1-5.9 at 32-256 (flat); for 1024 seeds at n = 80: 7.5 at C = 64, 5.9 at 256, 6.2 at 1024.  Larger chunks
only add memory (495 MB at C = 256 against 211 MB at 32 for n = 500) and delay the first line.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import TextIO

import guards

from .problem import RESULT_BYTES_PER_SEED, WORKING_ARRAYS

MAX_DEFAULT_CHUNK = 256
MIN_SHARED_CHUNK = 16  # at 16 a seed costs 1.1-1.3x the flat optimum at n = 500 (module docstring); 4: 2.1-2.4x
BATCH_ELEMENTS = 32_768  # C·n where batching stops paying (module docstring)
MAX_SEEDS = 100_000  # per command: every seed prints a JSON line of 10-50 kB
SAVED_STATES = 2_000
MEMORY_FRACTION = 0.5


@dataclass(frozen=True)
class Point:
    """One combination of the sweep: ``init_scale`` and ``width`` (None: the architecture's default)."""

    index: int
    init_scale: float
    width: int | None


@dataclass(frozen=True)
class Chunk:
    """Seeds ``first_seed`` … ``first_seed + size − 1`` at ``point``; ``index`` is its place in the output and
    ``trace`` how many of its first members keep (t, loss) for ``--plot``."""

    index: int
    point: Point
    first_seed: int
    size: int
    trace: int = 0

    @property
    def seeds(self) -> range:
        return range(self.first_seed, self.first_seed + self.size)


def default_chunk(n_params: int, n_seeds: int, workers: int = 1) -> int:
    """Chunk size when ``--chunk`` is omitted (module docstring)."""
    per_seed = 8.0 * n_params * (WORKING_ARRAYS + SAVED_STATES) + RESULT_BYTES_PER_SEED
    fits = int(MEMORY_FRACTION * guards.memory_limit() // per_seed)
    shared = max(math.ceil(n_seeds / (2 * max(workers, 1))), MIN_SHARED_CHUNK)
    return max(1, min(n_seeds, shared, MAX_DEFAULT_CHUNK, math.ceil(BATCH_ELEMENTS / n_params),
                      fits))


def plan_chunks(points: list[Point], first_seed: int, n_seeds: int, chunks: dict[int, int],
                trace_first: int = 0) -> list[Chunk]:
    """The sweep's chunks in output order: points in order, seeds ascending within each point; ``chunks[p]`` is
    point p's chunk size and the first ``trace_first`` seeds of the output are traced for the plot."""
    out: list[Chunk] = []
    before = 0
    for point in points:
        size = chunks[point.index]
        for start in range(0, n_seeds, size):
            c = min(size, n_seeds - start)
            trace = max(0, min(c, trace_first - before))
            out.append(Chunk(len(out), point, first_seed + start, c, trace))
            before += c
    return out


class Progress:
    """One line per finished chunk on ``stream`` (stderr): seeds done / total, elapsed, rate, ETA; silent unless
    ``enabled``.  Never writes to stdout, which carries the results only."""

    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None, prefix: str = "s2s simulate"):
        self.total, self.enabled, self.prefix = total, enabled, prefix
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.start = time.perf_counter()

    def update(self, seeds: int, where: str) -> str | None:
        """Count ``seeds`` more as done and print the line (returned, or None when disabled)."""
        self.done += seeds
        if not self.enabled:
            return None
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else math.inf
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        line = (f"{self.prefix}: {self.done}/{self.total} seeds ({100.0 * self.done / self.total:.0f}%) {where}; "
                f"{elapsed:.1f} s elapsed, {rate:.3g} seeds/s, ETA {eta:.1f} s")
        print(line, file=self.stream, flush=True)
        return line
