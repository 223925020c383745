//! Declared limits: inputs that could grow memory or time without bound are refused up front
//! with a typed `limit_exceeded` error and the path of what is too large, the same on every
//! platform (wasm32 has a 32-bit `usize`, so a limit must never depend on it).
//!
//! Every limit is listed in the README's "Limits" table. A domain declares its own constants
//! next to its code (or here when shared) and checks them with [`check`] / [`product`] before
//! it allocates.
//!
//! # Examples
//!
//! ```
//! use crmkit::limits;
//!
//! limits::check("stages", 12usize, limits::MAX_STAGES, "stages")?;
//! let e = limits::check("stages", 50_000usize, limits::MAX_STAGES, "stages").unwrap_err();
//! assert_eq!((e.code(), e.path()), ("limit_exceeded", "stages"));
//! // A product of sizes in u64, never in usize:
//! let e = limits::product("simulations", &[100_000, 1_201], 50_000_000, "outcomes").unwrap_err();
//! assert_eq!(e.code(), "limit_exceeded");
//! # Ok::<(), crmkit::Error>(())
//! ```

use crate::error::{Error, Result};

/// Levels of nesting in a JSON input (serde_json's own recursion limit; Python and JS inputs
/// are held to the same).
pub const MAX_NESTING: u64 = 128;

/// Stages in a forecast or history policy. A report is linear in them (a deal's chain of
/// stages is read off the stage table, never repeated per line).
pub const MAX_STAGES: u64 = 10_000;

/// How far ahead a forecast may place a deal: the durations of a funnel's open stages added
/// up (and an expected close date) may not reach beyond a century, in months
/// (`duration_unit: months`) or days (`days`).
pub const MAX_HORIZON_MONTHS: u64 = 1_200;
/// [`MAX_HORIZON_MONTHS`] in days.
pub const MAX_HORIZON_DAYS: u64 = 36_500;

/// Lines of a dense forecast (`dense: true`): groups × months of the horizon.
pub const MAX_DENSE_LINES: u64 = 10_000_000;

/// Simulated outcomes kept at once by `forecast_ranges`: simulations × (months + 1).
pub const MAX_OUTCOMES: u64 = 50_000_000;

/// Quantiles asked of `forecast_ranges`.
pub const MAX_QUANTILES: u64 = 1_000;

/// `threads` of `forecast_frame`; more are clamped to the machine's parallelism.
pub const MAX_THREADS: u64 = 1_024;

/// `limit_exceeded` at `path` when `value` (any unsigned or signed integer) is above `limit`;
/// `what` names the unit counted (`"stages"`, `"months"`).
///
/// # Errors
///
/// `limit_exceeded` at `path`.
pub fn check(path: &str, value: impl TryInto<u64>, limit: u64, what: &str) -> Result<()> {
    let value = value.try_into().unwrap_or(u64::MAX);
    if value > limit {
        return Err(exceeded(path, value, limit, what));
    }
    Ok(())
}

/// The product of `factors` computed in `u64` (never `usize`), or `limit_exceeded` at `path`
/// when it is above `limit` (or would overflow `u64`).
///
/// # Errors
///
/// `limit_exceeded` at `path`.
pub fn product(path: &str, factors: &[u64], limit: u64, what: &str) -> Result<u64> {
    let mut p: u64 = 1;
    for &f in factors {
        p = p.checked_mul(f).filter(|&p| p <= limit).ok_or_else(|| {
            let shown = factors.iter().map(u64::to_string).collect::<Vec<_>>().join(" × ");
            Error::LimitExceeded {
                path: path.to_owned(),
                value: shown,
                limit: limit.to_string(),
                what: what.to_owned(),
            }
        })?;
    }
    Ok(p)
}

/// The `limit_exceeded` error itself, for a check that does not fit [`check`].
pub fn exceeded(path: &str, value: impl std::fmt::Display, limit: u64, what: &str) -> Error {
    Error::LimitExceeded {
        path: path.to_owned(),
        value: value.to_string(),
        limit: limit.to_string(),
        what: what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_in_u64_whatever_the_platform() {
        assert!(check("x", 3u32, 3, "things").is_ok());
        assert_eq!(check("x", -1i64, 3, "things").unwrap_err().code(), "limit_exceeded");
        assert_eq!(product("x", &[1 << 16, 1 << 16], u64::MAX, "cells").unwrap(), 1 << 32);
        assert_eq!(product("x", &[u64::MAX, 2], u64::MAX, "cells").unwrap_err().code(), "limit_exceeded");
        let e = product("simulations", &[3, 4], 11, "outcomes").unwrap_err();
        assert_eq!(e.to_string(), "simulations: 3 × 4 is above the limit of 11 outcomes");
    }
}
