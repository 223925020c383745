//! The four tables of a claims check as [`super::claim_check::check`] reads them, row by row:
//! the record API's structs ([`RecordRows`]) and the columns (`claim_columns.rs`) alike, so
//! both are decided by one piece of code. Ids are whatever the input holds them as (text for
//! the records, codes matched across tables by text for the columns); pools arrive resolved to
//! their index in the policy.

use std::collections::HashMap;
use std::hash::Hash;

use super::claims::{ClaimInput, LedgerEvent};
use super::policy::PoolPolicy;
use super::time::Instant;

/// A pool named on a row: its index in the policy's pools (`None`: the policy has no pool of
/// that id, an error where the row is checked) and the id as written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolRef<'a> {
    pub index: Option<usize>,
    pub name: &'a str,
}

/// Row `i` of `pooled`.
pub(crate) struct PooledRow<'a, Id> {
    pub id: Id,
    pub pool: PoolRef<'a>,
    pub pooled_at: Instant,
}

/// Row `i` of `holdings`.
pub(crate) struct HoldingRow<'a, Id> {
    pub user: Id,
    pub pool: Option<PoolRef<'a>>,
    pub owned: i64,
    pub won: i64,
}

/// Row `j` of the ledger.
pub(crate) struct EntryRow<'a, Id> {
    pub at: Instant,
    pub user: Id,
    pub record: Id,
    pub pool: Option<PoolRef<'a>>,
    pub event: LedgerEvent,
}

/// The tables of a claims check.
pub(crate) trait ClaimRows<'a> {
    /// A user's or a record's id; two ids are equal when their text is.
    type Id: Copy + Eq + Hash;
    fn pooled_len(&self) -> usize;
    fn pooled(&self, i: usize) -> PooledRow<'a, Self::Id>;
    fn holdings_len(&self) -> usize;
    fn holding(&self, i: usize) -> HoldingRow<'a, Self::Id>;
    fn ledger_len(&self) -> usize;
    fn entry(&self, j: usize) -> EntryRow<'a, Self::Id>;
    fn requests_len(&self) -> usize;
    /// Request `k`: who asks, for which record.
    fn request(&self, k: usize) -> (Self::Id, Self::Id);
    /// The text of a user id.
    fn user_name(&self, user: Self::Id) -> &'a str;
    /// The text of a record id.
    fn record_name(&self, record: Self::Id) -> &'a str;
}

/// The policy's pool ids and their indices.
pub(crate) fn pool_index(policy: &PoolPolicy) -> HashMap<&str, usize> {
    policy.pools.iter().enumerate().map(|(k, p)| (p.id.as_str(), k)).collect()
}

/// The record API's input: ids are their text.
pub(crate) struct RecordRows<'a> {
    pub input: &'a ClaimInput,
    pub pools: HashMap<&'a str, usize>,
}

impl<'a> RecordRows<'a> {
    fn pool(&self, name: &'a str) -> PoolRef<'a> {
        PoolRef { index: self.pools.get(name).copied(), name }
    }
}

impl<'a> ClaimRows<'a> for RecordRows<'a> {
    type Id = &'a str;

    fn pooled_len(&self) -> usize {
        self.input.pooled.len()
    }

    fn pooled(&self, i: usize) -> PooledRow<'a, &'a str> {
        let r = &self.input.pooled[i];
        PooledRow { id: &r.id, pool: self.pool(&r.pool), pooled_at: r.pooled_at }
    }

    fn holdings_len(&self) -> usize {
        self.input.holdings.len()
    }

    fn holding(&self, i: usize) -> HoldingRow<'a, &'a str> {
        let h = &self.input.holdings[i];
        HoldingRow { user: &h.user, pool: h.pool.as_deref().map(|p| self.pool(p)), owned: h.owned, won: h.won }
    }

    fn ledger_len(&self) -> usize {
        self.input.ledger.len()
    }

    fn entry(&self, j: usize) -> EntryRow<'a, &'a str> {
        let e = &self.input.ledger[j];
        EntryRow {
            at: e.at,
            user: &e.user,
            record: &e.record,
            pool: e.pool.as_deref().map(|p| self.pool(p)),
            event: e.event,
        }
    }

    fn requests_len(&self) -> usize {
        self.input.requests.len()
    }

    fn request(&self, k: usize) -> (&'a str, &'a str) {
        let r = &self.input.requests[k];
        (&r.user, &r.record)
    }

    fn user_name(&self, user: &'a str) -> &'a str {
        user
    }

    fn record_name(&self, record: &'a str) -> &'a str {
        record
    }
}
