//! WebAssembly bindings of crmkit: the npm package `crmkit`.
//!
//! A thin layer: each export converts its input, calls one core function, converts the output
//! and maps the error. Plain objects cross as JSON text (`JSON.stringify` in,
//! [`crmkit::wire::from_json`] to read it), so parsing, error codes and error paths are the
//! ones Rust and Python give; money and rates are decimal strings, never floats. Errors are
//! thrown as real JS `Error`s named `CrmkitError` with `code` and `path` properties.
//!
//! Everything is compiled only for `wasm32`: off wasm this crate is empty, so
//! `cargo test --workspace` stays native. Build and test with `scripts/wasm.sh`.

#[cfg(target_arch = "wasm32")]
mod column_buffer;
#[cfg(target_arch = "wasm32")]
mod columns;
#[cfg(target_arch = "wasm32")]
mod commission;
#[cfg(target_arch = "wasm32")]
mod commission_batches;
#[cfg(target_arch = "wasm32")]
mod commission_columns;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod dedup;
#[cfg(target_arch = "wasm32")]
mod dedup_parts;
#[cfg(target_arch = "wasm32")]
mod exports;
#[cfg(target_arch = "wasm32")]
mod forecast_quota;
#[cfg(target_arch = "wasm32")]
mod forecast_table;
#[cfg(target_arch = "wasm32")]
mod plan;
#[cfg(target_arch = "wasm32")]
mod pool;
#[cfg(target_arch = "wasm32")]
mod pool_batches;
#[cfg(target_arch = "wasm32")]
mod pool_columns;
#[cfg(target_arch = "wasm32")]
mod quota_table;
#[cfg(target_arch = "wasm32")]
mod roi;
#[cfg(target_arch = "wasm32")]
mod roi_campaigns;
#[cfg(target_arch = "wasm32")]
mod roi_table;
#[cfg(target_arch = "wasm32")]
mod scoring;
