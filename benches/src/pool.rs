//! The public-pool benchmark book, identical to the one `benches/peers/pool_pandas.py` builds
//! with numpy: record `i` uses draws `2i`, `2i + 1` of the stream seeded `seed`, activity `j`
//! draws `2j`, `2j + 1` of the stream seeded `seed + 1`.

use crmkit::pool::{ActivityColumns, CodeColumn, PoolActivity, PoolPolicy, PoolRecord, RecordColumns, NONE};

use crate::draw;

/// `as_of` of the pool benchmarks: the nightly job of 2026-11-23 in Shanghai.
pub const AS_OF: &str = "2026-11-23T02:00:00+08:00";
const AS_OF_MS: i64 = 1_795_370_400_000;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// The benchmark policy (`POLICY` of the peer script).
pub const POLICY_JSON: &str = r#"{"time_zone": "Asia/Shanghai", "pools": [
  {"id": "key_accounts", "priority": 1, "scope": {"levels": ["A"]}, "warn_before": 3,
   "follow_up": {"types": ["call", "visit", "wechat"], "backdate_limit_hours": 48},
   "rules": [{"id": "60d", "kind": "no_follow_up", "limit": 60}]},
  {"id": "all", "scope": {"everyone": true}, "warn_before": 3,
   "follow_up": {"types": ["call", "visit", "wechat"], "backdate_limit_hours": 48},
   "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}, {"id": "opp90", "kind": "no_new_opportunity", "limit": 90}]}]}"#;

/// [`POLICY_JSON`] read.
pub fn policy() -> PoolPolicy {
    crmkit::wire::from_json(POLICY_JSON, "").expect("benchmark policy is valid")
}

/// A generated book as owned columns.
pub struct Book {
    /// Owner codes into `users`.
    pub owner: Vec<i32>,
    /// `u0000`..`u1999`.
    pub users: Vec<String>,
    /// Claim instants, ms.
    pub claimed_at: Vec<i64>,
    /// Level codes into `levels`.
    pub level: Vec<i32>,
    /// A..D.
    pub levels: Vec<String>,
    /// Department codes into `departments`.
    pub department: Vec<i32>,
    /// d0..d9.
    pub departments: Vec<String>,
    /// Locked.
    pub locked: Vec<bool>,
    /// Latest opportunity, ms or `NONE`.
    pub last_opportunity_at: Vec<i64>,
    /// Activity record rows.
    pub activity_record: Vec<i32>,
    /// Contact instants, ms.
    pub at: Vec<i64>,
    /// Logging instants, ms.
    pub logged_at: Vec<i64>,
    /// Type codes into `types`.
    pub kind: Vec<i32>,
    /// call, visit, wechat, email, note.
    pub types: Vec<String>,
    /// Actor codes into `users`.
    pub actor: Vec<i32>,
}

impl Book {
    /// `n` records with `per` activities each on average, from `seed` (42 in every figure).
    pub fn generate(n: usize, per: usize, seed: u64) -> Self {
        let mut b = Self {
            owner: Vec::with_capacity(n),
            users: (0..2000).map(|i| format!("u{i:04}")).collect(),
            claimed_at: Vec::with_capacity(n),
            level: Vec::with_capacity(n),
            levels: ["A", "B", "C", "D"].map(String::from).to_vec(),
            department: Vec::with_capacity(n),
            departments: (0..10).map(|i| format!("d{i}")).collect(),
            locked: Vec::with_capacity(n),
            last_opportunity_at: Vec::with_capacity(n),
            activity_record: Vec::with_capacity(n * per),
            at: Vec::with_capacity(n * per),
            logged_at: Vec::with_capacity(n * per),
            kind: Vec::with_capacity(n * per),
            types: ["call", "visit", "wechat", "email", "note"].map(String::from).to_vec(),
            actor: Vec::with_capacity(n * per),
        };
        for i in 0..n as u64 {
            let (a, c) = (draw(seed, 2 * i), draw(seed, 2 * i + 1));
            b.owner.push((a % 2000) as i32);
            b.claimed_at.push(AS_OF_MS - ((a >> 16) % (180 * DAY as u64)) as i64);
            b.level.push(((a >> 40) % 4) as i32);
            b.department.push(((a >> 50) % 10) as i32);
            b.locked.push((c >> 20) % 50 == 0);
            b.last_opportunity_at.push(if c % 3 == 0 {
                AS_OF_MS - ((c >> 8) % (200 * DAY as u64)) as i64
            } else {
                NONE
            });
        }
        for j in 0..(n * per) as u64 {
            let (c, d) = (draw(seed + 1, 2 * j), draw(seed + 1, 2 * j + 1));
            let rec = (c % n as u64) as usize;
            b.activity_record.push(rec as i32);
            b.actor.push(if d % 5 != 0 { b.owner[rec] } else { ((d >> 8) % 2000) as i32 });
            let at = AS_OF_MS - 3 * DAY - ((c >> 20) % (150 * DAY as u64)) as i64;
            b.at.push(at);
            b.logged_at.push(at + ((d >> 24) % (60 * HOUR as u64)) as i64);
            b.kind.push(((d >> 40) % 5) as i32);
        }
        b
    }

    /// The records as columns.
    pub fn records(&self) -> RecordColumns<'_> {
        RecordColumns {
            owner: CodeColumn { codes: &self.owner, labels: &self.users },
            claimed_at: &self.claimed_at,
            department: Some(CodeColumn { codes: &self.department, labels: &self.departments }),
            region: None,
            product_line: None,
            level: Some(CodeColumn { codes: &self.level, labels: &self.levels }),
            locked: Some(&self.locked),
            open_contract: None,
            last_won_at: None,
            last_opportunity_at: Some(&self.last_opportunity_at),
            team: None,
            tags: None,
        }
    }

    /// The activities as columns.
    pub fn activities(&self) -> ActivityColumns<'_> {
        ActivityColumns {
            record: &self.activity_record,
            at: &self.at,
            logged_at: Some(&self.logged_at),
            kind: CodeColumn { codes: &self.kind, labels: &self.types },
            actor: CodeColumn { codes: &self.actor, labels: &self.users },
            deleted: None,
        }
    }

    /// The same book as records and activities (for `simulate_pool`).
    pub fn rows(&self) -> (Vec<PoolRecord>, Vec<PoolActivity>) {
        let ts = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).expect("in range").to_rfc3339();
        let records: Vec<serde_json::Value> = (0..self.owner.len())
            .map(|i| {
                let mut r = serde_json::json!({"id": format!("r{i}"), "owner": self.users[self.owner[i] as usize],
                    "claimed_at": ts(self.claimed_at[i]), "level": self.levels[self.level[i] as usize],
                    "department": self.departments[self.department[i] as usize], "locked": self.locked[i]});
                if self.last_opportunity_at[i] != NONE {
                    r["last_opportunity_at"] = ts(self.last_opportunity_at[i]).into();
                }
                r
            })
            .collect();
        let activities: Vec<serde_json::Value> = (0..self.at.len())
            .map(|j| serde_json::json!({"record": format!("r{}", self.activity_record[j]), "at": ts(self.at[j]),
                "logged_at": ts(self.logged_at[j]), "type": self.types[self.kind[j] as usize], "actor": self.users[self.actor[j] as usize]}))
            .collect();
        (
            crmkit::wire::from_json(&serde_json::Value::from(records).to_string(), "records").expect("records"),
            crmkit::wire::from_json(&serde_json::Value::from(activities).to_string(), "activities")
                .expect("activities"),
        )
    }
}
