"""The seeded generator every peer script shares with the Rust benches (benches/src/lib.rs):
splitmix64 used as a counter, so numpy draws the same numbers as Rust's ``draw(seed, k)``."""

from __future__ import annotations

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's output function, element-wise on uint64."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def draws(seed: int, start: int, count: int) -> np.ndarray:
    """Outputs ``start .. start + count`` of splitmix64 seeded with ``seed`` (``draw(seed, k)``)."""
    k = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    return mix(np.uint64(seed) + k * GOLDEN)
