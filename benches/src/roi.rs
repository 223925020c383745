//! Seeded attribution benchmark data: `n` journeys of 5 touches each over the default
//! taxonomy's 7 channels, the same in Rust and numpy (`benches/peers/roi_pandas.py`).
//!
//! Touch `r = 5j + t` uses `x_r`: channel `x_r % 7`, days before the conversion
//! `(4 − t) × 3 + (x_r >> 8) % 3` (so touches are in time order). Journey `j` uses
//! `y = x_{5n + j}`: it converted unless `y % 4 == 0`, with revenue
//! `100_000 + (y >> 16) % 10_000_000` cents, on 2026-11-23.

use crmkit::forecast::AmountColumn;
use crmkit::roi::{CodeColumn, DayColumn, JourneyColumns, NOT_CONVERTED};

use crate::{as_of, draw};

/// Touches per journey.
pub const TOUCHES: usize = 5;

/// Generated journeys as owned columns, one row per touch.
pub struct Journeys {
    /// Journey code per row.
    pub journey: Vec<i64>,
    /// Channel code per row.
    pub channel: Vec<i32>,
    /// The default taxonomy's names.
    pub labels: Vec<String>,
    /// Touch day per row.
    pub on: Vec<i64>,
    /// Revenue cents per row (the journey's).
    pub cents: Vec<i64>,
    /// Conversion day per row (the journey's), or `NOT_CONVERTED`.
    pub converted_on: Vec<i64>,
}

impl Journeys {
    /// `n` journeys from `seed` (42 in every published figure).
    pub fn generate(n: usize, seed: u64) -> Self {
        let day = (as_of() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
        let rows = n * TOUCHES;
        let mut d = Self {
            journey: Vec::with_capacity(rows),
            channel: Vec::with_capacity(rows),
            labels: ["web_ads", "search", "mobile", "email", "events", "print", "tv"].map(String::from).to_vec(),
            on: Vec::with_capacity(rows),
            cents: Vec::with_capacity(rows),
            converted_on: Vec::with_capacity(rows),
        };
        for j in 0..n as u64 {
            let y = draw(seed, (rows as u64) + j);
            let converted = !y.is_multiple_of(4);
            let cents = if converted { 100_000 + ((y >> 16) % 10_000_000) as i64 } else { 0 };
            for t in 0..TOUCHES as u64 {
                let x = draw(seed, j * TOUCHES as u64 + t);
                d.journey.push(j as i64);
                d.channel.push((x % 7) as i32);
                d.on.push(day - ((4 - t) * 3 + (x >> 8) % 3) as i64);
                d.cents.push(cents);
                d.converted_on.push(if converted { day } else { NOT_CONVERTED });
            }
        }
        d
    }

    /// Borrowed as crmkit columns.
    pub fn columns(&self) -> JourneyColumns<'_> {
        JourneyColumns {
            journey: &self.journey,
            channel: CodeColumn::I32(&self.channel),
            channel_labels: &self.labels,
            on: DayColumn::days(&self.on),
            revenue: AmountColumn::Units { units: &self.cents, scale: 2 },
            converted_on: DayColumn::days(&self.converted_on),
            milestone: None,
        }
    }
}
