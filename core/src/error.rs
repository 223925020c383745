//! The one error type of crmkit.
//!
//! Every error has a stable snake_case [`Error::code`] and a [`Error::path`] to the offending
//! field (`stages[1].conversion`, `deals[3].amount`), so callers in Rust, Python and JS can
//! react to the code and point a user at the field. Messages are for people; tests and
//! programs match on codes.

use std::fmt;

/// What kind of problem a parse (deserialisation) error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseKind {
    /// The text is not JSON.
    Json,
    /// A value has the wrong JSON type (a string where a list was expected...).
    Type,
    /// A required field is missing.
    MissingField,
    /// A field the type does not know (configs deny unknown fields to catch typos).
    UnknownField,
    /// A value outside the allowed set (an unknown enum variant...).
    Value,
    /// Money or a rate that is not a decimal string or an integer.
    Decimal,
    /// A date that is not `YYYY-MM-DD`.
    Date,
}

impl ParseKind {
    /// The stable code of this kind.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Json => "invalid_json",
            Self::Type => "invalid_type",
            Self::MissingField => "missing_field",
            Self::UnknownField => "unknown_field",
            Self::Value => "invalid_value",
            Self::Decimal => "invalid_decimal",
            Self::Date => "invalid_date",
        }
    }
}

/// The error of every crmkit function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input could not be read into crmkit's types.
    #[error("{path}: {message}")]
    Parse {
        /// What went wrong.
        kind: ParseKind,
        /// Where.
        path: String,
        /// The parser's explanation.
        message: String,
    },
    /// A number outside its allowed range (a rate above 1, a negative duration...).
    #[error("{path}: {value} is outside [{min}, {max}]")]
    OutOfRange {
        /// Where.
        path: String,
        /// The value found.
        value: String,
        /// Smallest allowed value.
        min: String,
        /// Largest allowed value (`inf` when unbounded).
        max: String,
    },
    /// Money that must not be negative is.
    #[error("{path}: amount {value} is negative")]
    NegativeAmount {
        /// Where.
        path: String,
        /// The value found.
        value: String,
    },
    /// A name that must be unique appears twice.
    #[error("{path}: {name:?} appears twice (first at {first})")]
    DuplicateName {
        /// Where the second one is.
        path: String,
        /// The repeated name.
        name: String,
        /// Where the first one is.
        first: String,
    },
    /// A record names a stage the policy does not have.
    #[error("{path}: stage {name:?} is not in the policy")]
    UnknownStage {
        /// Where.
        path: String,
        /// The unknown name.
        name: String,
    },
    /// A value the context requires is absent.
    #[error("{path}: {reason}")]
    MissingValue {
        /// Where.
        path: String,
        /// Why it is needed.
        reason: String,
    },
    /// A value that is well-formed but not allowed here.
    #[error("{path}: {reason}")]
    InvalidValue {
        /// Where.
        path: String,
        /// Why it is not allowed.
        reason: String,
    },
    /// A funnel without any open stage cannot forecast.
    #[error("{path}: the funnel needs at least one open stage")]
    NoOpenStage {
        /// Where.
        path: String,
    },
    /// A date later than the `as_of` the caller passed.
    #[error("{path}: {date} is after as_of {as_of}")]
    DateAfterAsOf {
        /// Where.
        path: String,
        /// The date found.
        date: String,
        /// The caller's `as_of`.
        as_of: String,
    },
    /// A record names a channel the policy's taxonomy does not have.
    #[error("{path}: channel {name:?} is not in the policy's channels")]
    UnknownChannel {
        /// Where.
        path: String,
        /// The unknown name.
        name: String,
    },
    /// A marketing touch dated after the conversion it would be credited for.
    #[error("{path}: touch on {date} is after the conversion on {converted_on}")]
    TouchAfterConversion {
        /// Where.
        path: String,
        /// The touch's date.
        date: String,
        /// The journey's conversion date.
        converted_on: String,
    },
    /// Bytes that are not what they claim to be (a persisted index truncated or altered).
    #[error("{path}: corrupt data: {reason}")]
    CorruptData {
        /// Where.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Bytes written by another format version of crmkit.
    #[error("{path}: format version {found}, this crmkit reads version {expected}")]
    UnsupportedVersion {
        /// Where.
        path: String,
        /// The version found.
        found: u32,
        /// The version this crmkit reads.
        expected: u32,
    },
    /// A record that no pool's scope takes (never silently left out).
    #[error("{path}: no pool takes record {record:?} of owner {owner:?}")]
    NoPool {
        /// Where.
        path: String,
        /// The record's id.
        record: String,
        /// Its owner.
        owner: String,
    },
    /// Exact arithmetic would overflow `Decimal` (about 7.9e28).
    #[error("{path}: arithmetic overflow")]
    Overflow {
        /// Where.
        path: String,
    },
    /// A tier (or curve point) starts inside the one before it.
    #[error("{path}: overlaps the previous tier, which ends at {previous}")]
    TierOverlap {
        /// Where.
        path: String,
        /// Where the previous tier ends.
        previous: String,
    },
    /// A tier (or the first curve point) leaves uncovered credit before it.
    #[error("{path}: leaves a gap; expected it to start at {from}")]
    TierGap {
        /// Where.
        path: String,
        /// Where it should start.
        from: String,
    },
    /// Shares that must total exactly 100 % do not.
    #[error("{path}: shares total {total}, not 1")]
    SplitTotal {
        /// Where.
        path: String,
        /// Their total.
        total: String,
    },
    /// An amount in another currency than the one in force; crmkit never nets currencies.
    #[error("{path}: currency {found:?} where {expected:?} is in force")]
    CurrencyMismatch {
        /// Where.
        path: String,
        /// The currency in force.
        expected: String,
        /// The currency found.
        found: String,
    },
    /// A date before the event it must follow (a payment before its invoice...).
    #[error("{path}: {date} is before {earlier}")]
    DateOrder {
        /// Where.
        path: String,
        /// The date found.
        date: String,
        /// The date it must not precede.
        earlier: String,
    },
    /// A name (a group key, an owner) that the data it refers to does not declare.
    #[error("{path}: {name:?} is not declared")]
    UnknownKey {
        /// Where.
        path: String,
        /// The unknown name.
        name: String,
    },
    /// An input larger than a declared limit (see [`crate::limits`] and the README's Limits
    /// table): refused up front rather than run out of memory or time.
    #[error("{path}: {value} is above the limit of {limit} {what}")]
    LimitExceeded {
        /// Where.
        path: String,
        /// The size found.
        value: String,
        /// The limit.
        limit: String,
        /// What is counted (`stages`, `months`, `levels of nesting`...).
        what: String,
    },
}

