//! The claims bench book: 50,000 claims against 200,000 pooled records, a 1,000,000-entry
//! ledger and 2,000 users' holdings, as record structs and as the same rows in columns (the
//! criterion bench `pool_batches` and `examples/pool_native.rs claims` share it).

use crmkit::pool::{
    ClaimColumns, ClaimInput, CodeColumn, Holding, HoldingColumns, Instant, LedgerColumns, LedgerEntry, LedgerEvent,
    PoolPolicy, PooledColumns, PooledRecord, RequestColumns,
};
use serde_json::json;

/// A splitmix64 stream from a seed.
pub struct Rng(pub u64);

impl Rng {
    /// A draw below `n`.
    pub fn below(&mut self, n: u64) -> usize {
        self.0 = self.0.wrapping_add(crate::GOLDEN);
        (crate::mix(self.0) % n) as usize
    }
}

/// `prefix0`..`prefix{n-1}`.
pub fn labels(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// `as_of` of the claims bench: 2026-12-01T10:00:00+08:00.
pub const CLAIMS_AS_OF: &str = "2026-12-01T10:00:00+08:00";

/// The claims book, both ways.
#[allow(missing_docs)]
pub struct ClaimBook {
    pub policy: PoolPolicy,
    pub input: ClaimInput,
    pub users: Vec<String>,
    pub records: Vec<String>,
    pub pools: Vec<String>,
    pub events: Vec<String>,
    pub pooled_id: Vec<i32>,
    pub pooled_pool: Vec<i32>,
    pub pooled_at: Vec<i64>,
    pub holding_user: Vec<i32>,
    pub owned: Vec<i64>,
    pub ledger_at: Vec<i64>,
    pub ledger_user: Vec<i32>,
    pub ledger_record: Vec<i32>,
    pub ledger_pool: Vec<i32>,
    pub ledger_event: Vec<i32>,
    pub request_user: Vec<i32>,
    pub request_record: Vec<i32>,
}

/// 2026-11-01T00:00:00+08:00 in ms.
const START: i64 = 1_793_462_400_000;
const DAY: i64 = 86_400_000;

/// Generates the book (seed 7, as every published figure).
pub fn claim_book() -> ClaimBook {
    let pool = |id: &str, counts: &str| {
        json!({"id": id, "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
               "claims": {"daily_limit": 5, "holdings_limit": 200, "cooldown": 15, "embargo": 1, "daily_limit_counts": counts}})
    };
    let policy = json!({"time_zone": "Asia/Shanghai", "pools": [pool("east", "all_pools"), pool("west", "this_pool")]});
    let policy: PoolPolicy = crmkit::wire::from_json(&policy.to_string(), "").expect("policy");
    let (users, records, pools) =
        (labels("user", 2_000), labels("cust", 400_000), vec!["east".to_string(), "west".to_string()]);
    let events: Vec<String> = ["claim", "assign", "release", "recycle"].iter().map(|s| (*s).to_string()).collect();
    let mut rng = Rng(7);
    // Records 0..200,000 are in a pool, pooled in the 30 days before the run.
    let pooled_id: Vec<i32> = (0..200_000).collect();
    let pooled_pool: Vec<i32> = pooled_id.iter().map(|_| rng.below(2) as i32).collect();
    let pooled_at: Vec<i64> = pooled_id.iter().map(|_| START + rng.below(30 * DAY as u64) as i64).collect();
    let holding_user: Vec<i32> = (0..2_000).collect();
    let owned: Vec<i64> = holding_user.iter().map(|_| rng.below(220) as i64).collect();
    // A 1,000,000-entry ledger over the 30 days, in time order.
    let mut ledger_at: Vec<i64> = (0..1_000_000).map(|_| START + rng.below(30 * DAY as u64) as i64).collect();
    ledger_at.sort_unstable();
    let ledger_user: Vec<i32> = ledger_at.iter().map(|_| rng.below(2_000) as i32).collect();
    let ledger_record: Vec<i32> = ledger_at.iter().map(|_| rng.below(400_000) as i32).collect();
    let ledger_pool: Vec<i32> = ledger_at.iter().map(|_| rng.below(2) as i32).collect();
    let ledger_event: Vec<i32> = ledger_at.iter().map(|_| rng.below(4) as i32).collect();
    let request_user: Vec<i32> = (0..50_000).map(|_| rng.below(2_000) as i32).collect();
    let request_record: Vec<i32> = (0..50_000).map(|_| rng.below(250_000) as i32).collect();
    let kinds = [LedgerEvent::Claim, LedgerEvent::Assign, LedgerEvent::Release, LedgerEvent::Recycle];
    let input = ClaimInput {
        pooled: (0..pooled_id.len())
            .map(|i| PooledRecord {
                id: records[pooled_id[i] as usize].clone(),
                pool: pools[pooled_pool[i] as usize].clone(),
                pooled_at: Instant(pooled_at[i]),
            })
            .collect(),
        holdings: (0..2_000).map(|u| Holding { user: users[u].clone(), pool: None, owned: owned[u], won: 0 }).collect(),
        ledger: (0..ledger_at.len())
            .map(|j| LedgerEntry {
                at: Instant(ledger_at[j]),
                user: users[ledger_user[j] as usize].clone(),
                record: records[ledger_record[j] as usize].clone(),
                pool: Some(pools[ledger_pool[j] as usize].clone()),
                event: kinds[ledger_event[j] as usize],
            })
            .collect(),
        requests: (0..request_user.len())
            .map(|k| crmkit::pool::ClaimRequest {
                user: users[request_user[k] as usize].clone(),
                record: records[request_record[k] as usize].clone(),
            })
            .collect(),
    };
    ClaimBook {
        policy,
        input,
        users,
        records,
        pools,
        events,
        pooled_id,
        pooled_pool,
        pooled_at,
        holding_user,
        owned,
        ledger_at,
        ledger_user,
        ledger_record,
        ledger_pool,
        ledger_event,
        request_user,
        request_record,
    }
}

impl ClaimBook {
    /// The rows as columns.
    pub fn columns(&self) -> ClaimColumns<'_> {
        let col = |codes, labels| CodeColumn { codes, labels };
        ClaimColumns {
            pooled: PooledColumns {
                id: col(&self.pooled_id, &self.records),
                pool: col(&self.pooled_pool, &self.pools),
                pooled_at: &self.pooled_at,
            },
            holdings: Some(HoldingColumns {
                user: col(&self.holding_user, &self.users),
                pool: None,
                owned: &self.owned,
                won: None,
            }),
            ledger: Some(LedgerColumns {
                at: &self.ledger_at,
                user: col(&self.ledger_user, &self.users),
                record: col(&self.ledger_record, &self.records),
                pool: Some(col(&self.ledger_pool, &self.pools)),
                event: col(&self.ledger_event, &self.events),
            }),
            requests: RequestColumns {
                user: col(&self.request_user, &self.users),
                record: col(&self.request_record, &self.records),
            },
        }
    }
}
