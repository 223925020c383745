//! Claims (领取): the records in the pools, the ledger of claims, assignments, releases and
//! recyclings, the requests and the answers ([`super::check_claims`] decides them, in
//! `claim_check.rs`).

use serde::{Deserialize, Serialize};

use super::policy::ClaimCount;
use super::time::{Instant, ZonedInstant};

/// A record waiting in a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PooledRecord {
    /// Unique id.
    pub id: String,
    /// Id of the pool it is in.
    pub pool: String,
    /// When it entered the pool, ≤ `as_of`.
    #[serde(with = "super::time::instant")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub pooled_at: Instant,
}

/// What a user holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// User id.
    pub user: String,
    /// The pool these records go back to. Absent: one line per user. Once a line names a pool,
    /// or a pool counts `holdings_limit` in `this_pool`, every line must (one per user and pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Records owned, ≥ 0.
    pub owned: i64,
    /// Of which won customers, 0 to `owned`.
    #[serde(default)]
    pub won: i64,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum LedgerEvent {
    /// `user` claimed it from a pool (counts towards the daily limit).
    Claim,
    /// An admin or a rule assigned it to `user` (does not count towards the daily limit).
    Assign,
    /// `user` put it back in the pool.
    Release,
    /// It was recycled from `user` to the pool.
    Recycle,
}

/// One ledger entry. The ledger is in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// When, ≤ `as_of`, not before the entry above it.
    #[serde(with = "super::time::instant")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub at: Instant,
    /// The user who got or lost the record.
    pub user: String,
    /// The record.
    pub record: String,
    /// The pool: for `claim` (and `assign` from a pool) the pool it came from, for `release`
    /// and `recycle` the pool it went to. Required on the entries a `this_pool` count reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// What happened.
    pub event: LedgerEvent,
}

/// One claim asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Who asks.
    pub user: String,
    /// For which pooled record.
    pub record: String,
}

/// The input of [`check_claims`](super::check_claims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// The records in the pools.
    pub pooled: Vec<PooledRecord>,
    /// Users' current holdings (a user not listed holds nothing).
    #[serde(default)]
    pub holdings: Vec<Holding>,
    /// Every claim, assignment, release and recycling so far, in time order.
    #[serde(default)]
    pub ledger: Vec<LedgerEntry>,
    /// The claims to decide, in the order they arrived.
    pub requests: Vec<ClaimRequest>,
}

/// Why a claim is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum ClaimReasonCode {
    /// The record is not in a pool (or an earlier request of the batch took it).
    NotInPool,
    /// The record entered the pool less than the embargo ago (`until`, `since`).
    Embargoed,
    /// The user owned it before; cool-down runs `until` (`since`: when that ownership ended).
    Cooldown,
    /// The user would hold more than the limit (`count` held, `limit`).
    HoldingsLimit,
    /// The user has claimed `count` records today, the limit is `limit`.
    DailyLimit,
}

/// One refusal, with its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ClaimReason {
    /// What.
    pub code: ClaimReasonCode,
    /// `holdings_limit`: records counted; `daily_limit`: claims today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// The limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// `embargoed`: when it entered the pool; `cooldown`: when the user's ownership ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub since: Option<ZonedInstant>,
    /// `embargoed`, `cooldown`: from when a claim is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub until: Option<ZonedInstant>,
    /// `holdings_limit`, `daily_limit`, `cooldown`: whether the pool counted across all pools
    /// or in this pool only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<ClaimCount>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ClaimDecision {
    /// Who asked.
    pub user: String,
    /// For which record.
    pub record: String,
    /// The record's pool (absent when it is in none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Whether the claim goes through.
    pub accepted: bool,
    /// Every check that refuses it (empty when accepted).
    pub reasons: Vec<ClaimReason>,
}

/// What [`check_claims`](super::check_claims) returns: a refused claim changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ClaimReport {
    /// One per request, in order.
    pub decisions: Vec<ClaimDecision>,
    /// The ledger entries to append: one `claim` per accepted request, at `as_of`.
    pub ledger: Vec<LedgerEntry>,
    /// Holdings after the accepted claims, for every user who asked or was listed, by user id
    /// (per user and pool when holdings are per pool: then a request for a record in no pool
    /// adds no line).
    pub holdings: Vec<Holding>,
}
