#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod commission;
pub mod dedup;
pub mod error;
pub mod forecast;
pub(crate) mod hash;
pub mod limits;
pub mod money;
pub mod pool;
pub mod prelude;
pub mod roi;
pub mod scoring;
pub mod wire;

pub use error::{Error, ParseKind, Result};
pub use money::{split_largest_remainder, Rounding, RoundingStrategy};

/// The `chrono` crate crmkit is built on (for `Datelike`, `Months`...).
pub use chrono;
/// The date type of every `as_of` and input date (`chrono`, without its clock), re-exported
/// likewise.
pub use chrono::NaiveDate;
/// The `rust_decimal` crate crmkit is built on (for `RoundingStrategy`, `MathematicalOps`...).
pub use rust_decimal;
/// The decimal type of every amount and rate (`rust_decimal`), re-exported so that callers
/// need no dependency of their own to build inputs or read reports.
pub use rust_decimal::Decimal;

/// The crate version; the Python and npm packages carry the same one.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