/// The `path` field of every variant, listed once for [`Error::path`] and [`Error::under`]
/// (a new variant is added here, in one place).
macro_rules! each_path {
    ($e:expr) => {
        match $e {
            Error::Parse { path, .. }
            | Error::OutOfRange { path, .. }
            | Error::NegativeAmount { path, .. }
            | Error::DuplicateName { path, .. }
            | Error::UnknownStage { path, .. }
            | Error::MissingValue { path, .. }
            | Error::InvalidValue { path, .. }
            | Error::NoOpenStage { path }
            | Error::DateAfterAsOf { path, .. }
            | Error::Overflow { path }
            | Error::TierOverlap { path, .. }
            | Error::TierGap { path, .. }
            | Error::SplitTotal { path, .. }
            | Error::CurrencyMismatch { path, .. }
            | Error::DateOrder { path, .. }
            | Error::UnknownChannel { path, .. }
            | Error::TouchAfterConversion { path, .. }
            | Error::UnknownKey { path, .. }
            | Error::CorruptData { path, .. }
            | Error::UnsupportedVersion { path, .. }
            | Error::LimitExceeded { path, .. }
            | Error::NoPool { path, .. } => path,
        }
    };
}

impl Error {
    /// The stable snake_case code of this error, identical in Rust, Python and JS.
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::prelude::*;
    ///
    /// let err = from_json::<Vec<Deal>>(r#"[{"id": "a", "stage": "open", "amount": 12.5}]"#, "deals").unwrap_err();
    /// assert_eq!((err.code(), err.path()), ("invalid_decimal", "deals[0].amount"));
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::Parse { kind, .. } => kind.code(),
            Self::OutOfRange { .. } => "out_of_range",
            Self::NegativeAmount { .. } => "negative_amount",
            Self::DuplicateName { .. } => "duplicate_name",
            Self::UnknownStage { .. } => "unknown_stage",
            Self::MissingValue { .. } => "missing_value",
            Self::InvalidValue { .. } => "invalid_value",
            Self::NoOpenStage { .. } => "no_open_stage",
            Self::DateAfterAsOf { .. } => "date_after_as_of",
            Self::UnknownChannel { .. } => "unknown_channel",
            Self::TouchAfterConversion { .. } => "touch_after_conversion",
            Self::NoPool { .. } => "no_pool",
            Self::Overflow { .. } => "overflow",
            Self::TierOverlap { .. } => "tier_overlap",
            Self::TierGap { .. } => "tier_gap",
            Self::SplitTotal { .. } => "split_total",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::DateOrder { .. } => "date_order",
            Self::UnknownKey { .. } => "unknown_key",
            Self::CorruptData { .. } => "corrupt_data",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::LimitExceeded { .. } => "limit_exceeded",
        }
    }

    /// The location of the offending field, e.g. `stages[1].conversion`; examples at
    /// [`Error::code`].
    pub fn path(&self) -> &str {
        each_path!(self)
    }

    /// The same error located under `prefix` (`b` turns `pools[0].limit` into
    /// `b.pools[0].limit`): for functions taking two inputs of one type.
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        let path = each_path!(&mut self);
        *path = match (prefix, path.as_str()) {
            ("", _) => std::mem::take(path),
            (p, "") => p.to_owned(),
            (p, rest) if rest.starts_with('[') => format!("{p}{rest}"),
            (p, rest) => format!("{p}.{rest}"),
        };
        self
    }

    /// The same error at the path `f` makes of its path (unchanged when `f` gives `None`): a
    /// columnar entry point naming a record function's fields by column and row.
    #[must_use]
    pub(crate) fn relocated(mut self, f: impl FnOnce(&str) -> Option<String>) -> Self {
        let path = each_path!(&mut self);
        if let Some(new) = f(path) {
            *path = new;
        }
        self
    }

    /// The same error, located at `name` when it is about the value itself (an empty path):
    /// an argument read with its fields bare (a policy: `stages[1].conversion`) is named
    /// when the whole of it is wrong (`policy`).
    #[must_use]
    pub fn named(mut self, name: &str) -> Self {
        let path = each_path!(&mut self);
        if path.is_empty() {
            name.clone_into(path);
        }
        self
    }

    pub(crate) fn out_of_range(
        path: impl Into<String>,
        value: impl fmt::Display,
        min: impl fmt::Display,
        max: impl fmt::Display,
    ) -> Self {
        Self::OutOfRange { path: path.into(), value: value.to_string(), min: min.to_string(), max: max.to_string() }
    }

    pub(crate) fn overflow(path: impl Into<String>) -> Self {
        Self::Overflow { path: path.into() }
    }
}

/// `Result` with crmkit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
