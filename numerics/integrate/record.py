"""Growing per-member record of a batched run (used by the flow and descent integrators)."""

from __future__ import annotations

import numpy as np


class Recorder:
    """Growing per-member record of (step, t, loss, ‖g‖) and of saved θ; :attr:`nbytes` is its size, which the
    integrators compare with their memory budget after every step."""

    def __init__(self, B: int, cap: int = 256):
        self.cap = cap
        self.theta_bytes = 0
        self.count = np.zeros(B, dtype=np.int64)
        self.t = np.empty((B, cap))
        self.loss = np.empty((B, cap))
        self.g = np.empty((B, cap))
        self.step = np.empty((B, cap), dtype=np.int64)
        self.theta_t: list[list[float]] = [[] for _ in range(B)]
        self.theta: list[list[np.ndarray]] = [[] for _ in range(B)]

    def add(self, idx, step, t, loss, g) -> None:
        if idx.size == 0:
            return
        self._fit(int(self.count[idx].max()) + 1)
        c = self.count[idx]
        self.t[idx, c] = t
        self.loss[idx, c] = loss
        self.g[idx, c] = g
        self.step[idx, c] = step
        self.count[idx] += 1

    def extend(self, b: int, step, t, loss, g) -> None:
        """Append k samples (arrays of length k) to member ``b``'s record at once (a stiff stretch)."""
        k = len(t)
        c = int(self.count[b])
        self._fit(c + k)
        self.t[b, c : c + k] = t
        self.loss[b, c : c + k] = loss
        self.g[b, c : c + k] = g
        self.step[b, c : c + k] = step
        self.count[b] += k

    def _fit(self, size: int) -> None:
        """Grow the four scalar records (doubling) until a member can hold ``size`` samples."""
        if size <= self.cap:
            return
        cap = self.cap
        while cap < size:
            cap *= 2
        for name in ("t", "loss", "g", "step"):
            old = getattr(self, name)
            new = np.empty((old.shape[0], cap), dtype=old.dtype)
            new[:, : self.cap] = old
            setattr(self, name, new)
        self.cap = cap

    def save_theta(self, b: int, t: float, theta: np.ndarray) -> None:
        if self.theta_t[b] and self.theta_t[b][-1] == t:
            return
        self.theta_t[b].append(t)
        self.theta[b].append(np.array(theta, dtype=np.float64))
        self.theta_bytes += 8 * (np.size(theta) + 1)

    def save_thetas(self, idx: np.ndarray, t: np.ndarray, theta: np.ndarray, *, copy: bool = True) -> None:
        """:meth:`save_theta` for the members ``idx`` at once (times ``t``, rows of ``theta``): one copy of the rows
        (none with ``copy=False``, for a fresh array nobody else writes to, e.g. a fancy-indexed gather), each member
        keeping a view of its own row instead of a copy per member."""
        if idx.size == 0:
            return
        snap = np.array(theta, dtype=np.float64, copy=copy)
        saved = 0
        for k, b in enumerate(idx.tolist()):
            times = self.theta_t[b]
            tk = float(t[k])
            if times and times[-1] == tk:
                continue
            times.append(tk)
            self.theta[b].append(snap[k])
            saved += 1
        self.theta_bytes += 8 * (snap.shape[1] + 1) * saved

    @property
    def nbytes(self) -> int:
        """Bytes held: the four scalar records (grown by doubling) and the saved θ."""
        return 32 * self.count.size * self.cap + self.theta_bytes

    def arrays(self, b: int):
        c = self.count[b]
        return self.t[b, :c].copy(), self.loss[b, :c].copy(), self.g[b, :c].copy(), self.step[b, :c].copy()
