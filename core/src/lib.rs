#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod forecast;
pub mod money;
pub mod wire;

pub use error::{Error, ParseKind, Result};
pub use money::{split_largest_remainder, Rounding, RoundingStrategy};

/// The crate version; the Python and npm packages carry the same one.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
