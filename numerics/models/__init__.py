"""Per-family kernels of the numeric models (spec §1.4), one concept per module.

Each kernel works on already-unpacked, batched parameter blocks (leading axis B = parameter sets) and plain
float64 arrays; validation and the flat θ layout live in :mod:`numerics.architectures`.

* :mod:`.pointwise` — fully connected nets f = Σ_i v_i σ(u_i·x) for σ ∈ {identity, relu, square, cube, tanh, x·tanh x};
* :mod:`.linear` — models linear in x, f = W x, evaluated through their end-to-end matrix W (linear FC);
* :mod:`.conv` — 1-D valid convolutions with dense read-out (linear and ReLU);
* :mod:`.quadratic` — the quadratic net's effective matrix M = Σ_i v_i u_i u_iᵀ;
* :mod:`.attention` — linear attention f = βᵀ M x_q (separate K, Q and merged KQ);
* :mod:`.deep` — depth-3 linear chain and diagonal linear net.
"""
