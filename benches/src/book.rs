//! The issue-7 book (`benches/peers/forecast_book.py` generates the same deals with numpy):
//! 6 open stages in months + won + lost, 500 owners as integer ids on 20 teams, 60 % of the
//! deals with an expected close date from 60 days before `as_of` to 450 days after,
//! placement `expected_close` with `half_elapsed` for the undated ones.

use crmkit::forecast::{AmountColumn, DateColumn, DealColumns, ForecastPolicy, KeyColumn, StageCodes};

use crate::{as_of, draw};

/// The book's policy, grouped by `key` (`owner` or `team`).
pub fn book_policy(key: &str) -> ForecastPolicy {
    crmkit::wire::from_json(
        &format!(
            r#"{{"stages": [
                {{"name": "prospect", "conversion": "0.5", "duration": "3"}},
                {{"name": "qualify", "conversion": "0.6", "duration": "2"}},
                {{"name": "demo", "conversion": "0.7", "duration": "2"}},
                {{"name": "proposal", "conversion": "0.75", "duration": "1"}},
                {{"name": "negotiate", "conversion": "0.8", "duration": "1"}},
                {{"name": "contract", "conversion": "0.9", "duration": "0.5"}},
                {{"name": "won", "kind": "won"}},
                {{"name": "lost", "kind": "lost"}}],
              "duration_unit": "months", "placement": "expected_close", "undated": "half_elapsed",
              "group_by": ["{key}"]}}"#
        ),
        "",
    )
    .expect("book policy is valid")
}

/// `n` deals of the book as owned columns.
pub struct Book {
    /// Stage codes.
    pub stage: Vec<i32>,
    /// Stage names.
    pub stage_labels: Vec<String>,
    /// Amounts in cents.
    pub cents: Vec<i64>,
    /// Entered-stage dates, days since 1970-01-01.
    pub entered: Vec<i64>,
    /// Expected close dates, days since 1970-01-01; `i64::MIN` for 40 % of the deals.
    pub close: Vec<i64>,
    /// Owner codes (0..500) into `owner_labels` (the ids `10000 + 37 k` as text).
    pub owner: Vec<i32>,
    /// The owners' ids.
    pub owner_labels: Vec<String>,
    /// Team codes (0..20) into `team_labels`.
    pub team: Vec<i32>,
    /// The teams' ids (1..=20).
    pub team_labels: Vec<String>,
}

impl Book {
    /// Generates `n` deals from `seed` (42 in every published figure).
    pub fn generate(n: usize, seed: u64) -> Self {
        let as_of_days = (as_of() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
        let mut book = Self {
            stage: Vec::with_capacity(n),
            stage_labels: ["prospect", "qualify", "demo", "proposal", "negotiate", "contract", "won", "lost"]
                .map(String::from)
                .to_vec(),
            cents: Vec::with_capacity(n),
            entered: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            owner: Vec::with_capacity(n),
            owner_labels: (0..500).map(|k| (10_000 + 37 * k).to_string()).collect(),
            team: Vec::with_capacity(n),
            team_labels: (1..=20).map(|k: i32| k.to_string()).collect(),
        };
        for i in 0..n as u64 {
            let (x, y, z) = (draw(seed, 3 * i), draw(seed, 3 * i + 1), draw(seed, 3 * i + 2));
            let rep = ((x >> 8) % 500) as i32;
            book.stage.push((x % 8) as i32);
            book.owner.push(rep);
            book.team.push(rep % 20);
            book.cents.push(100_000 + (y % 99_900_000) as i64);
            book.entered.push(as_of_days - ((y >> 40) % 180) as i64);
            book.close.push(if z % 100 < 60 { as_of_days - 60 + ((z >> 16) % 511) as i64 } else { i64::MIN });
        }
        book
    }

    /// Per-deal inputs for the open deals: an own probability for 1 in 20 (NaN: the stage's),
    /// an own category for 1 in 10 (`commit` or `best_case`; -1: the stage's).
    pub fn per_deal(&self) -> (Vec<f64>, Vec<i32>) {
        let open = |i: usize| self.stage[i] < 6;
        let probability = (0..self.stage.len())
            .map(|i| if open(i) && i % 20 == 7 { [0.15, 0.35, 0.65, 0.9][i % 4] } else { f64::NAN })
            .collect();
        let category =
            (0..self.stage.len()).map(|i| if open(i) && i % 10 == 3 { (i % 2) as i32 } else { -1 }).collect();
        (probability, category)
    }

    /// The close dates with every won deal's in the past (1 to 365 days before `as_of`), as a
    /// quota needs them (it counts a won deal in the period of its close date); the open
    /// deals' as in `close`.
    pub fn close_with_won_dated(&self) -> Vec<i64> {
        let as_of_days = (as_of() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
        let won = self.stage_labels.iter().position(|s| s == "won").expect("a won stage") as i32;
        self.close
            .iter()
            .zip(&self.stage)
            .enumerate()
            .map(|(i, (&close, &stage))| if stage == won { as_of_days - 1 - (i % 365) as i64 } else { close })
            .collect()
    }

    /// Quotas per owner for each quarter from 2025-Q4 to 2027-Q4 (the won deals' and the
    /// pipeline's), 1,000,000.00 to 5,990,000.00 by owner.
    pub fn owner_quotas(&self) -> Vec<crmkit::forecast::Quota> {
        let quarters =
            ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"];
        self.owner_labels
            .iter()
            .enumerate()
            .flat_map(|(k, owner)| {
                quarters.iter().map(move |q| crmkit::forecast::Quota {
                    key: [("owner".to_owned(), owner.clone())].into_iter().collect(),
                    period: (*q).to_owned(),
                    amount: crmkit::Decimal::from(1_000_000 + 10_000 * (k as i64 % 500)),
                })
            })
            .collect()
    }

    /// Borrowed as crmkit columns grouped by `key` (`owner` or `team`).
    pub fn columns(&self, key: &str) -> DealColumns<'_> {
        let (codes, labels) =
            if key == "team" { (&self.team, &self.team_labels) } else { (&self.owner, &self.owner_labels) };
        DealColumns {
            stage: StageCodes::I32(&self.stage),
            stage_labels: &self.stage_labels,
            amount: AmountColumn::Units { units: &self.cents, scale: 2 },
            entered_stage_on: None,
            expected_close_on: Some(DateColumn::Days(&self.close)),
            snoozed_until: None,
            last_activity_on: None,
            keys: vec![KeyColumn { codes, labels }.into()],
            probability: None,
            category: None,
        }
    }
}
