//! The commission book: a year of sales in date order (a ledger), each to one of `reps` reps
//! at random, 100.00 to 20,000.00 in integer cents, through a 5-tier graduated plan with
//! breaks at 2, 5, 10 and 20 million so every rep crosses them during the year.
//! `benches/peers/commission_pandas.py` builds the same book with numpy: sale `i`'s rep is
//! `x_i mod reps`, its cents `10_000 + x_{n+i} mod 1_990_001`.

use crmkit::commission::{CommissionPlan, TransactionColumns};
use crmkit::forecast::AmountColumn;

use crate::draw;

/// The plan: graduated, 2 % / 3 % / 4 % / 5 % / 6 % with breaks at 2, 5, 10, 20 million.
pub const PLAN: &str = r#"{"kind": "graduated", "tiers": [
    {"from": "0", "to": "2000000", "rate": "0.02"},
    {"from": "2000000", "to": "5000000", "rate": "0.03"},
    {"from": "5000000", "to": "10000000", "rate": "0.04"},
    {"from": "10000000", "to": "20000000", "rate": "0.05"},
    {"from": "20000000", "rate": "0.06"}]}"#;

/// [`PLAN`], read.
pub fn plan() -> CommissionPlan {
    crmkit::wire::from_json(PLAN, "").expect("the bench plan")
}

/// The period's end: 2026-12-31.
pub fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid date")
}

/// The book's columns, owned.
pub struct Book {
    /// Rep codes into `labels`.
    pub rep: Vec<i32>,
    /// `rep000`, `rep001`...
    pub labels: Vec<String>,
    /// Days since 1970-01-01, ascending.
    pub on: Vec<i64>,
    /// Amounts in cents.
    pub cents: Vec<i64>,
}

impl Book {
    /// `n` sales over 2026 in date order, of `reps` reps, seeded.
    pub fn generate(n: usize, reps: usize, seed: u64) -> Self {
        let first_day = 20_454; // 2026-01-01
        Self {
            rep: (0..n).map(|i| (draw(seed, i as u64) % reps as u64) as i32).collect(),
            labels: (0..reps).map(|k| format!("rep{k:03}")).collect(),
            on: (0..n).map(|i| first_day + (i as i64 * 365) / n as i64).collect(),
            cents: (0..n).map(|i| 10_000 + (draw(seed, (n + i) as u64) % 1_990_001) as i64).collect(),
        }
    }

    /// Borrowed as crmkit's columns (amounts in cents: scale 2).
    pub fn columns(&self) -> TransactionColumns<'_> {
        TransactionColumns::new(&self.rep, &self.labels, &self.on, AmountColumn::Units { units: &self.cents, scale: 2 })
    }
}
