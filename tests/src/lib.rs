//! Shared vectors: see `tests/vectors/` and `tests/tests/vectors.rs`.
